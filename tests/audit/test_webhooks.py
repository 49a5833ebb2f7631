from __future__ import annotations

import hashlib
import hmac
import json
import socket

import pytest
from django.db import transaction

from governance.audit.models import AuditEvent, WebhookDelivery
from governance.audit.services import (
    WebhookError,
    audit_record_and_notify,
    webhook_backoff_seconds,
    webhook_endpoint_create,
    webhooks_dispatch,
)
from tests.audit.webhook_receiver import Receiver
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db


def endpoint(url, events=("*",), actor="system:tests"):
    return webhook_endpoint_create(url=url, events=list(events), actor=actor)


def deliver_once(statuses, capture, event="flag.toggled"):
    """Dispatch one event to a receiver answering `statuses`; return (delivery, receiver)."""
    with Receiver(statuses) as receiver:
        endpoint(receiver.url)
        with capture(execute=True):
            webhooks_dispatch(event=event, payload={"team": "ci"})
    return WebhookDelivery.objects.get(), receiver


def test_flag_change__endpoint_subscribed__receives_json_signed_with_hmac(
    admin_user, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        hook = endpoint(receiver.url, events=["flag.*"])
        with django_capture_on_commit_callbacks(execute=True):
            make_flag(actor=admin_user, reason="pilot")
    headers, body = receiver.requests[0]
    timestamp = headers["X-Governor-Timestamp"]
    expected = hmac.new(
        hook.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Governor-Signature"] == f"sha256={expected}"
    assert headers["X-Governor-Event"] == "flag.created"
    document = json.loads(body)
    assert document["event"] == "flag.created"
    assert document["data"]["key"] == "mini-model-for-ci"
    assert document["data"]["actor"] == admin_user.username
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_audit_record_and_notify__change_rolled_back__neither_recorded_nor_sent():
    endpoint("https://hooks.example.com/a", events=["budget.*"])
    events_before = AuditEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record_and_notify(
            action="budget.state_change",
            event="budget.state_changed",
            payload={"budget": "payments monthly", "to": "fallback"},
            actor="system:tests",
        )
        raise RuntimeError("the change failed after its announcement was queued")

    assert AuditEvent.objects.count() == events_before
    assert not WebhookDelivery.objects.exists()


def test_audit_record_and_notify__committed__one_audit_event_and_one_delivery_per_subscriber():
    endpoint("https://hooks.example.com/a", events=["budget.*"])
    endpoint("https://hooks.example.com/b", events=["flag.*"])

    audit_record_and_notify(
        action="budget.state_change",
        event="budget.state_changed",
        payload={"budget": "payments monthly", "to": "fallback"},
        actor="system:tests",
        reason="at 91 %",
    )

    event = AuditEvent.objects.get(action="budget.state_change")
    assert (event.actor_label, event.reason) == ("system:tests", "at 91 %")
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.endpoint.url, delivery.event) == (
        "https://hooks.example.com/a",
        "budget.state_changed",
    )
    assert delivery.payload == {"budget": "payments monthly", "to": "fallback"}


def test_dispatch__patterns__only_matching_endpoints_get_a_delivery(
    django_capture_on_commit_callbacks,
):
    flags_only = endpoint("http://127.0.0.1:9/flags", events=["flag.*"])
    budgets = endpoint("http://127.0.0.1:9/budgets", events=["budget.*", "quality.alert.*"])
    everything = endpoint("http://127.0.0.1:9/all", events=["*"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhooks_dispatch(event="quality.alert.regression", payload={"model": "gpt-5-codex-mini"})
    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {
        budgets.pk,
        everything.pk,
    }
    assert flags_only.deliveries.count() == 0
    assert len(callbacks) == 1


def test_dispatch__transaction_rolled_back__nothing_is_sent():
    from django.db import transaction

    endpoint("http://127.0.0.1:9/all")
    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks_dispatch(event="flag.toggled", payload={})
        raise RuntimeError("the change fails")
    assert WebhookDelivery.objects.count() == 0


def test_delivery__server_errors_then_ok__retried_until_delivered(
    django_capture_on_commit_callbacks,
):
    delivery, receiver = deliver_once(
        [500, 503, 204], django_capture_on_commit_callbacks, "budget.threshold"
    )
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 204)
    # Each attempt is signed afresh but carries the same body.
    assert len({body for _, body in receiver.requests}) == 1


def test_delivery__endpoint_keeps_failing__stops_after_max_attempts(
    settings, django_capture_on_commit_callbacks
):
    settings.GOVERNOR_WEBHOOK_MAX_ATTEMPTS = 3
    delivery, receiver = deliver_once([502], django_capture_on_commit_callbacks)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 502)
    assert len(receiver.requests) == 3


def test_delivery__client_error__not_retried(django_capture_on_commit_callbacks):
    delivery, _ = deliver_once([410], django_capture_on_commit_callbacks)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 410)


