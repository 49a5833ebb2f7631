"""A real browser (Chromium driven by Playwright) over every page of the site
for a manager and for an admin: each opens without a console error, charts
are drawn, and a page a role may not use is the site's 403 page, not a bare
one. A test fails until a new page is added to PAGES. Screenshots go to
var/screenshots/ so a person can look at what the test saw."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from governance.audit.services import webhook_endpoint_create
from governance.dashboard.models import ExportJob
from governance.dashboard.services import export_job_create
from governance.engine.default_policy import DEFAULT_POLICY
from governance.policies.services import policy_default_publish, policy_publish, replay_job_run
from tests.accounts.factories import UserFactory
from tests.browser import sign_in
from tests.flags.factories import make_flag
from tests.policies.factories import ReplayJobFactory
from tests.routes import url_routes

READERS = ("manager", "admin")
ADMINS = ("admin",)


@dataclass(frozen=True)
class Page:
    name: str
    route: str  # the URL pattern, as Django spells it
    roles: tuple[str, ...]
    args: tuple[str, ...] = ()  # keys into the world fixture, filling the route's converters


PAGES = (
    Page("overview", "", READERS),
    Page("spend", "spend/", READERS),
    Page("quality", "quality/", READERS),
    Page("budgets", "burn-down/", READERS),
    Page("savings", "savings/", READERS),
    Page("exports", "exports/", READERS),
    Page("export", "exports/<uuid:pk>/", READERS, ("export",)),
    Page("budget-list", "budgets/", READERS),
    Page("budget-new", "budgets/new", ADMINS),
    Page("budget-edit", "budgets/<int:pk>/edit", ADMINS, ("budget",)),
    Page("policy", "policies/", READERS),
    Page("replay", "policies/replays/<uuid:pk>/", ADMINS, ("replay",)),
    Page("flags", "flags/", READERS),
    Page("flag", "flags/<str:key>/", READERS, ("flag",)),
    Page("flag-new", "flags/new/", ADMINS),
    Page("audit", "audit/", READERS),
    Page("webhooks", "audit/webhooks/", READERS),
    Page("api", "api/docs/", READERS),
    Page("tolerance", "advisor/tolerance/", ADMINS),
    Page("changes", "changes/", READERS),
    Page("jobs", "jobs/", ADMINS),
)
NOT_PAGES = (
    # Answers for programs, not people: JSON, YAML, Prometheus text, a redirect.
    "api/v1/",
    "api/schema/",
    "ofrep/",
    "otlp/",
    "healthz",
    "readyz",
    "metrics",
    "favicon.ico",
    # Django's own admin (staff accounts), and sign-in/out (the test signs in through it).
    "admin/",
    "login/",
    "logout/",
    # Forms post here and are sent back to a page above.
    "audit/webhooks/new/",
    "policies/versions/<int:number>/rollback",
    "flags/<str:key>/toggle/",
    "audit/webhooks/<int:pk>/active/",
    "audit/webhooks/deliveries/<int:pk>/retry/",
    # The advisor's actions: a form posts to "draft"; a pilot is offered from
    # the Savings page with its parameters (tests/advisor/test_browser.py).
    "advisor/draft/",
    "advisor/pilot/",
    # Change requests are approved or rejected, and four-eyes switched, from the changes page.
    "changes/<int:pk>/decide",
    "changes/four-eyes",
    # A CSV file.
    "exports/<uuid:pk>/download",
)
PLOTTED = ("overview", "spend", "quality", "budgets", "savings")
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
SHOTS.mkdir(parents=True, exist_ok=True)

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the data must be committed.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def world(org):
    """Something on every page: the org's calls, budgets and test runs, two
    policy versions, a finished replay and export, a flag and a webhook."""
    author = UserFactory(username="setup-admin", role="admin")
    policy_default_publish()
    policy_publish(
        document={**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][1:]},
        actor=author,
        note="no reserve rule",
    )
    replay = ReplayJobFactory(requested_by=author, days=7)
    replay_job_run(job_id=str(replay.pk))
    export = export_job_create(actor=author, filters={})
    make_flag(key="ci-tests-on-mini")
    webhook_endpoint_create(url="https://hooks.example.com/a", events=["*"], actor=author)
    return {
        "export": str(ExportJob.objects.get(pk=export.pk).pk),
        "budget": str(org["payments"].budgets.first().pk),
        "replay": str(replay.pk),
        "flag": "ci-tests-on-mini",
    }


def _path(page: Page, world) -> str:
    path = "/" + page.route
    for arg in page.args:
        path = path.split("<", 1)[0] + world[arg] + path.split(">", 1)[1]
    return path


def _open_every_page(page, errors, base_url: str, who: str, world) -> None:
    for entry in PAGES:
        if who not in entry.roles:
            continue
        response = page.goto(f"{base_url}{_path(entry, world)}")
        assert response is not None and response.status == 200, (entry.name, response.status)
        page.wait_for_load_state("networkidle")
        plots = page.locator(".plot[data-figure]")
        for i in range(plots.count()):
            plot = plots.nth(i)
            plot.locator(".main-svg").first.wait_for(timeout=10_000)
            assert plot.get_attribute("data-drawn") == "1", (entry.name, i)
            assert plot.get_attribute("aria-label")
        if entry.name in PLOTTED:
            assert plots.count() >= 2, entry.name
            # bars, slices or lines: something was drawn, not only the axes
            assert page.locator(".plot .trace, .plot .slice").count() > 0, entry.name
        if entry.name == "api":
            page.locator("#swagger-ui .opblock").first.wait_for(timeout=10_000)
        page.screenshot(path=str(SHOTS / f"{who}-{entry.name}.png"), full_page=True)
        assert errors == [], (entry.name, errors)


def test_browser_pages__every_page_route__listed_for_the_browser_tests():
    assert url_routes(skip=NOT_PAGES) - {page.route for page in PAGES} == set()


def test_browser__manager__every_page_without_a_console_error_and_no_change_buttons(
    world, live_server, chromium
):
    UserFactory(username="mia-manager", role="manager")

    page, errors = sign_in(chromium, live_server.url, "mia-manager")
    _open_every_page(page, errors, live_server.url, "manager", world)

    # Pages for admins are not in a manager's way, and the one they may
    # still reach by its address is the site's own 403 page.
    nav = page.locator("nav[aria-label=Main]").inner_text()
    assert "Policy" in nav and "API" in nav
    response = page.goto(f"{live_server.url}/budgets/new")
    page.wait_for_load_state("networkidle")
    assert response.status == 403
    assert "Only Governor admins may open this page." in page.inner_text("#error-403")
    page.click("#error-403 a:has-text('Back to the overview')")
    assert page.url == f"{live_server.url}/"
    assert errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
    errors.clear()

    page.goto(f"{live_server.url}/policies/")
    assert page.locator("#policy-form, form[method=post] button, textarea").count() == 1  # sign out
    assert "critical-on-full" in page.inner_text("#readable-rules")
    page.select_option("select[name=compare]", "1")
    page.select_option("select[name=with]", "2")
    page.click("#compare button")
    assert "rule reserve-for-critical removed" in page.inner_text("#diff-summary")

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


def test_browser__admin__every_page_without_a_console_error_and_toggles_a_flag(
    world, live_server, chromium
):
    from governance.flags.models import Flag

    UserFactory(username="ada-admin", role="admin")
    was_on = Flag.objects.get(key="ci-tests-on-mini").enabled

    page, errors = sign_in(chromium, live_server.url, "ada-admin")
    _open_every_page(page, errors, live_server.url, "admin", world)

    page.goto(f"{live_server.url}/no-such-page/")
    assert "/no-such-page/" in page.inner_text("#error-404")
    assert errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
    errors.clear()

    page.goto(f"{live_server.url}/flags/")
    toggle = page.locator("form.toggle").first
    toggle.locator("input[name=reason]").fill("heavy traffic: pausing the pilot")
    toggle.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "admin-flag-toggled.png"), full_page=True)

    assert Flag.objects.get(key="ci-tests-on-mini").enabled is not was_on
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
