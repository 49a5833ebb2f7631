from __future__ import annotations

import fnmatch
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from governance.audit.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from governance.core.egress import EgressRefused, address_refusal, opener_build, url_origin
from governance.core.enqueue import task_enqueue
from governance.core.errors import FieldError

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
    # Only a person is linked; an API-key principal ("client:...") or a system
    # label is kept as the label alone.
    user = actor if isinstance(actor, get_user_model()) and actor.is_authenticated else None
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
        extra={
            "audit_id": event.pk,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
        },
    )
    return event


def audit_record_and_notify(*, event: str, payload: dict, **change: Any) -> AuditEvent:
    """Record one change (`change` holds `audit_record`'s arguments) and
    announce it as `event` with `payload` to every webhook subscribed to it.

    Call it inside the transaction that makes the change: the audit event, the
    deliveries and the change commit together, and a rolled-back change is
    neither recorded nor sent.
    """
    recorded = audit_record(**change)
    webhooks_dispatch(event=event, payload=payload)
    return recorded


# --------------------------------------------------------------------------- webhooks

SIGNATURE_HEADER = "X-Governor-Signature"
TIMESTAMP_HEADER = "X-Governor-Timestamp"
EVENT_HEADER = "X-Governor-Event"
DELIVERY_HEADER = "X-Governor-Delivery"