def test_delivery__connection_refused__network_error_recorded_and_retried(
    settings, django_capture_on_commit_callbacks
):
    settings.GOVERNOR_WEBHOOK_MAX_ATTEMPTS = 2
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    endpoint(f"http://127.0.0.1:{closed_port}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_dispatch(event="flag.toggled", payload={})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, None)
    assert "refused" in delivery.last_error.lower()


def test_backoff__successive_attempts__doubles_from_the_base(settings):
    settings.GOVERNOR_WEBHOOK_BACKOFF_SECONDS = 10
    assert [webhook_backoff_seconds(attempt=n) for n in range(1, 6)] == [10, 20, 40, 80, 160]
    assert webhook_backoff_seconds(attempt=30) == 3600


def test_endpoint_create__not_http__refused_naming_url():
    with pytest.raises(WebhookError) as caught:
        endpoint("file:///etc/passwd")
    assert caught.value.field == "url"


def test_endpoint_create__audited_without_the_secret(admin_user):
    hook = endpoint("https://hooks.example.com/governor", actor=admin_user)
    event = AuditEvent.objects.get(action="webhook.created")
    assert event.actor == admin_user
    assert hook.secret not in json.dumps(event.after)


def test_deliver_task__on_a_worker_after_a_5xx__retries_later_with_backoff(settings, monkeypatch):
    from governance.audit import tasks

    settings.GOVERNOR_WEBHOOK_BACKOFF_SECONDS = 7
    scheduled = []

    def fake_retry(*, countdown):
        scheduled.append(countdown)
        return RuntimeError("retry scheduled")

    monkeypatch.setattr(tasks.webhook_deliver, "retry", fake_retry)
    with Receiver([503]) as receiver:
        endpoint(receiver.url)
        webhooks_dispatch(event="flag.toggled", payload={})
        delivery = WebhookDelivery.objects.get()
        with pytest.raises(RuntimeError):
            tasks.webhook_deliver(delivery.pk)  # called like a worker would, not eagerly
        with pytest.raises(RuntimeError):
            tasks.webhook_deliver(delivery.pk)
    assert scheduled == [7, 14]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)


def test_deliver_task__delivery_already_delivered__not_sent_again(
    django_capture_on_commit_callbacks,
):
    from governance.audit.tasks import webhook_deliver

    delivery, receiver = deliver_once([200], django_capture_on_commit_callbacks)
    assert webhook_deliver(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_audit_record__api_key_principal_as_actor__kept_as_its_label(issue_key):
    from governance.accounts.authentication import ClientPrincipal
    from governance.audit.services import audit_record

    _, key = issue_key()
    principal = ClientPrincipal(client=key.client, team=key.client.team)
    event = audit_record(action="flag.evaluated", actor=principal)
    assert (event.actor, event.actor_label) == (None, f"client:{key.client.name}")


def test_failed_delivery__admin_retries_from_the_page__sent_again_and_audited(
    client, admin_user, django_capture_on_commit_callbacks
):
    from tests.audit.fixtures import login

    delivery, _ = deliver_once([410], django_capture_on_commit_callbacks)
    with Receiver([200]) as fixed:
        delivery.endpoint.url = fixed.url
        delivery.endpoint.save()
        with django_capture_on_commit_callbacks(execute=True):
            response = login(client, admin_user).post(
                f"/audit/webhooks/deliveries/{delivery.pk}/retry/"
            )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert AuditEvent.objects.get(action="webhook.delivery_retried").before["status"] == "failed"


def test_failed_delivery__manager_posts_retry__403(
    client, manager_user, django_capture_on_commit_callbacks
):
    from tests.audit.fixtures import login

    delivery, _ = deliver_once([410], django_capture_on_commit_callbacks)
    assert (
        login(client, manager_user)
        .post(f"/audit/webhooks/deliveries/{delivery.pk}/retry/")
        .status_code
        == 403
    )
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_dispatch__broker_refuses__change_succeeds_and_delivery_left_pending(
    monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerDown

    from governance.audit.tasks import webhook_deliver
    from governance.celery import app as celery_app

    def refuse(*args, **kwargs):
        raise BrokerDown("connection refused")

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(webhook_deliver, "apply_async", refuse)
    endpoint("https://hooks.example.com/all")

    with django_capture_on_commit_callbacks(execute=True):
        audit_record_and_notify(
            action="flag.toggle", event="flag.toggled", payload={}, actor="system:tests"
        )

    celery_app.conf.task_always_eager = eager

    assert AuditEvent.objects.filter(action="flag.toggle").count() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
