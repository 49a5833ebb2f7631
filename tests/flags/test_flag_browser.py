"""Headless Chromium over the flag pages: an admin switches a flag off from the
list without a page reload, and finds the change in the audit log."""

from __future__ import annotations

import pytest

from governance.flags.models import Flag
from tests.accounts.factories import UserFactory
from tests.browser import sign_in
from tests.flags.factories import make_flag

# The live server runs in another thread, so the data must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium, live_server):
    UserFactory(username="ada-admin", role="admin")
    page, errors = sign_in(chromium, live_server.url, "ada-admin", then="/flags/")
    page.errors = errors
    return page


def test_browser__admin_turns_flag_off_from_the_list__no_reload_and_audited(page, live_server):
    make_flag(key="mini-model-flows")
    page.goto(f"{live_server.url}/flags/")
    page.evaluate("window.notReloaded = true")
    row = page.locator("tr[data-flag=mini-model-flows]")
    row.locator("input[name=reason]").fill("incident: mini model degraded")
    row.locator("button[type=submit]").click()
    page.locator("#flag-status").get_by_text("is now off").wait_for()

    assert row.locator(".state .badge").inner_text() == "off"
    assert row.locator("button[type=submit]").inner_text() == "Turn on"
    assert page.evaluate("window.notReloaded") is True
    assert Flag.objects.get(key="mini-model-flows").enabled is False

    page.goto(f"{live_server.url}/audit/?action=flag.toggled")
    assert page.get_by_text("incident: mini model degraded").count() == 1
    assert page.errors == []


def test_browser__admin_submits_without_reason__browser_asks_for_it(page, live_server):
    make_flag(key="mini-model-flows")
    page.goto(f"{live_server.url}/flags/")
    page.locator("tr[data-flag=mini-model-flows] button[type=submit]").click()
    assert page.locator("input[name=reason]:invalid").count() == 1
    assert Flag.objects.get(key="mini-model-flows").enabled is True


def test_browser__admin_builds_a_targeting_rule_in_the_form__checked_then_saved(page, live_server):
    make_flag(key="mini-model-flows")
    page.goto(f"{live_server.url}/flags/mini-model-flows/")

    page.click("#add-flag-rule")
    page.fill('[data-path="rules[0].name"]', "payments pilot")
    page.click('[data-path="rules[0]"] button:has-text("Add condition")')
    page.fill('[data-path="rules[0].conditions[0].attribute"]', "team")
    page.select_option('[data-path="rules[0].conditions[0].operator"]', "in")
    page.fill('[data-path="rules[0].conditions[0].value"]', "payments, search")
    page.select_option('[data-path="rules[0].serve"]', "split")
    page.fill('[data-path="rules[0].split[0].weight"]', "20")
    page.click('[data-path="rules[0]"] button:has-text("Add share")')
    page.select_option('[data-path="rules[0].split[1].variant"]', "off")
    page.fill('[data-path="rules[0].split[1].weight"]', "70")
    page.fill("#id_reason", "pilot for payments and search")
    page.click("button:has-text('Save changes')")

    # Checked by the server as before, and the message sits on the rule it names.
    rule = page.locator('[data-path="rules[0]"]')
    assert "weights must add up to 100" in rule.locator(".field-error").inner_text()
    assert Flag.objects.get(key="mini-model-flows").rules == []
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.errors.clear()

    page.fill('[data-path="rules[0].split[1].weight"]', "80")
    page.click("button:has-text('Save changes')")
    assert "saved" in page.inner_text(".messages")
    assert Flag.objects.get(key="mini-model-flows").rules == [
        {
            "name": "payments pilot",
            "conditions": [
                {"attribute": "team", "operator": "in", "value": ["payments", "search"]}
            ],
            "variant": None,
            "split": [{"variant": "on", "weight": 20}, {"variant": "off", "weight": 80}],
            "schedule": None,
        }
    ]
    assert page.errors == []