class WebhookError(FieldError):
    """A webhook endpoint that cannot be registered."""


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, f"{timestamp}." + body).

    The timestamp is signed too, so a receiver that rejects old timestamps
    cannot be fed a replayed delivery.
    """
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_backoff_seconds(*, attempt: int) -> int:
    """Delay before the attempt after `attempt` (1-based): base, 2x base, 4x base ... capped at 1 h."""
    base = settings.GOVERNOR_WEBHOOK_BACKOFF_SECONDS
    return int(min(base * 2 ** (attempt - 1), 3600))


def _clean_patterns(events: list[str]) -> list[str]:
    patterns = [e.strip() for e in events if e and e.strip()]
    if not patterns:
        raise WebhookError("events", "name at least one event pattern, such as flag.* or *")
    for pattern in patterns:
        if len(pattern) > 64 or any(c.isspace() for c in pattern):
            raise WebhookError("events", f"{pattern!r} is not an event pattern")
    return patterns


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise WebhookError("url", "must be an http:// or https:// URL")
    parts = urlsplit(url)
    try:
        host = parts.hostname
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError:
        raise WebhookError("url", "has a port that is not a number from 1 to 65535") from None
    if not host:
        raise WebhookError("url", "names no host")
    # A literal address is refused now; a name is checked at every delivery,
    # since what it resolves to can change.
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return
    refusal = address_refusal(literal, allowed=settings.GOVERNOR_WEBHOOK_ALLOWED_NETWORKS)
    if refusal is not None:
        raise WebhookError("url", f"{refusal}; webhooks are sent to public addresses only")


def webhook_endpoint_create(
    *, url: str, events: list[str], description: str = "", actor: Any, reason: str = ""
) -> WebhookEndpoint:
    _check_url(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            events=_clean_patterns(events),
            description=description,
            secret=secrets.token_hex(32),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=timezone.now(),
        )
        audit_record(
            action="webhook.created",
            target=endpoint,
            actor=actor,
            reason=reason,
            # The path and query of an incoming-webhook URL are often its secret.
            after={"url": url_origin(url), "events": endpoint.events, "is_active": True},
        )
    return endpoint


def webhook_endpoint_set_active(
    *, endpoint: WebhookEndpoint, is_active: bool, actor: Any, reason: str = ""
) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = {"is_active": endpoint.is_active}
        endpoint.is_active = is_active
        endpoint.save(update_fields=["is_active"])
        audit_record(
            action="webhook.activated" if is_active else "webhook.deactivated",
            target=endpoint,
            actor=actor,
            reason=reason,
            before=before,
            after={"is_active": is_active},
        )
    return endpoint


def webhooks_dispatch(*, event: str, payload: dict) -> None:
    """Queue `event` for every active endpoint whose patterns match it.

    Call it inside the transaction that made the change: the deliveries are
    rows of that transaction and the Celery tasks are enqueued only once it
    commits, so a rolled-back change sends nothing.
    """
    now = timezone.now()
    # JSON round trip: Decimals, datetimes and UUIDs become strings once, here.
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(is_active=True)
        if any(fnmatch.fnmatchcase(event, pattern) for pattern in e.events)
    ]
    if not endpoints:
        return
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, payload=data, created_at=now) for e in endpoints]
    )
    ids = [d.pk for d in deliveries]
    _enqueue_deliveries(ids)
    logger.info("webhook.dispatched", extra={"event": event, "deliveries": len(ids)})


def _enqueue_deliveries(ids: list[int]) -> None:
    # A delivery the broker refuses stays pending (logged and counted), on the
    # webhooks page where an admin can send it again; the change that raised
    # the event still succeeds.
    def _enqueue() -> None:
        for delivery_id in ids:
            task_enqueue("governance.audit.tasks.webhook_deliver", delivery_id=delivery_id)

    transaction.on_commit(_enqueue)


def webhook_delivery_retry(*, delivery: WebhookDelivery, actor: Any) -> bool:
    """Send a failed delivery again, with a fresh set of attempts. False if it had not failed."""
    with transaction.atomic():
        reopened = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.FAILED
        ).update(status=WebhookDelivery.Status.PENDING, attempts=0)
        if not reopened:
            return False
        audit_record(
            action="webhook.delivery_retried",
            target=delivery,
            actor=actor,
            before={
                "status": delivery.status,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
            },
            after={"status": WebhookDelivery.Status.PENDING, "attempts": 0},
        )
        _enqueue_deliveries([delivery.pk])
    return True


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: int | None = None


def webhook_delivery_body(*, delivery: WebhookDelivery) -> bytes:
    document = {
        "id": delivery.pk,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def webhook_delivery_attempt(*, delivery_id: int) -> DeliveryOutcome:
    """Make one attempt; record its outcome; say whether (and when) to retry.

    Network errors, timeouts, 429 and 5xx are retried with exponential backoff
    up to GOVERNOR_WEBHOOK_MAX_ATTEMPTS; any other answer is final.
    """
    # Claim the attempt with a conditional update, so a duplicated task
    # (acks_late redelivery) cannot deliver a finished delivery again.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING
    ).update(attempts=F("attempts") + 1, last_attempt_at=timezone.now())
    if not claimed:
        return DeliveryOutcome(status="skipped")
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = webhook_delivery_body(delivery=delivery)
    timestamp = int(timezone.now().timestamp())
    request = urllib.request.Request(  # noqa: S310  # http(s) only, checked at creation; addresses checked by the opener
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Governor-Webhooks/1",
            SIGNATURE_HEADER: webhook_signature(
                secret=endpoint.secret, timestamp=timestamp, body=body
            ),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.pk),
        },
    )
    status_code: int | None = None
    error = ""
    refused = False
    try:
        timeout = settings.GOVERNOR_WEBHOOK_TIMEOUT_SECONDS
        opener = opener_build(allowed=settings.GOVERNOR_WEBHOOK_ALLOWED_NETWORKS)
        with opener.open(request, timeout=timeout) as response:
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        error = f"HTTP {exc.code}" + (f": {exc.msg}" if 300 <= exc.code < 400 else "")
    except EgressRefused as exc:
        refused = True
        error = str(exc)[:500]
    except urllib.error.URLError as exc:
        refused = isinstance(exc.reason, EgressRefused)
        error = (str(exc.reason) if refused else f"URLError: {exc.reason}")[:500]
    except (TimeoutError, ConnectionError, OSError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:500]

    now = timezone.now()
    if status_code is not None and 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.DELIVERED,
            last_status_code=status_code,
            last_error="",
            delivered_at=now,
        )
        logger.info(
            "webhook.delivered", extra={"delivery_id": delivery_id, "status_code": status_code}
        )
        return DeliveryOutcome(status=WebhookDelivery.Status.DELIVERED)
    # A refused address or a redirect will not change on retry.
    transient = not refused and (status_code is None or status_code >= 500 or status_code == 429)
    exhausted = delivery.attempts >= settings.GOVERNOR_WEBHOOK_MAX_ATTEMPTS
    final = not transient or exhausted
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=WebhookDelivery.Status.FAILED if final else WebhookDelivery.Status.PENDING,
        last_status_code=status_code,
        last_error=error,
    )
    logger.warning(
        "webhook.attempt_failed",
        extra={
            "delivery_id": delivery_id,
            "status_code": status_code,
            "attempt": delivery.attempts,
            "final": final,
        },
    )
    if final:
        return DeliveryOutcome(status=WebhookDelivery.Status.FAILED)
    return DeliveryOutcome(
        status=WebhookDelivery.Status.PENDING,
        retry_in=webhook_backoff_seconds(attempt=delivery.attempts),
    )
