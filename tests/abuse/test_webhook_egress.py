"""Webhooks cannot be pointed inside the network, and their URLs (often
secrets themselves) are shown to managers and kept in the audit log only as
far as their host."""

from __future__ import annotations

import pytest

from governance.audit.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from governance.audit.services import WebhookError, webhook_endpoint_create, webhooks_dispatch
from governance.core.egress import networks_parse
from tests.audit.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

SECRET_PATH = "/services/T000/B000/XXXXsecretXXXX"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.7/hook", "private"),
        ("http://[::1]:8000/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
    ],
)
def test_endpoint_create__internal_address__refused_naming_the_url(url, why):
    with pytest.raises(WebhookError) as refused:
        webhook_endpoint_create(url=url, events=["*"], actor="system:tests")

    assert refused.value.field == "url"
    assert why in refused.value.message


def test_delivery__name_resolving_to_loopback__refused_at_delivery_and_nothing_sent(
    django_capture_on_commit_callbacks,
):
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        webhook_endpoint_create(
            url=f"http://localhost:{port}/hook", events=["*"], actor="system:tests"
        )
        with django_capture_on_commit_callbacks(execute=True):
            webhooks_dispatch(event="flag.toggled", payload={"team": "ci"})

    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1  # a refused address is not retried
    assert "loopback" in delivery.last_error


def test_delivery__redirect__not_followed_and_the_target_gets_nothing(
    settings, django_capture_on_commit_callbacks
):
    # Both ends on loopback, allowed by the operator, so only the redirect is at issue.
    settings.GOVERNOR_WEBHOOK_ALLOWED_NETWORKS = networks_parse(["127.0.0.0/8"])
    with Receiver([200]) as inside, Receiver([302], headers={"Location": inside.url}) as outside:
        webhook_endpoint_create(url=outside.url, events=["*"], actor="system:tests")
        with django_capture_on_commit_callbacks(execute=True):
            webhooks_dispatch(event="flag.toggled", payload={"team": "ci"})

    delivery = WebhookDelivery.objects.get()
    assert len(outside.requests) == 1
    assert inside.requests == []
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_status_code == 302
    assert "not followed" in delivery.last_error


def test_delivery__operator_allows_the_network__delivered(
    settings, django_capture_on_commit_callbacks
):
    settings.GOVERNOR_WEBHOOK_ALLOWED_NETWORKS = networks_parse(["127.0.0.1/32"])
    with Receiver([200]) as receiver:
        webhook_endpoint_create(url=receiver.url, events=["*"], actor="system:tests")
        with django_capture_on_commit_callbacks(execute=True):
            webhooks_dispatch(event="flag.toggled", payload={"team": "ci"})

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_webhooks_page__manager__sees_the_host_but_not_the_path(as_manager):
    webhook_endpoint_create(
        url=f"https://hooks.example.com{SECRET_PATH}", events=["*"], actor="system:tests"
    )

    page = as_manager.get("/audit/webhooks/").content.decode()

    assert "https://hooks.example.com" in page
    assert "XXXXsecretXXXX" not in page


def test_endpoint_create__audit_event__keeps_the_origin_only():
    webhook_endpoint_create(
        url=f"https://hooks.example.com:8443{SECRET_PATH}?token=abc",
        events=["*"],
        actor="system:tests",
    )

    event = AuditEvent.objects.get(action="webhook.created")
    assert event.after["url"] == "https://hooks.example.com:8443"
    assert "secret" not in event.target_repr and "token" not in event.target_repr


def test_webhook_create_page__signing_secret__in_the_page_once_never_in_a_cookie(as_admin):
    response = as_admin.post(
        "/audit/webhooks/new/",
        {"url": "https://hooks.example.com/x", "events": "*", "reason": "chat alerts"},
    )

    secret = WebhookEndpoint.objects.latest("id").secret
    assert response.status_code == 200
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert all(secret not in morsel.value for morsel in response.cookies.values())
    assert secret not in str(as_admin.session.items())
    assert secret not in as_admin.get("/audit/webhooks/").content.decode()
