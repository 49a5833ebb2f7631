"""Budget pages: managers read, admins create and edit (audited)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.audit.models import AuditEvent
from governance.budgets.models import Budget
from tests.accounts.factories import TeamFactory
from tests.budgets.helpers import make_budget

pytestmark = pytest.mark.django_db

FORM = {
    "team": "mobile",
    "name": "mobile weekly",
    "unit": "usd",
    "limit": "250",
    "period": "week",
    "timezone": "Asia/Tokyo",
    "fallback_threshold_pct": "85",
    "reserve_pct": "10",
    "hard_limit": "alert",
    "reason": "release month",
}


def login(client, user):
    client.force_login(user)


def test_budget_create__admin__saved_and_audited(client, admin_user):
    TeamFactory(slug="mobile")
    login(client, admin_user)

    response = client.post("/budgets/new", FORM)

    assert response.status_code == 302
    budget = Budget.objects.get(name="mobile weekly")
    assert (budget.team.slug, budget.limit, budget.timezone, budget.hard_limit) == (
        "mobile",
        Decimal("250"),
        "Asia/Tokyo",
        "alert",
    )
    event = AuditEvent.objects.get(action="budget.create")
    assert event.actor == admin_user and event.reason == "release month"


def test_budget_create__reserve_overlaps_threshold__form_shows_the_error(client, admin_user):
    TeamFactory(slug="mobile")
    login(client, admin_user)

    response = client.post(
        "/budgets/new", {**FORM, "fallback_threshold_pct": "95", "reserve_pct": "10"}
    )

    assert response.status_code == 200
    assert "reserve" in response.context["form"].errors["reserve_pct"][0]
    assert not Budget.objects.exists()


def test_budget_edit__admin__changes_the_limit_with_before_and_after(client, admin_user):
    budget = make_budget(team=TeamFactory(slug="mobile"), limit="100", name="mobile weekly")
    login(client, admin_user)

    response = client.post(f"/budgets/{budget.pk}/edit", {**FORM, "limit": "300"})

    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.limit == Decimal("300") and budget.team.slug == "mobile"
    event = AuditEvent.objects.get(action="budget.save")
    assert event.before["limit"] == "100.0000" and event.after["limit"] == "300"


def test_budget_create__manager__forbidden(client, manager_user):
    TeamFactory(slug="mobile")
    login(client, manager_user)

    assert client.post("/budgets/new", FORM).status_code == 403
    assert not Budget.objects.exists()


def test_budget_list__manager__sees_spend_and_state_without_edit_links(client, manager_user):
    make_budget(team=TeamFactory(slug="mobile"), limit="100", name="mobile monthly")
    login(client, manager_user)

    response = client.get("/budgets/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "mobile monthly" in text and "normal" in text
    assert "/edit" not in text
