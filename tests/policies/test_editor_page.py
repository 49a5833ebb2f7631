"""The policy page: managers read the rules in force, the versions and what
changed between two; admins also validate, dry-run, replay (a job with its
own page), publish and roll back."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from governance.audit.models import AuditEvent
from governance.core.jobs import JobStatus
from governance.engine.default_policy import DEFAULT_POLICY, FULL_MODEL, MINI_MODEL
from governance.policies.models import PolicyVersion, ReplayJob
from governance.policies.selectors import policy_replay
from tests.policies.factories import ReplayJobFactory

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)


@pytest.fixture
def admin_page(client, admin_user):
    login(client, admin_user)
    return client


def post(page, document, **fields):
    return page.post("/policies/", {"document": json.dumps(document), **fields})


def test_policy_page__manager__reads_rules_versions_and_health_with_no_change_controls(
    client, manager_user, published
):
    login(client, manager_user)

    response = client.get("/policies/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "critical-on-full" in text
    assert "risk is critical" in text and "model gpt-5-codex" in text
    assert 'id="versions"' in text and 'id="health"' in text
    assert "<textarea" not in text and 'name="action"' not in text
    assert "Roll back to" not in text and "editor.js" not in text


def test_policy_page__manager_posts_a_draft__forbidden_and_nothing_published(
    client, manager_user, published
):
    login(client, manager_user)

    response = post(client, DEFAULT_POLICY, action="publish")

    assert response.status_code == 403
    assert PolicyVersion.objects.count() == 1


def test_policy_page__two_versions_compared__summary_and_changed_lines(
    admin_page, published, manager_user, client
):
    post(admin_page, {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][1:]}, action="publish")
    login(client, manager_user)

    response = client.get("/policies/", {"compare": "1", "with": "2"})

    assert response.status_code == 200
    assert list(response.context["diff"].summary) == ["rule reserve-for-critical removed"]
    removed = [line.text for line in response.context["diff"].lines if line.kind == "removed"]
    assert any('"name": "reserve-for-critical"' in line for line in removed)
    assert 'class="diff-removed"' in response.content.decode()


def test_policy_page__compared_with_a_missing_version__400_naming_it(admin_page, published):
    response = admin_page.get("/policies/", {"compare": "1", "with": "9"})

    assert response.status_code == 400
    assert response.context["compare_errors"] == ["with: there is no policy version 9"]


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


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"risk": "extreme"}, "risk: Must be one of low, medium, high, critical."),
        ({"environment": "moon"}, "environment: Must be one of ci, ide, cli, api, other."),
        ({"attributes": '{"nested": {"a": 1}}'}, "attributes: Attribute &#x27;nested&#x27;"),
        ({"attributes": "[1, 2]"}, "attributes: Must be an object"),
        ({"attributes": "{nope"}, "attributes: Must be a JSON object"),
    ],
)
def test_editor__dry_run_with_a_bad_context_field__400_naming_it_as_the_api_does(
    admin_page, published, fields, named
):
    form = {"task_type": "refactor", "risk": "low", "environment": "ci", **fields}

    response = post(admin_page, DEFAULT_POLICY, action="dry_run", **form)

    assert response.status_code == 400
    assert named in response.content.decode()
    assert "decision" not in response.context


def test_editor__replay__job_queued_audited_and_its_page_opened(
    admin_page, admin_user, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(admin_page, DEFAULT_POLICY, action="replay", days="90")

    job = ReplayJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/policies/replays/{job.pk}/"
    assert (job.status, job.days, job.document, job.requested_by) == (
        JobStatus.PENDING,
        90,
        DEFAULT_POLICY,
        admin_user,
    )
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action="policy.replay", actor=admin_user).exists()


@pytest.mark.parametrize("days", ["0", "91", "a week", "-3"])
def test_editor__replay_with_bad_days__400_naming_days_and_no_job(admin_page, published, days):
    response = post(admin_page, DEFAULT_POLICY, action="replay", days=days)

    assert response.status_code == 400
    assert "days: must be a whole number from 1 to 90" in response.content.decode()
    assert not ReplayJob.objects.exists()


def test_editor__replay_of_a_draft_that_is_not_json__400_naming_the_document_and_no_job(
    admin_page, published
):
    response = admin_page.post("/policies/", {"document": "{rules: [", "action": "replay"})

    assert response.status_code == 400
    assert "document: This is not valid JSON" in response.content.decode()
    assert not ReplayJob.objects.exists()


def test_editor__replay_of_an_invalid_draft__400_naming_the_field_and_no_job(admin_page, published):
    draft = {"defaults": {"model": "no-such-model"}, "rules": []}

    response = post(admin_page, draft, action="replay", days="7")

    assert response.status_code == 400
    assert response.context["errors"] == ["model 'no-such-model' is not in the catalog"]
    assert not ReplayJob.objects.exists()


def test_replay_page__job_pending__progress_bar_at_zero_that_polls_its_status(
    admin_page, admin_user, published
):
    job = ReplayJobFactory(requested_by=admin_user)

    html = admin_page.get(f"/policies/replays/{job.pk}/").content.decode()
    status = admin_page.get(f"/api/v1/policies/replays/{job.pk}").json()

    assert 'role="progressbar"' in html and 'aria-valuenow="0"' in html
    assert f'data-job-status-url="/api/v1/policies/replays/{job.pk}"' in html
    assert "0 of 30 days read" in " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert status == {
        "id": str(job.pk),
        "status": "pending",
        "days": 30,
        "total": 30,
        "done": 0,
        "percent": 0,
        "error": "",
    }


def test_replay_page__job_done__shows_calls_dollars_moves_and_rules_of_the_replay(
    admin_page, published, recent_calls, django_capture_on_commit_callbacks
):
    # Celery is eager here: the job is done by the time its page opens.
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin_page, DEFAULT_POLICY, action="replay", days="7")
    job = ReplayJob.objects.get()

    page = admin_page.get(response["Location"])

    replay = page.context["replay"]
    assert replay == policy_replay(document=DEFAULT_POLICY, days=7, now=job.created_at)
    text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    assert 'role="progressbar"' not in page.content.decode()
    assert f"9 calls (${replay.usd:.2f})" in text
    assert f"7 calls (${replay.usd_moved:.2f}) would go to a different model" in text
    assert f"{FULL_MODEL} {MINI_MODEL} 4 ${replay.moves[0].usd:.2f}" in text
    assert f"{MINI_MODEL} {FULL_MODEL} 3" in text
    assert "low-risk-volume-on-mini 4" in text
    status = admin_page.get(f"/api/v1/policies/replays/{job.pk}").json()
    assert (status["status"], status["done"], status["total"], status["percent"]) == (
        "done",
        7,
        7,
        100,
    )


def test_replay_page__job_failed__shows_its_error(admin_page, admin_user, published):
    job = ReplayJobFactory(requested_by=admin_user)
    ReplayJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error="ValueError: rule 'x' names no model"
    )

    response = admin_page.get(f"/policies/replays/{job.pk}/")

    assert response.status_code == 200
    assert "ValueError: rule &#x27;x&#x27; names no model" in response.content.decode()
    assert "The replay failed" in response.content.decode()


def test_replay_page__back_to_the_editor__draft_and_days_filled_in(
    admin_page, admin_user, published
):
    draft = {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][:2]}
    job = ReplayJobFactory(requested_by=admin_user, document=draft)

    page = admin_page.get(f"/policies/replays/{job.pk}/").content.decode()
    editor = admin_page.get(f"/policies/?replay={job.pk}")

    assert f'href="/policies/?replay={job.pk}"' in page
    assert json.loads(editor.context["document_text"]) == draft
    assert editor.context["form"]["days"] == 30


@pytest.mark.parametrize(
    "path",
    [
        f"/policies/replays/{uuid.UUID(int=7)}/",
        f"/api/v1/policies/replays/{uuid.UUID(int=7)}",
        f"/policies/?replay={uuid.UUID(int=7)}",
        "/policies/?replay=not-a-uuid",
    ],
)
def test_replay_page__unknown_replay__404(admin_page, published, path):
    assert admin_page.get(path).status_code == 404


def test_replay_page__manager__forbidden(client, manager_user, admin_user, published):
    job = ReplayJobFactory(requested_by=admin_user)
    login(client, manager_user)

    assert client.get(f"/policies/replays/{job.pk}/").status_code == 403
    assert client.get(f"/api/v1/policies/replays/{job.pk}").status_code == 403
    assert client.post("/policies/", {"action": "replay", "days": "7"}).status_code == 403
    assert ReplayJob.objects.count() == 1


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


def test_editor__publish__confirmation_shown_once_on_the_next_page(admin_page, published):
    post(admin_page, {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][:3]}, action="publish")

    shown = admin_page.get("/policies/").content.decode()
    again = admin_page.get("/policies/").content.decode()

    assert "Published policy version 2." in shown
    assert "Published policy version 2." not in again


def test_editor__drafted_from_savings__task_type_moved_to_mini_after_every_safety_rule(
    admin_page, published
):
    response = admin_page.get(
        "/policies/",
        {"move_to_mini": "refactor", "mini": MINI_MODEL, "full": FULL_MODEL},
    )

    assert response.status_code == 200
    draft = json.loads(response.context["document_text"])
    assert draft["rules"][:-1] == DEFAULT_POLICY["rules"]
    assert draft["rules"][-1]["name"] == "refactor-on-mini"
    assert 'id="drafted"' in response.content.decode()
    assert PolicyVersion.objects.count() == 1  # nothing published by opening the draft
    low = post(admin_page, draft, action="dry_run", task_type="refactor", risk="low")
    critical = post(admin_page, draft, action="dry_run", task_type="refactor", risk="critical")
    assert (low.context["decision"]["model"], low.context["decision"]["escalate_to"]) == (
        MINI_MODEL,
        FULL_MODEL,
    )
    assert critical.context["decision"]["model"] == FULL_MODEL


def test_editor__drafted_without_the_models__400_naming_them(admin_page, published):
    response = admin_page.get("/policies/", {"move_to_mini": "refactor"})

    assert response.status_code == 400
    errors = response.context["errors"]
    assert any(e.startswith("mini:") for e in errors)
    assert any(e.startswith("full:") for e in errors)


def test_editor__drafted_link_opened_by_a_manager__read_only_page_without_the_draft(
    client, manager_user, published
):
    login(client, manager_user)

    response = client.get("/policies/", {"move_to_mini": "refactor", "mini": "m", "full": "f"})

    assert response.status_code == 200
    assert "refactor-on-mini" not in response.content.decode()
    assert 'id="drafted"' not in response.content.decode()
