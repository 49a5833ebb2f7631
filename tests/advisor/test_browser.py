"""A real browser: an admin reads the recommended plan first on the Savings
page and drafts it into the policy editor, ready for dry run."""

from __future__ import annotations

import json

import pytest

from tests.accounts.factories import UserFactory
from tests.advisor.conftest import FULL, MINI
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_browser__savings_plan_then_draft_this_plan__editor_holds_the_plan_rules(
    traffic, live_server, chromium
):
    for model in (FULL, MINI):
        traffic("docs", model, runs=30, pass_rate=0.95)
    traffic("refactor", FULL, runs=30, pass_rate=0.95)
    traffic("refactor", MINI, runs=30, pass_rate=0.85)
    UserFactory(username="ada-admin", role="admin")
    page, errors = sign_in(chromium, live_server.url, "ada-admin", then="/savings/")

    # The plan is the first table: docs to the mini model, refactor stays.
    first_table = page.locator("[data-table]").first
    assert first_table.get_attribute("data-table") == "plan"
    plan = first_table.inner_text()
    assert "docs" in plan and "Mini model" in plan and "Full model" in plan

    page.click("#draft-plan")
    page.wait_for_load_state("networkidle")

    assert "/policies/" in page.url
    assert page.locator("#handed").is_visible()
    document = json.loads(page.locator("textarea[name=document]").input_value())
    drafted = [r for r in document["rules"] if r["name"].startswith("advisor-plan-")]
    assert [(r["when"][0]["value"], r["then"]["model"]) for r in drafted] == [("docs", MINI)]
    assert errors == []
