"""A real browser (Chromium, driven by Playwright) on the policy editor and
the budgets page: an admin builds a rule in the form, dry-runs and publishes
it, pastes JSON, rolls back, replays a draft and follows its progress to the
result; a manager reads the budgets."""

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


def show_json(page) -> None:
    """Unfold the draft's JSON under the rows."""
    page.click("summary:has-text('The policy as JSON')")


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
    show_json(page)
    page.fill("#document", json.dumps(draft, indent=2))
    page.fill("input[name=note]", "only the first two rules")
    page.click("button[value=publish]")
    assert "Published policy version 2" in page.inner_text(".messages")

    page.click("#versions button:has-text('Roll back to 1')")
    assert "version 3 restores version 1" in page.inner_text(".messages")
    assert PolicyVersion.objects.order_by("-number").first().restored_from == 1
    assert errors == []


def test_policy_editor__admin_builds_a_rule_in_the_form__dry_runs_and_publishes_it(
    chromium, live_server, catalog
):
    policy_default_publish()
    page, errors = signed_in(chromium, live_server.url, role="admin", then="/policies/")
    page.goto(f"{live_server.url}/policies/")
    last = len(DEFAULT_POLICY["rules"])
    rule = f"rules[{last}]"

    page.click("#add-rule")
    page.fill(f'[data-path="{rule}.name"]', "docs-on-mini")
    page.click(f'[data-path="{rule}"] button:has-text("Add condition")')
    page.select_option(f'[data-path="{rule}.when[0].kind"]', "task_type")
    page.select_option(f'[data-path="{rule}.when[0].op"]', "in")
    page.fill(f'[data-path="{rule}.when[0].value"]', "docs, changelog")
    page.fill(f'[data-path="{rule}.then.model"]', "gpt-5-codex-mini")
    page.fill(f'[data-path="{rule}.then.escalate_to"]', "gpt-5-codex")
    page.fill(f'[data-path="{rule}.then.timeout_ms"]', "45000")
    page.fill(f'[data-path="{rule}.reason"]', "{task_type} is documentation: {model} writes it")
    # Before the catch-all low-risk rule, so that it decides first.
    page.click(f'[data-path="{rule}"] button[aria-label="Move rule {last + 1} up"]')

    page.fill("input[name=task_type]", "docs")
    page.select_option("select[name=risk]", "low")
    page.click("button[value=dry_run]")
    assert page.inner_text("#dry-run-rule") == "docs-on-mini"
    assert page.inner_text("#dry-run-model") == "gpt-5-codex-mini"

    page.fill("input[name=note]", "documentation on the mini model")
    page.click("button[value=publish]")
    assert "Published policy version 2" in page.inner_text(".messages")
    published = PolicyVersion.objects.get(number=2)
    assert published.note == "documentation on the mini model"
    assert published.document["rules"][last - 1] == {
        "name": "docs-on-mini",
        "when": [{"kind": "task_type", "op": "in", "value": ["docs", "changelog"]}],
        "then": {"model": "gpt-5-codex-mini", "escalate_to": "gpt-5-codex", "timeout_ms": 45000},
        "reason": "{task_type} is documentation: {model} writes it",
    }
    assert "task type is one of docs, changelog" in page.inner_text("#readable-rules")
    assert errors == []


def test_policy_editor__json_file_imported__shown_as_rows_and_published(
    chromium, live_server, catalog, tmp_path
):
    policy_default_publish()
    page, errors = signed_in(chromium, live_server.url, role="admin", then="/policies/")
    imported = {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][1:3]}
    file = tmp_path / "policy.json"
    file.write_text(json.dumps(imported))

    page.goto(f"{live_server.url}/policies/")
    show_json(page)
    page.set_input_files("input[type=file]", str(file))
    page.locator('[data-path="rules[2]"]').wait_for(state="detached")

    assert page.input_value('[data-path="rules[0].name"]') == "critical-on-full"
    page.click("button[value=publish]")
    assert PolicyVersion.objects.get(number=2).document == imported
    assert errors == []


def test_policy_editor__invalid_draft_in_a_browser__errors_listed_nothing_published(
    chromium, live_server, catalog
):
    policy_default_publish()
    page, _ = signed_in(chromium, live_server.url, role="admin", then="/policies/")

    page.goto(f"{live_server.url}/policies/")
    show_json(page)
    page.fill(
        "#document",
        '{"defaults": {"model": "gpt-5-codex"}, "rules": [{"name": "x", "then": {"timeout_ms": 0}}]}',
    )
    page.click("button[value=publish]")

    assert "rules[0].then.timeout_ms" in page.inner_text("#errors")
    # ... and beside the field it names, in the rows drawn from the rejected draft.
    field = page.locator('[data-path="rules[0].then.timeout_ms"]')
    assert field.get_attribute("aria-invalid") == "true"
    assert "whole number of milliseconds" in field.locator("xpath=..").inner_text()
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
