"""A real browser on the change-request page: a second admin approves what
the first asked for, and the change takes effect; a manager only reads."""

from __future__ import annotations

import pytest

from governance.changes.models import ChangeKind, ChangeRequest
from governance.changes.services import change_make, four_eyes_set
from governance.flags.models import Flag
from tests.accounts.factories import UserFactory
from tests.browser import sign_in
from tests.flags.factories import make_flag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pending_toggle(admin_user):
    """Four-eyes on, and alice-admin has asked to turn the flag mini-flows on."""
    four_eyes_set(on=True, actor=admin_user, reason="payments moves real money")
    make_flag(key="mini-flows", enabled=False)
    change_make(
        kind=ChangeKind.FLAG_TOGGLE,
        payload={"key": "mini-flows", "enabled": True},
        actor=admin_user,
        reason="pilot starts",
    )


@pytest.mark.usefixtures("pending_toggle")
def test_changes_page__second_admin_in_a_browser__approves_a_pending_change(chromium, live_server):
    bob = UserFactory(username="bob-in-browser", role="admin")
    page, errors = sign_in(chromium, live_server.url, bob.username, then="/changes/")

    page.goto(f"{live_server.url}/changes/")
    pending = page.locator("#pending .change")
    assert "flag mini-flows: enabled false → true" in pending.inner_text()
    assert "asked by alice-admin" in pending.inner_text()
    pending.locator("button[value=approve]").click()
    page.wait_for_load_state("networkidle")

    assert "approved and applied" in page.inner_text(".messages")
    assert "Nothing waits for approval." in page.inner_text("#pending")
    assert "Applied" in page.inner_text("#history")
    assert Flag.objects.get(key="mini-flows").enabled is True
    assert ChangeRequest.objects.get().decided_by_label == "bob-in-browser"
    assert errors == []


@pytest.mark.usefixtures("pending_toggle")
def test_changes_page__manager__reads_the_diff_without_buttons(chromium, live_server):
    manager = UserFactory(username="mia-in-browser", role="manager")
    page, errors = sign_in(chromium, live_server.url, manager.username, then="/changes/")

    page.goto(f"{live_server.url}/changes/")

    assert "flag mini-flows: enabled false → true" in page.inner_text("#pending")
    assert page.locator("#pending button").count() == 0
    assert errors == []
