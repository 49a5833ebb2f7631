from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from governance.audit.models import AuditEvent, WebhookDelivery, WebhookEndpoint


def audit_events(
    *,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first. `actor` matches the label (a user name, "client:...",
    "system:..."); `action` is exact or a prefix ending in "." ("flag."); dates
    are whole UTC days, `until` included."""
    events = AuditEvent.objects.select_related("actor")
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if action:
        events = (
            events.filter(action__startswith=action)
            if action.endswith(".")
            else events.filter(action=action)
        )
    if target_type:
        events = events.filter(target_type=target_type)
    if since:
        events = events.filter(occurred_at__gte=datetime.combine(since, time(), tzinfo=UTC))
    if until:
        events = events.filter(
            occurred_at__lt=datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC)
        )
    return events.order_by("-occurred_at", "-id")


def audit_events_for(*, target_type: str, target_id: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).order_by(
        "-occurred_at", "-id"
    )


def audit_filter_choices() -> dict[str, list[str]]:
    return {
        "actions": list(
            AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
        ),
        "target_types": list(
            AuditEvent.objects.order_by("target_type")
            .values_list("target_type", flat=True)
            .distinct()
        ),
    }


def webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("url", "id")


def webhook_deliveries(*, limit: int = 100) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("endpoint").order_by("-created_at", "-id")[:limit]


def audit_event_recorded_since(
    *, action: str, target_type: str, target_id: str, since: datetime, after: dict | None = None
) -> bool:
    """Whether an event of `action` on that target was recorded at or after
    `since` (with `after` holding the given keys and values, if given)."""
    events = AuditEvent.objects.filter(
        action=action, target_type=target_type, target_id=target_id, occurred_at__gte=since
    )
    for key, value in (after or {}).items():
        events = events.filter(**{f"after__{key}": value})
    return events.exists()
