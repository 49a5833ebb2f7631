"""A real browser (Debian's chromium, driven by Playwright) on the policy
editor and the budgets page: an admin dry-runs a draft, publishes it, rolls
back, replays a draft and follows its progress to the result; a manager reads
the budgets."""

from __future__ import annotations

import json

import pytest

from governance.engine.default_policy import DEFAULT_POLICY
from governance.policies.models import PolicyVersion
from governance.policies.services import policy_default_publish, replay_job_run
from tests.accounts.factories import TeamFactory, UserFactory
from tests.browser import sign_in
from tests.budgets.helpers import make_budget
from tests.policies.factories import ReplayJobFactory

pytestmark = [
    pytest.mark.browser,
    # The live server answers from another thread: the data must be committed.
    pytest.mark.django_db(transaction=True),
]


def signed_in(browser, base_url: str, *, role: str, then: str):
    user = UserFactory(username=f"{role}-in-browser", role=role)
    return sign_in(browser, base_url, user.username, then=then)


def test_policy_editor__admin_in_a_browser__dry_runs_publishes_and_rolls_back(
    chromium, live_server, catalog
):
    policy_default_publish()
    page, errors = signed_in(chromium, live_server.url, role="admin", then="/policies/")

    page.goto(f"{live_server.url}/policies/")
    page.fill("input[name=task_type]", "style_review")
    page.select_option("select[name=risk]", "low")
    page.click("button[value=dry_run]")
    assert page.inner_text("#dry-run-rule") == "low-risk-volume-on-mini"
    assert page.inner_text("#dry-run-model") == "gpt-5-codex-mini"

    draft = {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][:2]}
    page.fill("#document", json.dumps(draft, indent=2))
    page.fill("input[name=note]", "only the first two rules")
    page.click("button[value=publish]")
    assert "Published policy version 2" in page.inner_text(".messages")

    page.click("#versions button:has-text('Roll back to 1')")
    assert "version 3 restores version 1" in page.inner_text(".messages")
    assert PolicyVersion.objects.order_by("-number").first().restored_from == 1
    assert errors == []


def test_policy_editor__invalid_draft_in_a_browser__errors_listed_nothing_published(
    chromium, live_server, catalog
):
    policy_default_publish()
    page, _ = signed_in(chromium, live_server.url, role="admin", then="/policies/")

    page.goto(f"{live_server.url}/policies/")
    page.fill(
        "#document",
        '{"defaults": {"model": "gpt-5-codex"}, "rules": [{"name": "x", "then": {"timeout_ms": 0}}]}',
    )
    page.click("button[value=publish]")

    assert "rules[0].then.timeout_ms" in page.inner_text("#errors")
    assert PolicyVersion.objects.count() == 1


def test_policy_replay__admin_in_a_browser__follows_the_progress_bar_to_the_result(
    chromium, live_server, recent_calls
):
    page, errors = signed_in(chromium, live_server.url, role="admin", then="/policies/")

    # Celery is eager in tests: the replay is done before its page opens.
    page.goto(f"{live_server.url}/policies/")
    page.fill("input[name=days]", "7")
    page.click("button[value=replay]")
    page.wait_for_url("**/policies/replays/*/")
    assert "gpt-5-codex-mini" in page.inner_text("#replay-moves")
    assert "low-risk-volume-on-mini" in page.inner_text("#replay-rules")

    # As with a real worker: the page opens on a pending job, which runs meanwhile.
    draft = {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][:2]}
    job = ReplayJobFactory(document=draft, days=7)
    page.goto(f"{live_server.url}/policies/replays/{job.pk}/")
    assert page.get_attribute('[role="progressbar"]', "aria-valuenow") == "0"
    replay_job_run(job_id=str(job.pk))
    page.locator("#replay").wait_for(timeout=10_000)
    # Without the mini-model rules, only the design work on the mini model moves.
    assert "gpt-5-codex-mini gpt-5-codex 3" in " ".join(page.inner_text("#replay-moves").split())
    assert page.locator('[role="progressbar"]').count() == 0

    page.click("#back-to-editor")
    assert json.loads(page.input_value("#document")) == draft
    assert errors == []


def test_budgets_page__manager_in_a_browser__sees_each_budget_and_its_state(chromium, live_server):
    make_budget(team=TeamFactory(slug="payments"), limit="100", name="payments monthly")
    page, errors = signed_in(chromium, live_server.url, role="manager", then="/budgets/")

    page.goto(f"{live_server.url}/budgets/")

    row = page.locator("#budgets tbody tr").first
    assert "payments monthly" in row.inner_text()
    assert "normal" in row.inner_text()
    assert errors == []
