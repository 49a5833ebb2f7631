"""Webhooks for budget and model-health changes, sent after the commit that made them."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger("governance.policies")


def webhook_on_commit(*, event: str, payload: dict[str, Any]) -> None:
    from governance.audit import services as audit_services

    dispatch = getattr(audit_services, "webhooks_dispatch", None)
    if dispatch is None:
        # Webhooks arrive with the audit/flags work; until then the audit
        # event is the record of the change.
        logger.info("webhook.unavailable", extra={"event": event})
        return
    transaction.on_commit(lambda: dispatch(event=event, payload=payload))
