"""Four-eyes approval: with it on, what moves money waits for a second admin;
the author cannot approve their own; a request whose target moved on is
stale; the kill switch and rollbacks act at once and raise an alert."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from governance.audit.models import AuditEvent, WebhookDelivery
from governance.audit.services import webhook_endpoint_create
from governance.changes.models import ChangeRequest, ChangeStatus
from governance.flags.models import Flag
from governance.flags.services import flag_update
from governance.policies.models import PolicyVersion
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(admin_user):
    client = APIClient()
    client.force_login(admin_user)
    return client


@pytest.fixture
def hooks(admin_user):
    return webhook_endpoint_create(
        url="https://hooks.example.com/review", events=["change.*"], actor=admin_user
    )


def _events(endpoint) -> list[str]:
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .order_by("id")
        .values_list("event", flat=True)
    )


def test_four_eyes__publish_waits__author_refused__second_admin_applies__decisions_follow(
    alice, second_admin, published, policy_client, four_eyes, hooks
):
    # Given a draft that sends everything to the mini model
    draft = {
        "rules": [],
        "defaults": {**published.document["defaults"], "model": "gpt-5-codex-mini"},
    }
    before = policy_client.post("/api/v1/decide", {"risk": "critical"}, format="json").json()

    # When Alice publishes it, then tries to approve it herself
    asked = alice.post(
        "/api/v1/admin/policy/publish",
        {"document": draft, "reason": "mini everywhere"},
        format="json",
    )
    change_id = asked.json()["change_request"]["id"]
    own = alice.post(f"/api/v1/admin/changes/{change_id}/approve", {}, format="json")
    waiting = policy_client.post("/api/v1/decide", {"risk": "critical"}, format="json").json()
    approved = second_admin.post(
        f"/api/v1/admin/changes/{change_id}/approve", {"reason": "looks right"}, format="json"
    )
    after = policy_client.post("/api/v1/decide", {"risk": "critical"}, format="json").json()

    # Then nothing moved until Bob approved; then the decision API serves it
    assert asked.status_code == 202
    assert asked.json()["change_request"]["diff"]
    assert own.status_code == 403
    assert waiting["policy_version"] == before["policy_version"] == 1
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    assert after["policy_version"] == 2
    assert (before["model"], after["model"]) == ("gpt-5-codex", "gpt-5-codex-mini")
    assert PolicyVersion.objects.get(number=2).document == draft
    assert _events(hooks) == ["change.requested", "change.approved", "change.applied"]


def test_four_eyes__target_changed_since__request_is_stale_and_nothing_applied(
    alice, second_admin, four_eyes, admin_user
):
    make_flag(key="peak-hours", enabled=True)
    asked = alice.patch(
        "/api/v1/admin/flags/peak-hours",
        {"rollout": [{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}],
         "reason": "halve the pilot"},
        format="json",
    )  # fmt: skip
    flag_update(
        flag=Flag.objects.get(key="peak-hours"),
        actor=admin_user,
        reason="meanwhile",
        default_variant="off",
    )

    approved = second_admin.post(
        f"/api/v1/admin/changes/{asked.json()['change_request']['id']}/approve",
        {},
        format="json",
    )

    assert asked.status_code == 202
    assert approved.status_code == 409 and approved.json()["status"] == "stale"
    assert Flag.objects.get(key="peak-hours").rollout == []


def test_four_eyes__kill_switch__applies_at_once_and_alerts_for_review(
    alice, second_admin, four_eyes, hooks
):
    make_flag(key="mini-flows", enabled=True)

    killed = alice.post(
        "/api/v1/admin/flags/mini-flows/toggle",
        {"enabled": False, "reason": "mini model failing tests"},
        format="json",
    )
    change = ChangeRequest.objects.get()
    page = second_admin.get("/changes/")
    reviewed = second_admin.post(
        f"/api/v1/admin/changes/{change.pk}/review", {"reason": "agreed"}, format="json"
    )

    assert killed.status_code == 200 and killed.json()["enabled"] is False
    assert Flag.objects.get(key="mini-flows").enabled is False
    assert change.emergency and change.status == ChangeStatus.APPLIED
    assert "change.emergency" in _events(hooks)
    assert "Emergency changes to review" in page.content.decode()
    assert reviewed.status_code == 200 and reviewed.json()["reviewed_by"] == "bob-admin"


def test_four_eyes__turning_a_flag_on_waits_but_its_description_does_not(alice, four_eyes):
    make_flag(key="mini-flows", enabled=False)

    on = alice.post(
        "/api/v1/admin/flags/mini-flows/toggle", {"enabled": True, "reason": "go"}, format="json"
    )
    described = alice.patch(
        "/api/v1/admin/flags/mini-flows", {"description": "mini flows", "reason": "doc"},
        format="json",
    )  # fmt: skip

    assert on.status_code == 202 and Flag.objects.get(key="mini-flows").enabled is False
    assert described.status_code == 200 and described.json()["description"] == "mini flows"


def test_four_eyes__rejected_with_reason__nothing_applied(alice, second_admin, four_eyes, hooks):
    make_flag(key="mini-flows", enabled=False)
    asked = alice.post(
        "/api/v1/admin/flags/mini-flows/toggle", {"enabled": True, "reason": "go"}, format="json"
    )
    change_id = asked.json()["change_request"]["id"]

    no_reason = second_admin.post(f"/api/v1/admin/changes/{change_id}/reject", {}, format="json")
    rejected = second_admin.post(
        f"/api/v1/admin/changes/{change_id}/reject", {"reason": "not during the freeze"},
        format="json",
    )  # fmt: skip

    assert no_reason.status_code == 400
    assert rejected.json()["status"] == "rejected"
    assert Flag.objects.get(key="mini-flows").enabled is False
    assert _events(hooks)[-1] == "change.rejected"


def test_four_eyes_switch__audited_and_off_by_default(alice):
    assert alice.get("/api/v1/admin/change-control").json() == {"four_eyes": False}

    switched = alice.put(
        "/api/v1/admin/change-control", {"four_eyes": True, "reason": "SOC 2"}, format="json"
    )

    assert switched.json() == {"four_eyes": True}
    event = AuditEvent.objects.get(action="change_control.four_eyes")
    assert (event.actor_label, event.reason, event.after) == (
        "alice-admin",
        "SOC 2",
        {"four_eyes": True},
    )


def test_four_eyes__pages_too__publishing_in_the_editor_waits_and_the_kill_switch_does_not(
    client, admin_user, published, four_eyes
):
    client.force_login(admin_user)
    make_flag(key="mini-flows", enabled=True)
    draft = {"rules": [], "defaults": published.document["defaults"]}

    published_page = client.post(
        "/policies/",
        {"action": "publish", "document": json.dumps(draft), "note": "no rules"},
        follow=True,
    )
    killed = client.post(
        "/flags/mini-flows/toggle/", {"enabled": "false", "reason": "failing"}, follow=True
    )

    assert "waits for another admin" in published_page.content.decode()
    assert PolicyVersion.objects.count() == 1
    assert ChangeRequest.objects.get(status=ChangeStatus.PENDING).kind == "policy.publish"
    assert killed.status_code == 200 and Flag.objects.get(key="mini-flows").enabled is False
    assert ChangeRequest.objects.get(emergency=True).kind == "flag.toggle"
