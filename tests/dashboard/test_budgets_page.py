"""The burn-down page: each budget's spend against its limit, threshold and reserve."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.dashboard.conftest import login

pytestmark = pytest.mark.django_db


def test_budgets__spend_this_month__from_the_roll_ups_with_state(client, org, manager_user):
    login(client, manager_user)

    rows = {
        r["team"]: r for r in client.get("/api/v1/dashboard/budgets").json()["tables"]["budgets"]
    }

    assert set(rows) == {"payments", "search"}
    assert Decimal(rows["search"]["limit"]) == Decimal("10")
    assert rows["search"]["state"] == "normal"


def test_budgets__team_filter__only_that_teams_budgets(client, org, manager_user):
    login(client, manager_user)

    api = client.get("/api/v1/dashboard/budgets?team=search").json()

    assert [r["team"] for r in api["tables"]["budgets"]] == ["search"]
    assert api["metrics"]["budgets"] == 1


def test_budgets__manager__no_edit_buttons_on_the_burn_down(client, org, manager_user):
    login(client, manager_user)

    html = client.get("/burn-down/").content.decode()

    assert "Edit" not in html.split("<main>", 1)[1]
    assert 'method="post"' not in html.split("<main>", 1)[1]


def test_overview__degraded_model__counted_and_named(client, org, manager_user):
    from governance.policies.models import HealthState, ModelHealth

    # (state written directly: model_health_evaluate needs minutes of failing calls)
    ModelHealth.objects.create(model="gpt-5-codex", state=HealthState.DEGRADED)
    login(client, manager_user)

    html = client.get("/").content.decode()
    metrics = client.get("/api/v1/dashboard/overview").json()["metrics"]

    assert metrics["degraded_models"] == 1
    assert "gpt-5-codex" in html.split('data-metric="degraded_models"', 1)[1].split("</a>", 1)[0]
