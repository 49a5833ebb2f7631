from __future__ import annotations

from datetime import UTC, datetime

import pytest

from governance.audit.models import AuditEvent, WebhookEndpoint
from governance.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(admin_user):
    def at(day, **kwargs):
        event = audit_record(**kwargs)
        AuditEvent.objects.filter(pk=event.pk).update(
            occurred_at=datetime(2026, 3, day, 12, tzinfo=UTC)
        )

    at(
        1,
        action="flag.created",
        target_type="flags.flag",
        target_id="1",
        actor=admin_user,
        reason="pilot",
    )
    at(
        2,
        action="flag.toggled",
        target_type="flags.flag",
        target_id="1",
        actor=admin_user,
        reason="incident",
    )
    at(
        3,
        action="budget.updated",
        target_type="budgets.budget",
        target_id="9",
        actor="system:budget-evaluator",
    )
    at(4, action="apikey.revoked", target_type="accounts.apikey", target_id="3", actor="bob")


def rows(response):
    return response.content.decode().count('class="audit-event"')


def test_audit_log__manager__reads_every_event(as_manager, history):
    response = as_manager.get("/audit/")
    assert response.status_code == 200
    assert rows(response) == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=alice", 2),
        ("actor=system", 1),
        ("action=flag.toggled", 1),
        ("action=flag.", 2),
        ("target_type=accounts.apikey", 1),
        ("since=2026-03-02&until=2026-03-03", 2),
        ("since=2026-03-04", 1),
        ("action=flag.&since=2026-03-02", 1),
    ],
)
def test_audit_log__filters__only_matching_events(as_manager, history, query, expected):
    assert rows(as_manager.get(f"/audit/?{query}")) == expected


def test_audit_log__until_before_since__400_naming_the_field(as_manager, history):
    response = as_manager.get("/audit/?since=2026-03-04&until=2026-03-01")
    assert response.status_code == 400
    assert "must not be before" in response.content.decode()


def test_audit_log__anonymous__sent_to_login(client):
    assert client.get("/audit/").status_code == 302


def test_audit_log__query_count__pinned(as_manager, history, django_assert_max_num_queries):
    # session, user, groups; distinct actions, distinct target types; count and page.
    with django_assert_max_num_queries(7):
        as_manager.get("/audit/")


def test_webhooks_page__manager__sees_deliveries_but_cannot_add(as_manager):
    from governance.audit.services import webhook_endpoint_create, webhooks_dispatch

    webhook_endpoint_create(
        url="https://hooks.example.com/g", events=["flag.*"], actor="system:tests"
    )
    webhooks_dispatch(event="flag.toggled", payload={"key": "k"})  # not committed: stays pending
    response = as_manager.get("/audit/webhooks/")
    assert response.status_code == 200
    assert response.content.decode().count('class="delivery"') == 1
    assert "Add a webhook" not in response.content.decode()
    posted = as_manager.post(
        "/audit/webhooks/new/", {"url": "https://x.example", "events": "*", "reason": "r"}
    )
    assert posted.status_code == 403
    assert not WebhookEndpoint.objects.filter(url="https://x.example").exists()


def test_webhooks_page__admin_adds_endpoint__secret_shown_once_and_audited(as_admin):
    response = as_admin.post(
        "/audit/webhooks/new/",
        {
            "url": "https://hooks.example.com/governor",
            "events": "flag.*, budget.*",
            "reason": "chatops",
        },
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["flag.*", "budget.*"]
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in as_admin.get("/audit/webhooks/").content.decode()
    assert AuditEvent.objects.filter(action="webhook.created").exists()


def test_webhooks_page__admin_pauses_endpoint_with_reason(as_admin):
    endpoint = WebhookEndpoint.objects.create(
        url="https://x.example",
        events=["*"],
        secret="s",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    as_admin.post(
        f"/audit/webhooks/{endpoint.pk}/active/", {"is_active": "false", "reason": "receiver down"}
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert AuditEvent.objects.get(action="webhook.deactivated").reason == "receiver down"
