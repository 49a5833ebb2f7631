"""A real browser (Debian's chromium driven by Playwright) over the pages a
manager and an admin use: they sign in, every page draws its charts without
a JavaScript error, and an admin toggles a flag. Screenshots go to
var/screenshots/ so a person can look at what the test saw."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.accounts.factories import UserFactory
from tests.browser import sign_in

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
    # The live server runs in another thread, so the data must be committed.
    pytest.mark.django_db(transaction=True),
]


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


def test_browser__manager__sees_every_page_drawn_and_no_change_buttons(org, live_server, chromium):
    UserFactory(username="mia-manager", role="manager")

    page, errors = sign_in(chromium, live_server.url, "mia-manager")
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
    page.context.close()


def test_browser__admin__opens_every_page_and_toggles_a_flag(org, live_server, chromium):
    from governance.flags.models import Flag
    from governance.flags.services import flag_create

    admin = UserFactory(username="ada-admin", role="admin")
    flag_create(
        key="ci-tests-on-mini",
        variants={"on": True, "off": False},
        default_variant="on",
        off_variant="off",
        actor=admin,
        reason="pilot: CI test generation on the mini model",
    )

    page, errors = sign_in(chromium, live_server.url, "ada-admin")
    _open_every_page(page, errors, live_server.url, "admin")

    page.goto(f"{live_server.url}/flags/")
    toggle = page.locator("form.toggle").first
    toggle.locator("input[name=reason]").fill("heavy traffic: pausing the pilot")
    toggle.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "admin-flag-toggled.png"), full_page=True)

    assert Flag.objects.get(key="ci-tests-on-mini").enabled is True
    assert errors == []
    page.context.close()


def test_browser__phone__overview_readable_without_sideways_scrolling(org, live_server, chromium):
    UserFactory(username="mia-manager", role="manager")

    page, errors = sign_in(chromium, live_server.url, "mia-manager", width=390, height=844)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    page.locator(".plot .main-svg").first.wait_for(timeout=10_000)
    page.screenshot(path=str(SHOTS / "phone-overview.png"), full_page=True)

    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert errors == []
    page.context.close()
