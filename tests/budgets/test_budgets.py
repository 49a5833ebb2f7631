"""Budgets: periods in time zones, spend from roll-ups, thresholds, reserve, forecast."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from governance.audit.models import AuditEvent
from governance.budgets.models import Budget
from governance.budgets.periods import period_bounds
from governance.budgets.selectors import budget_spend_from_calls, budgets_status
from governance.budgets.services import budgets_evaluate
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.budgets.helpers import dollar_model, make_budget, spend

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client_():
    dollar_model()
    return ClientFactory(team=TeamFactory(slug="payments"))


def status_of(budget: Budget):
    (status,) = budgets_status(
        now=NOW, budgets=[Budget.objects.select_related("team").get(pk=budget.pk)]
    )
    return status


def test_budget_spend__calls_before_and_inside_the_month__counts_only_this_month(client_):
    budget = make_budget(team=client_.team, limit="100", period="month")
    spend(client_, at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC), usd="7")
    spend(client_, at=datetime(2026, 3, 1, 0, 10, tzinfo=UTC), usd="2.5")
    spend(client_, at=datetime(2026, 3, 18, 11, 0, tzinfo=UTC), usd="1.25")

    status = status_of(budget)

    assert status.spend == Decimal("3.75")
    assert status.percent == Decimal("3.75")
    assert status.bounds.start == datetime(2026, 3, 1, tzinfo=UTC)


def test_budget_spend__other_teams_calls__are_not_counted_but_the_organisation_sees_all(client_):
    other = ClientFactory(team=TeamFactory(slug="search"))
    team_budget = make_budget(team=client_.team, limit="100")
    org_budget = make_budget(team=None, limit="1000", name="org")
    spend(client_, at=NOW - timedelta(hours=1), usd="3")
    spend(other, at=NOW - timedelta(hours=1), usd="4")

    assert status_of(team_budget).spend == Decimal("3")
    assert status_of(org_budget).spend == Decimal("7")


def test_budget_day_period__tokyo__starts_at_local_midnight(client_):
    budget = make_budget(team=client_.team, limit="10", period="day", timezone="Asia/Tokyo")
    # 2026-03-18 12:00 UTC is 21:00 in Tokyo; the Tokyo day began at 2026-03-17 15:00 UTC.
    spend(
        client_, at=datetime(2026, 3, 17, 14, 30, tzinfo=UTC), usd="5"
    )  # 23:30 the day before, Tokyo
    spend(client_, at=datetime(2026, 3, 17, 15, 5, tzinfo=UTC), usd="2")  # 00:05 Tokyo

    status = status_of(budget)

    assert status.bounds.start == datetime(2026, 3, 17, 15, 0, tzinfo=UTC)
    assert status.spend == Decimal("2")


def test_budget_week_period__new_york__runs_monday_to_monday_local():
    bounds = period_bounds(period="week", tz="America/New_York", now=NOW)

    assert bounds.start == datetime(2026, 3, 16, 4, 0, tzinfo=UTC)  # Monday 00:00 EDT
    assert bounds.end == datetime(2026, 3, 23, 4, 0, tzinfo=UTC)


def test_budget_month_period__across_a_dst_change__ends_at_local_midnight():
    bounds = period_bounds(period="month", tz="Europe/Paris", now=NOW)

    assert bounds.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # CET, UTC+1
    assert bounds.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # CEST, UTC+2


def test_budget_state__spend_crosses_the_threshold__fallback_with_an_audit_event(client_):
    budget = make_budget(team=client_.team, limit="100", fallback_threshold_pct=Decimal("90"))
    spend(client_, at=NOW - timedelta(hours=2), usd="93")

    changed = budgets_evaluate(team_ids=[client_.team.pk])

    budget.refresh_from_db()
    assert budget.state == "fallback"
    assert budget.percent == Decimal("93.00")
    assert [s.state for s in changed] == ["fallback"]
    event = AuditEvent.objects.get(action="budget.state_change")
    assert event.before == {"state": "normal"} and event.after["state"] == "fallback"
    assert event.actor_label == "system:budget-evaluator"


def test_budget_state__ingested_calls__re_evaluated_by_the_ingestion_hook(
    client_, django_capture_on_commit_callbacks
):
    budget = make_budget(team=client_.team, limit="10")

    with django_capture_on_commit_callbacks(execute=True):
        spend(
            client_, at=NOW - timedelta(minutes=5), usd="9.6"
        )  # calls_after_ingest runs on commit

    budget.refresh_from_db()
    assert budget.state == "reserve_only"


@pytest.mark.parametrize(
    ("usd", "state"),
    [
        ("89.99", "normal"),
        ("90", "fallback"),
        ("94.99", "fallback"),
        ("95", "reserve_only"),
        ("100", "exhausted"),
    ],
)
def test_budget_state__threshold_90_reserve_5__state_by_percentage(client_, usd, state):
    make_budget(
        team=client_.team,
        limit="100",
        fallback_threshold_pct=Decimal("90"),
        reserve_pct=Decimal("5"),
    )
    spend(client_, at=NOW - timedelta(hours=1), usd=usd)

    (status,) = budgets_status(now=NOW, team=client_.team)

    assert status.state == state


def test_budget_state__unchanged_state__writes_no_second_event(client_):
    make_budget(team=client_.team, limit="100")
    spend(client_, at=NOW - timedelta(hours=3), usd="91")
    spend(client_, at=NOW - timedelta(hours=2), usd="1")

    budgets_evaluate()

    assert AuditEvent.objects.filter(action="budget.state_change").count() == 1


def test_budget_forecast__steady_burn__runs_out_before_the_period_ends(client_):
    # 17.5 days into March, $70 spent: $4/day, $30 left -> 7.5 days -> 2026-03-25 24:00.
    budget = make_budget(team=client_.team, limit="100")
    spend(client_, at=NOW - timedelta(hours=1), usd="70")

    assert status_of(budget).forecast_exhausted_at == datetime(2026, 3, 26, 0, 0, tzinfo=UTC)


def test_budget_forecast__slow_burn__does_not_run_out_this_period(client_):
    budget = make_budget(team=client_.team, limit="100")
    spend(client_, at=NOW - timedelta(hours=1), usd="10")

    assert status_of(budget).forecast_exhausted_at is None


def test_budget_spend__rebuilt_from_the_raw_calls__equals_the_rolled_up_spend(client_):
    rng = random.Random(5)
    made = [
        make_budget(
            team=client_.team, limit="1000", name=f"{period}-{tz}", period=period, timezone=tz
        )
        for period in ("day", "week", "month")
        for tz in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata")
    ]
    for _ in range(60):
        at = NOW - timedelta(minutes=rng.randrange(1, 40 * 24 * 60))
        spend(client_, at=at, usd=str(Decimal(rng.randrange(1, 10**6)) / 10**5))

    statuses = budgets_status(now=NOW, team=client_.team)
    assert len(statuses) == len(made)
    for status in statuses:
        assert status.spend == budget_spend_from_calls(
            budget=status.budget, bounds=status.bounds
        ), status.budget.name


def test_budget_save__reserve_overlapping_the_threshold__rejected_naming_the_field(client_):
    with pytest.raises(ValidationError) as exc:
        make_budget(
            team=client_.team, fallback_threshold_pct=Decimal("96"), reserve_pct=Decimal("10")
        )

    assert "reserve_pct" in exc.value.message_dict


def test_budget_save__unknown_time_zone__rejected_naming_the_field(client_):
    with pytest.raises(ValidationError) as exc:
        make_budget(team=client_.team, timezone="Mars/Olympus")

    assert "timezone" in exc.value.message_dict


def test_budgets_api__team_key__sees_its_own_and_the_organisations_budgets(
    client_, api_client, issue_key
):
    make_budget(team=client_.team, limit="100", name="payments monthly")
    make_budget(team=TeamFactory(slug="search"), limit="50", name="search monthly")
    make_budget(team=None, limit="1000", name="org")
    spend(client_, at=NOW - timedelta(hours=1), usd="93")
    raw, _ = issue_key(scopes=("policy:read",), client=client_)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = api_client.get("/api/v1/budgets")

    assert response.status_code == 200
    by_name = {b["name"]: b for b in response.json()["budgets"]}
    assert set(by_name) == {"payments monthly", "org"}
    payments = by_name["payments monthly"]
    assert payments["team"] == "payments"
    assert Decimal(payments["spend"]) == Decimal("93")
    assert Decimal(payments["percent"]) == Decimal("93")
    assert payments["state"] == "fallback"
    assert "forecast_exhausted_at" in payments


def test_budgets_api__no_credentials__refused(api_client):
    assert api_client.get("/api/v1/budgets").status_code in (401, 403)


def test_budget_state__change__queues_a_webhook_for_subscribed_endpoints(client_):
    from governance.audit.models import WebhookDelivery
    from governance.audit.services import webhook_endpoint_create

    webhook_endpoint_create(
        url="https://hooks.example/budget", events=["budget.*"], actor="system:tests"
    )
    make_budget(team=client_.team, limit="100")
    spend(client_, at=NOW - timedelta(hours=1), usd="100")

    budgets_evaluate()

    delivery = WebhookDelivery.objects.get(event="budget.state_changed")
    assert delivery.payload["team"] == "payments"
    assert (delivery.payload["from"], delivery.payload["to"]) == ("normal", "exhausted")


def test_budget_burndown__calls_on_two_days__cumulative_spend_per_local_day(client_):
    from governance.budgets.selectors import budget_burndown

    budget = make_budget(team=client_.team, limit="100", period="week", timezone="America/New_York")
    spend(client_, at=datetime(2026, 3, 16, 14, tzinfo=UTC), usd="10")  # Monday, New York
    spend(client_, at=datetime(2026, 3, 18, 3, tzinfo=UTC), usd="5")  # Tuesday 23:00, New York

    points = budget_burndown(budget=budget, now=NOW)

    assert [p.spend for p in points] == [Decimal("10"), Decimal("15"), Decimal("15")]
    assert points[0].day == datetime(2026, 3, 16, 4, tzinfo=UTC)
    assert points[-1].remaining == Decimal("85")


def test_budgets_verify_command__rollups_match_calls__reports_ok(client_):
    from io import StringIO

    from django.core.management import call_command

    make_budget(team=client_.team, limit="100")
    spend(client_, at=NOW - timedelta(hours=5), usd="12.345678")
    out = StringIO()

    call_command("budgets_verify", stdout=out)

    assert out.getvalue().startswith("ok")
    assert "$12.35 in the roll-ups and in the calls" in out.getvalue()


def test_budget_state__new_period_begins__periodic_task_returns_it_to_normal(client_):
    from governance.budgets.tasks import budgets_evaluate_task

    budget = make_budget(team=client_.team, limit="100", period="day")
    spend(client_, at=NOW - timedelta(hours=1), usd="95")
    budgets_evaluate()
    budget.refresh_from_db()
    assert budget.state == "reserve_only"

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        changed = budgets_evaluate_task.delay().get()

    budget.refresh_from_db()
    assert budget.state == "normal" and changed == [budget.pk]
    last = AuditEvent.objects.filter(action="budget.state_change").order_by("-id").first()
    assert (last.before["state"], last.after["state"]) == ("reserve_only", "normal")


def test_budgets_api__many_budgets__constant_query_count(
    client_, api_client, issue_key, django_assert_num_queries
):
    for i in range(5):
        make_budget(
            team=client_.team,
            limit="100",
            name=f"budget {i}",
            period=("day", "week", "month")[i % 3],
        )
    spend(client_, at=NOW - timedelta(hours=1), usd="3")
    raw, _ = issue_key(scopes=("policy:read",), client=client_)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    api_client.get("/api/v1/budgets")  # the key's first use also stamps last_used_at

    # The key (with client and team), the budgets (with teams), the roll-ups
    # grouped per team and hour.
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/budgets")

    assert len(response.json()["budgets"]) == 5
