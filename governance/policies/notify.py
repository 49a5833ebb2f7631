"""Webhooks for budget and model-health changes."""

from __future__ import annotations

from typing import Any

from governance.audit.services import webhooks_dispatch


def webhook_send(*, event: str, payload: dict[str, Any]) -> None:
    """Call inside the transaction of the change: deliveries are queued with it
    and sent only once it commits."""
    webhooks_dispatch(event=event, payload=payload)
