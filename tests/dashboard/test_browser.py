"""A real browser (Debian's chromium driven by Playwright) over the pages a
manager and an admin use: they sign in, every page draws its charts without
a JavaScript error, and an admin toggles a flag. Screenshots go to
var/screenshots/ so a person can look at what the test saw."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.accounts.factories import UserFactory

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
PAGES = {
    "overview": "/",
    "spend": "/spend/",
    "quality": "/quality/",
    "budgets": "/burn-down/",
    "savings": "/savings/",
    "exports": "/exports/",
    "flags": "/flags/",
}
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the data must be committed;
    # serialized_rollback restores the role groups the migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(monkeypatch):
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # ORM calls are plain synchronous ones, made between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
        # ORM calls made while Playwright's loop ran got their own connection
        # (Django keeps them per context); close it while still in that
        # context, or PostgreSQL refuses to drop the test database at the end.
        connections.close_all()


def _person(username: str, role: str):
    user = UserFactory(username=username, role=role)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(browser, base_url: str, username: str, *, width: int = 1366, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page, errors


def _open_every_page(page, errors, base_url: str, who: str) -> None:
    for name, path in PAGES.items():
        response = page.goto(f"{base_url}{path}")
        assert response is not None and response.status == 200, (name, response and response.status)
        page.wait_for_load_state("networkidle")
        plots = page.locator(".plot[data-figure]")
        for i in range(plots.count()):
            plot = plots.nth(i)
            plot.locator(".main-svg").first.wait_for(timeout=10_000)
            assert plot.get_attribute("data-drawn") == "1", (name, i)
            assert plot.get_attribute("aria-label")
        if name in ("overview", "spend", "quality", "budgets", "savings"):
            assert plots.count() >= 2, name
            # bars, slices or lines: something was drawn, not only the axes
            assert page.locator(".plot .trace, .plot .slice").count() > 0, name
        page.screenshot(path=str(SHOTS / f"{who}-{name}.png"), full_page=True)
        assert errors == [], (name, errors)


def test_browser__manager__sees_every_page_drawn_and_no_change_buttons(org, live_server, browser):
    _person("mia-manager", "manager")

    context, page, errors = _sign_in(browser, live_server.url, "mia-manager")
    _open_every_page(page, errors, live_server.url, "manager")

    page.goto(f"{live_server.url}/savings/")
    assert page.get_by_text("Draft a policy change").count() == 0

    # A long export: requested here, written by Celery, followed by a progress bar.
    page.goto(f"{live_server.url}/exports/")
    page.get_by_role("button", name="Export calls as CSV").click()
    page.wait_for_url("**/exports/*/")
    page.locator("#export-download:not([hidden])").wait_for(timeout=10_000)
    assert page.locator('[role="progressbar"]').get_attribute("aria-valuenow") == "100"
    page.screenshot(path=str(SHOTS / "manager-export-done.png"), full_page=True)
    page.goto(f"{live_server.url}/flags/")
    assert page.locator("form.toggle").count() == 0
    context.close()


def test_browser__admin__opens_every_page_and_toggles_a_flag(org, live_server, browser):
    from governance.flags.models import Flag
    from governance.flags.services import flag_create

    admin = _person("ada-admin", "admin")
    flag_create(
        key="ci-tests-on-mini",
        variants={"on": True, "off": False},
        default_variant="on",
        off_variant="off",
        actor=admin,
        reason="pilot: CI test generation on the mini model",
    )

    context, page, errors = _sign_in(browser, live_server.url, "ada-admin")
    _open_every_page(page, errors, live_server.url, "admin")

    page.goto(f"{live_server.url}/flags/")
    toggle = page.locator("form.toggle").first
    toggle.locator("input[name=reason]").fill("heavy traffic: pausing the pilot")
    toggle.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "admin-flag-toggled.png"), full_page=True)

    assert Flag.objects.get(key="ci-tests-on-mini").enabled is True
    assert errors == []
    context.close()


def test_browser__phone__overview_readable_without_sideways_scrolling(org, live_server, browser):
    _person("mia-manager", "manager")

    context, page, errors = _sign_in(browser, live_server.url, "mia-manager", width=390, height=844)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    page.locator(".plot .main-svg").first.wait_for(timeout=10_000)
    page.screenshot(path=str(SHOTS / "phone-overview.png"), full_page=True)

    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert errors == []
    context.close()
