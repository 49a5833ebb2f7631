"""Headless Chromium over the flag pages: an admin switches a flag off from the
list without a page reload, and finds the change in the audit log."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from governance.accounts import roles
from governance.flags.models import Flag
from tests.accounts.factories import UserFactory
from tests.flags.factories import make_flag

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"

# The live server runs in another thread, so the data must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made between browser steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Transactional tests flush the tables between them, role groups included
    # (a data migration made them); serialized_rollback would clash with the
    # content types that the flush re-creates.
    Group.objects.get_or_create(name=roles.ADMIN_GROUP)
    admin = UserFactory(username="ada-admin", role="admin")
    admin.set_password(PASSWORD)
    admin.save()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.goto(f"{live_server.url}/login/?next=/flags/")
        page.fill("input[name=username]", "ada-admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        yield page
        browser.close()
        # ORM calls made inside Playwright's context got their own connection
        # (Django keeps connections per context); close it, or PostgreSQL
        # refuses to drop the test database at the end of the run.
        connections.close_all()


def test_browser__admin_turns_flag_off_from_the_list__no_reload_and_audited(page, live_server):
    make_flag(key="mini-model-kill-switch")
    page.goto(f"{live_server.url}/flags/")
    page.evaluate("window.notReloaded = true")
    row = page.locator("tr[data-flag=mini-model-kill-switch]")
    row.locator("input[name=reason]").fill("incident: mini model degraded")
    row.locator("button[type=submit]").click()
    page.locator("#flag-status").get_by_text("is now off").wait_for()

    assert row.locator(".state .badge").inner_text() == "off"
    assert row.locator("button[type=submit]").inner_text() == "Turn on"
    assert page.evaluate("window.notReloaded") is True
    assert Flag.objects.get(key="mini-model-kill-switch").enabled is False

    page.goto(f"{live_server.url}/audit/?action=flag.toggled")
    assert page.get_by_text("incident: mini model degraded").count() == 1
    assert page.errors == []


def test_browser__admin_submits_without_reason__browser_asks_for_it(page, live_server):
    make_flag(key="mini-model-kill-switch")
    page.goto(f"{live_server.url}/flags/")
    page.locator("tr[data-flag=mini-model-kill-switch] button[type=submit]").click()
    assert page.locator("input[name=reason]:invalid").count() == 1
    assert Flag.objects.get(key="mini-model-kill-switch").enabled is True
