from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from governance.audit.models import AuditEvent

logger = logging.getLogger("governance.audit")

SYSTEM = "system"


def actor_label_for(actor: AbstractBaseUser | AnonymousUser | str | None) -> str:
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return "anonymous"


def audit_record(
    *,
    action: str,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    actor: AbstractBaseUser | AnonymousUser | str | None = None,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
    team: Any = None,
) -> AuditEvent:
    """Record one change. Call it inside the transaction that makes the change.

    `actor` is a user, a label such as "system:budget-evaluator", or None for
    the system itself.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    user = actor if (actor is not None and not isinstance(actor, str) and actor.is_authenticated) else None
    event = AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor=user,
        actor_label=actor_label_for(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=str(target)[:255] if target is not None else "",
        reason=reason,
        before=before,
        after=after,
        team=team,
    )
    logger.info(
        "audit.recorded",
        extra={"audit_id": event.pk, "action": action, "target_type": target_type, "target_id": target_id},
    )
    return event
