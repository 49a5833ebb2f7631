"""The admin API: every write with a reason, audited with the key as actor,
answered with the new state and its version; a stale If-Match is 412."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from governance.audit.models import AuditEvent
from governance.flags.models import Flag
from governance.flags.selectors import flags_snapshot
from governance.policies.models import PolicyVersion
from tests.accounts.factories import TeamFactory
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db

FLAG = {
    "key": "peak-hours",
    "variants": {"on": True, "off": False},
    "default_variant": "on",
    "off_variant": "off",
    "enabled": True,
    "schedule": {"timezone": "UTC", "windows": [{"start": "09:00", "end": "18:00"}]},
}


def test_admin_flag_create__admin_key__answers_state_and_version_and_audits_the_key(
    admin_api, admin_key
):
    response = admin_api.post(
        "/api/v1/admin/flags", {**FLAG, "reason": "pilot in office hours"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["enabled"] is True and body["schedule"]["windows"][0]["start"] == "09:00"
    assert response["ETag"] == body["version"]
    event = AuditEvent.objects.get(action="flag.created")
    assert event.actor_label == f"client:platform/ci key {admin_key[1].prefix}"
    assert event.reason == "pilot in office hours"


def test_admin_flag_update__without_reason__400_naming_reason_and_nothing_changes(admin_api):
    make_flag(key="peak-hours")

    response = admin_api.patch("/api/v1/admin/flags/peak-hours", {"enabled": False}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert Flag.objects.get(key="peak-hours").enabled is True


def test_admin_flag_update__stale_if_match__412_and_the_other_change_survives(admin_api):
    make_flag(key="peak-hours")
    seen = admin_api.get("/api/v1/admin/flags/peak-hours")["ETag"]
    first = admin_api.patch(
        "/api/v1/admin/flags/peak-hours",
        {"owner": "platform", "reason": "owner named"},
        format="json",
        HTTP_IF_MATCH=seen,
    )

    second = admin_api.patch(
        "/api/v1/admin/flags/peak-hours",
        {"owner": "payments", "reason": "overwrite"},
        format="json",
        HTTP_IF_MATCH=seen,
    )

    assert first.status_code == 200 and first["ETag"] != seen
    assert second.status_code == 412
    assert second.json()["current_version"] == first["ETag"]
    assert Flag.objects.get(key="peak-hours").owner == "platform"


def test_admin_flag_archive__out_of_the_snapshot_and_kept_with_its_history(admin_api):
    make_flag(key="old-pilot")

    response = admin_api.post(
        "/api/v1/admin/flags/old-pilot/archive", {"reason": "pilot over"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["archived"] is True and response.json()["enabled"] is False
    assert "old-pilot" not in {spec["key"] for spec in flags_snapshot()}
    assert AuditEvent.objects.filter(action="flag.archived", reason="pilot over").exists()


def test_admin_budget_create_and_update__decimal_limits_and_field_errors(admin_api):
    TeamFactory(slug="payments")
    created = admin_api.post(
        "/api/v1/admin/budgets",
        {"team": "payments", "name": "Monthly", "limit": "1000", "reason": "new budget"},
        format="json",
    )
    pk = created.json()["id"]

    bad = admin_api.patch(
        f"/api/v1/admin/budgets/{pk}",
        {"fallback_threshold_pct": "140", "reason": "typo"},
        format="json",
    )
    good = admin_api.patch(
        f"/api/v1/admin/budgets/{pk}",
        {"limit": "1200.50", "reason": "quarter end"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )

    assert created.status_code == 201 and created.json()["limit"] == "1000"
    assert bad.status_code == 400 and "fallback_threshold_pct" in bad.json()
    assert good.status_code == 200 and good.json()["limit"] == "1200.5"


def test_admin_policy__validate_dry_run_publish_and_roll_back(admin_api, published):
    draft = {**published.document, "rules": published.document["rules"][:1]}

    invalid = admin_api.post(
        "/api/v1/admin/policy/validate",
        {"document": {**draft, "defaults": {"model": "no-such-model"}}},
        format="json",
    )
    dry = admin_api.post(
        "/api/v1/admin/policy/dry-run",
        {"document": draft, "context": {"task_type": "boilerplate", "risk": "low"}},
        format="json",
    )
    published_now = admin_api.post(
        "/api/v1/admin/policy/publish",
        {"document": draft, "note": "one rule", "reason": "simplify"},
        format="json",
    )
    rolled = admin_api.post(
        "/api/v1/admin/policy/rollback", {"number": 1, "reason": "too simple"}, format="json"
    )

    assert invalid.json()["valid"] is False
    assert "no-such-model" in invalid.json()["errors"][0]
    assert dry.status_code == 200 and dry.json()["model"]
    assert published_now.status_code == 201 and published_now.json()["version"] != ""
    assert published_now.json()["document"] == draft
    assert rolled.json()["restored_from"] == 1
    assert PolicyVersion.objects.count() == 3


def test_admin_policy_replay__started_and_read(
    admin_api, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = admin_api.post(
            "/api/v1/admin/policy/replays",
            {"document": published.document, "days": 3},
            format="json",
        )

    read = admin_api.get(f"/api/v1/admin/policy/replays/{started.json()['id']}")

    assert started.status_code == 202
    assert read.json()["status"] == "done"
    assert read.json()["result"]["days"] == 3


def test_admin_webhook__created_with_its_secret_once_and_paused_with_if_match(admin_api):
    created = admin_api.post(
        "/api/v1/admin/webhooks",
        {"url": "https://hooks.example.com/gov", "events": ["change.*"], "reason": "reviewers"},
        format="json",
    )
    pk = created.json()["id"]

    paused = admin_api.patch(
        f"/api/v1/admin/webhooks/{pk}",
        {"is_active": False, "reason": "noisy"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    stale = admin_api.patch(
        f"/api/v1/admin/webhooks/{pk}",
        {"is_active": True, "reason": "again"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )

    assert len(created.json()["secret"]) == 64
    assert "secret" not in admin_api.get("/api/v1/admin/webhooks").json()["webhooks"][0]
    assert paused.status_code == 200 and paused.json()["is_active"] is False
    assert stale.status_code == 412


def test_admin_api__ingest_key_and_manager__refused(issue_key, api_client, manager_user):
    raw, _ = issue_key(scopes=("ingest", "policy:read"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    by_key = api_client.post("/api/v1/admin/flags", {**FLAG, "reason": "x"}, format="json")
    api_client.credentials()
    api_client.force_login(manager_user)
    by_manager = api_client.get("/api/v1/admin/config")

    assert by_key.status_code == 403
    assert by_manager.status_code == 403
    assert not Flag.objects.exists()


def test_create_client__admin_scope__key_shown_once_audited_and_opens_the_admin_api(api_client):
    out = io.StringIO()
    call_command(
        "create_client", "--team", "platform", "--name", "config-ci", "--scopes", "admin",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    raw = out.getvalue().strip().splitlines()[-1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = api_client.get("/api/v1/admin/config")

    assert response.status_code == 200 and response["ETag"]
    issued = AuditEvent.objects.get(action="api_key.issue")
    assert issued.after["scopes"] == ["admin"]
    assert raw not in json.dumps(issued.after)
