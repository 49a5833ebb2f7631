"""The policy editor page: validation, dry run, replay, publish, rollback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.audit.models import AuditEvent
from governance.engine.policy import DEFAULT_POLICY, FULL_MODEL, MINI_MODEL
from governance.policies.models import PolicyVersion
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.budgets.helpers import ingest
from tests.calls.factories import call_record

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)


@pytest.fixture
def admin_page(client, admin_user):
    login(client, admin_user)
    return client


def post(page, document, **fields):
    return page.post("/policies/", {"document": json.dumps(document), **fields})


def test_editor__manager__forbidden(client, manager_user, published):
    login(client, manager_user)

    assert client.get("/policies/").status_code == 403


def test_editor__admin__sees_the_published_policy_and_versions(admin_page, published):
    response = admin_page.get("/policies/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "version 1" in text and "critical-on-full" in text


def test_editor__invalid_draft__errors_name_the_field_and_nothing_is_published(
    admin_page, published
):
    bad = {
        "defaults": {"model": FULL_MODEL},
        "rules": [
            {"name": "x", "when": [{"kind": "risk", "op": "in", "value": "low"}], "then": {}}
        ],
    }

    response = post(admin_page, bad, action="publish")

    assert response.status_code == 400
    assert "rules[0].when[0].value" in response.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_editor__dry_run__shows_the_decision_and_the_rule(admin_page, published):
    response = post(
        admin_page,
        DEFAULT_POLICY,
        action="dry_run",
        task_type="style_review",
        risk="low",
        environment="ci",
        team="",
        attributes="{}",
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert response.context["decision"]["rule"] == "low-risk-volume-on-mini"
    assert MINI_MODEL in text


def test_editor__replay__counts_calls_and_dollars_that_would_move(admin_page, published):
    client = ClientFactory(team=TeamFactory(slug="payments"))
    now = timezone.now()
    ingest(
        client,
        [
            call_record(
                ts=now - timedelta(hours=3), model=FULL_MODEL, task_type="boilerplate", risk="low"
            )
            for _ in range(4)
        ],
    )
    ingest(
        client,
        [
            call_record(
                ts=now - timedelta(hours=3), model=FULL_MODEL, task_type="design", risk="high"
            )
            for _ in range(2)
        ],
    )

    response = post(admin_page, DEFAULT_POLICY, action="replay", days="7")

    replay = response.context["replay"]
    assert replay.calls == 6
    assert replay.calls_moved == 4
    assert [(m.from_model, m.to_model, m.calls) for m in replay.moves] == [
        (FULL_MODEL, MINI_MODEL, 4)
    ]
    moved = replay.moves[0]
    assert moved.usd_after is not None and moved.usd_after < moved.usd  # the mini model is cheaper
    assert replay.savings == moved.usd - moved.usd_after
    assert "4 calls" in response.content.decode() and "saved" in response.content.decode()


def test_editor__publish__new_version_audited_and_in_force(admin_page, admin_user, published):
    draft = {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][:3]}

    response = post(admin_page, draft, action="publish", note="trim")

    assert response.status_code == 302
    assert PolicyVersion.objects.order_by("-number").first().number == 2
    assert AuditEvent.objects.filter(action="policy.publish", actor=admin_user).exists()


def test_editor__rollback__restores_an_earlier_version(admin_page, published):
    post(admin_page, {**DEFAULT_POLICY, "rules": []}, action="publish")

    response = admin_page.post("/policies/versions/1/rollback", {"reason": "bad change"})

    assert response.status_code == 302
    latest = PolicyVersion.objects.order_by("-number").first()
    assert (latest.number, latest.restored_from) == (3, 1)


def test_editor__rollback_by_a_manager__forbidden(client, manager_user, published):
    login(client, manager_user)

    assert client.post("/policies/versions/1/rollback").status_code == 403
    assert PolicyVersion.objects.count() == 1
