"""What happens when django-axes locks sign-in out: the audit log says so."""

from __future__ import annotations

from typing import Any

from governance.accounts.services import login_lockout_record


def lockout_audit(sender: Any, *, username: str | None, ip_address: str | None, **_: Any) -> None:
    login_lockout_record(username=username or "", ip_address=ip_address)
