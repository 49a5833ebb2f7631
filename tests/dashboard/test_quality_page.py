"""The quality page: pass rates with intervals, mini vs full, cost per passing test."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.dashboard.conftest import login

pytestmark = pytest.mark.django_db


def test_quality__pass_rate__over_all_runs_in_the_range(client, org, manager_user):
    login(client, manager_user)

    api = client.get("/api/v1/dashboard/quality").json()

    # 10 days x (8 + 9 + 7) passed of 30 executed
    assert Decimal(api["metrics"]["pass_rate_pct"]) == Decimal("80.0")
    assert api["metrics"]["executed_tests"] == 300
    assert api["metrics"]["escalated_runs"] == 4  # days 0, 3, 6, 9


def test_quality__mini_vs_full__difference_with_interval_and_verdict(client, org, manager_user):
    login(client, manager_user)

    (row,) = client.get("/api/v1/dashboard/quality").json()["tables"]["comparisons"]

    assert (row["task_type"], row["mini"], row["full"]) == (
        "unit_tests",
        "gpt-5-codex-mini",
        "gpt-5-codex",
    )
    assert (row["mini_rate"], row["full_rate"], row["difference_pp"]) == ("80.0", "90.0", "-10.0")
    assert Decimal(row["ci_low_pp"]) < Decimal("-10") < Decimal(row["ci_high_pp"])
    assert row["verdict"]


def test_quality__team_filter__only_that_teams_runs(client, org, manager_user):
    login(client, manager_user)

    api = client.get("/api/v1/dashboard/quality?team=search").json()

    assert [r["model"] for r in api["tables"]["by_model"]] == ["gpt-5-codex"]
    assert Decimal(api["metrics"]["pass_rate_pct"]) == Decimal("70.0")


def test_overview__pass_rate_and_open_alerts__link_to_the_quality_page(client, org, manager_user):
    login(client, manager_user)

    metrics = client.get("/api/v1/dashboard/overview").json()["metrics"]
    html = client.get("/").content.decode()

    assert Decimal(metrics["pass_rate_pct"]) == Decimal("80.0")
    assert metrics["open_alerts"] == 0
    assert 'href="/quality/?' in html


def test_savings__each_task_move__shows_the_expected_pass_rate_change(client, org, manager_user):
    login(client, manager_user)

    moves = {
        m["task_type"]: m for m in client.get("/api/v1/dashboard/savings").json()["tables"]["moves"]
    }

    assert moves["unit_tests"]["pass_change_pp"] == "-10.0"
    assert (
        Decimal(moves["unit_tests"]["pass_ci_low_pp"])
        < Decimal("-10.0")
        < Decimal(moves["unit_tests"]["pass_ci_high_pp"])
    )
    # no mini-model runs for refactoring: nothing to compare yet
    assert moves["refactor"]["pass_change_pp"] is None
    assert moves["refactor"]["verdict"] == "no test runs to compare"


def test_spend__escalated_test_jobs__counted_next_to_the_fallbacks(client, org, manager_user):
    login(client, manager_user)

    metrics = client.get("/api/v1/dashboard/spend").json()["metrics"]

    assert metrics["escalated_runs"] == 4
    assert metrics["fallback_calls"] == 1
