"""Pass rates by model, task type, team and day, with Wilson intervals and
cost per passing test (selector and GET /api/v1/quality/pass-rates)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.quality import selectors
from governance.quality.tasks import quality_resolve_call_links
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.quality.factories import NOW, CallFactory, record_run

pytestmark = pytest.mark.django_db

START, END = NOW - timedelta(days=30), NOW + timedelta(days=1)
DAY_START = NOW.replace(hour=0)


def test_pass_rates__by_model__skips_excluded_errors_failed_and_wilson_interval_given():
    client = ClientFactory()
    record_run(client=client, passed=70, failed=10, errored=20, skipped=50)
    record_run(client=client, passed=5, model="gpt-5-codex-mini")
    [full, mini] = selectors.pass_rates(group_by=["model"], start=START, end=END)
    assert (full.model, full.executed, full.skipped, full.pass_rate) == (
        "gpt-5-codex",
        100,
        50,
        0.7,
    )
    assert (round(full.ci_low, 4), round(full.ci_high, 4)) == (0.6042, 0.7811)
    assert (mini.model, mini.pass_rate, mini.ci_high) == ("gpt-5-codex-mini", 1.0, 1.0)


def test_pass_rates__linked_calls__cost_per_passing_test_is_call_cost_over_passed_tests():
    client = ClientFactory()
    calls = [CallFactory(client=client, cost_usd=Decimal(cost)) for cost in ("0.30", "0.10")]
    unpriced = CallFactory(client=client, cost_usd=None)
    record_run(client=client, passed=8, failed=2, call_ids=(calls[0].call_id, unpriced.call_id))
    record_run(client=client, passed=12, call_ids=(calls[1].call_id, "not-logged-yet"))
    [row] = selectors.pass_rates(group_by=["model"], start=START, end=END)
    assert row.cost_usd == Decimal("0.400000")
    assert row.cost_per_passing_test_usd == Decimal("0.020000")  # $0.40 / 20 passed
    assert row.cost_per_call_usd == Decimal("0.200000")
    assert (row.linked_calls, row.priced_calls, row.unpriced_calls) == (4, 2, 1)


def test_pass_rates__no_priced_calls__cost_per_passing_test_is_unknown_not_zero():
    record_run(client=ClientFactory(), passed=3)
    [row] = selectors.pass_rates(group_by=["model"], start=START, end=END)
    assert row.cost_usd == Decimal(0)
    assert row.cost_per_passing_test_usd is None


def test_pass_rates__by_team_and_day__uses_utc_days():
    payments, search = (
        ClientFactory(team=TeamFactory(slug="payments")),
        ClientFactory(team=TeamFactory(slug="search")),
    )
    record_run(client=payments, passed=1, timestamp=NOW.replace(hour=0, minute=30))
    record_run(client=payments, passed=1, failed=1, timestamp=NOW.replace(hour=23, minute=59))
    record_run(client=payments, passed=2, timestamp=NOW + timedelta(hours=12))
    record_run(client=search, passed=1, timestamp=NOW)
    rows = selectors.pass_rates(group_by=["team", "day"], start=START, end=END)
    assert [(r.team, r.day, r.passed, r.executed) for r in rows] == [
        ("payments", date(2026, 11, 20), 2, 3),
        ("payments", date(2026, 11, 21), 2, 2),
        ("search", date(2026, 11, 20), 1, 1),
    ]


def test_pass_rates__outcomes__promoted_and_escalated_runs_are_counted():
    client = ClientFactory()
    record_run(client=client, passed=4, outcome="promoted", model="gpt-5-codex-mini")
    record_run(client=client, passed=1, failed=3, outcome="escalated", model="gpt-5-codex-mini")
    [row] = selectors.pass_rates(group_by=["model"], start=START, end=END)
    assert (row.promoted_runs, row.escalated_runs) == (1, 1)


def test_pass_rates__failing_runs__whole_days_and_a_partial_day_count_runs_with_a_failure():
    # Runs with a failed or an errored test count once each, whatever else
    # they hold; the advisor reads this as how often a mini model would escalate.
    client = ClientFactory()
    record_run(client=client, passed=3, failed=2, timestamp=NOW - timedelta(days=2))
    record_run(client=client, passed=3, errored=1, timestamp=NOW - timedelta(days=2))
    record_run(client=client, passed=3, skipped=4, timestamp=NOW - timedelta(days=2))
    record_run(client=client, passed=1, failed=1, errored=1, timestamp=NOW)
    whole_days = selectors.pass_rates(
        group_by=["model"], start=DAY_START - timedelta(days=3), end=DAY_START
    )
    partial = selectors.pass_rates(
        group_by=["model"], start=DAY_START - timedelta(days=3), end=NOW + timedelta(hours=1)
    )
    assert [(r.runs, r.failing_runs) for r in whole_days] == [(3, 2)]
    assert [(r.runs, r.failing_runs) for r in partial] == [(4, 3)]


def test_pass_rates__whole_days_any_grouping__one_roll_up_query():
    client = ClientFactory()
    for day in range(5):
        call = CallFactory(client=client)
        record_run(
            client=client, passed=3, timestamp=NOW - timedelta(days=day), call_ids=(call.call_id,)
        )
    start, end = DAY_START - timedelta(days=30), DAY_START + timedelta(days=1)
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.pass_rates(
            group_by=["model", "task_type", "team", "day"], start=start, end=end
        )
    # The quality roll-up answers whole UTC days, counts and linked cost at once.
    assert len(queries) == 1
    assert len(rows) == 5


def test_pass_rates__period_not_on_midnight__partial_days_read_raw_runs_exactly():
    client = ClientFactory()
    calls = [CallFactory(client=client, cost_usd=Decimal("0.2")) for _ in range(3)]
    # Runs before, inside and after the period, two of them in its partial days.
    for hours, call in zip((-2, 3, 30, 50), [*calls, None], strict=True):
        record_run(
            client=client,
            passed=4,
            failed=1,
            timestamp=NOW + timedelta(hours=hours),
            call_ids=(call.call_id,) if call else (),
        )
    start, end = NOW, NOW + timedelta(hours=40)  # noon to 04:00 two days later

    with CaptureQueriesContext(connection) as queries:
        [row] = selectors.pass_rates(group_by=["model"], start=start, end=end)

    # Runs at +3 h (partial first day) and +30 h (the whole day between).
    assert (row.runs, row.passed, row.linked_calls) == (2, 8, 2)
    assert row.cost_per_passing_test_usd == Decimal("0.050000")
    # The whole day from the roll-up; runs and linked calls of each partial day.
    assert len(queries) == 1 + 2 + 2


def test_pass_rates__unknown_dimension__is_refused():
    with pytest.raises(ValueError, match="cannot group by colour"):
        selectors.pass_rates(group_by=["colour"], start=START, end=END)


URL = "/api/v1/quality/pass-rates"


def test_pass_rates_api__api_key__sees_only_its_own_team(api_client, issue_key):
    raw, key = issue_key(scopes=("policy:read",))
    record_run(client=key.client, passed=9, failed=1)
    record_run(client=ClientFactory(), passed=1, failed=9)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api_client.get(
        URL, {"group_by": "model", "start": "2026-11-01", "end": "2026-11-30"}
    )
    assert response.status_code == 200, response.json()
    [row] = response.json()["results"]
    assert (row["passed"], row["pass_rate"], row["cost_usd"]) == (9, 0.9, "0.000000")


def test_pass_rates_api__api_key_names_another_team__reads_its_own_team_only(api_client, issue_key):
    raw, key = issue_key(team=TeamFactory(slug="payments"))
    record_run(client=key.client, passed=1)
    record_run(client=ClientFactory(team=TeamFactory(slug="search")), passed=2)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    params = {"group_by": "team", "start": "2026-11-01T00:00:00Z", "end": "2026-11-30T00:00:00Z"}

    response = api_client.get(URL, {**params, "team": "search"})

    assert response.status_code == 200
    assert [(r["team"], r["passed"]) for r in response.json()["results"]] == [("payments", 1)]


def test_pass_rates_api__manager__sees_every_team_or_filters_one(manager_client):
    record_run(client=ClientFactory(team=TeamFactory(slug="payments")), passed=1)
    record_run(client=ClientFactory(team=TeamFactory(slug="search")), passed=2)
    params = {"group_by": "team", "start": "2026-11-01T00:00:00Z", "end": "2026-11-30T00:00:00Z"}
    everyone = manager_client.get(URL, params).json()["results"]
    assert [r["team"] for r in everyone] == ["payments", "search"]
    one = manager_client.get(URL, {**params, "team": "search"}).json()["results"]
    assert [(r["team"], r["passed"]) for r in one] == [("search", 2)]


def test_pass_rates_api__signed_in_without_role__403(api_client):
    from tests.accounts.factories import UserFactory

    user = UserFactory()
    user.refresh_from_db()
    api_client.force_login(user)
    assert api_client.get(URL).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({"start": "last week"}, "start"),
        ({"team": "nobody"}, "team"),
        ({"start": "2026-11-10", "end": "2026-11-01"}, "start"),
        ({"model": "gpt\x00"}, "model"),
        ({"end": "2026-13-45"}, "end"),
    ],
)
def test_pass_rates_api__bad_parameter__400_names_it(manager_client, params, field):
    response = manager_client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_test_run_links_resolve__call_logged_after_its_tests__is_linked_and_priced():
    client = ClientFactory()
    record_run(client=client, passed=4, call_ids=("late-call",))
    [before] = selectors.pass_rates(group_by=["model"], start=START, end=END)
    assert before.cost_per_passing_test_usd is None
    CallFactory(client=client, call_id="late-call", cost_usd=Decimal("0.08"))
    CallFactory(call_id="late-call")  # same id from another client: not ours

    assert quality_resolve_call_links.delay().get() == 1

    [after] = selectors.pass_rates(group_by=["model"], start=START, end=END)
    assert after.cost_per_passing_test_usd == Decimal("0.020000")


def test_read_api__every_endpoint__answers_in_a_fixed_number_of_queries(manager_client):
    client = ClientFactory(team=TeamFactory(slug="payments"))
    for day in range(6):
        call = CallFactory(client=client)
        record_run(
            client=client,
            passed=3,
            failed=1,
            timestamp=NOW - timedelta(days=day),
            call_ids=(call.call_id,),
        )
    params = {"start": "2026-10-25", "end": "2026-11-25"}
    # Each: session + user (2) + the reader's groups (1), then (whole days)
    # pass-rates: the quality roll-up (1); comparisons: that and the catalog (2);
    # alerts: the alerts with their teams (1).
    for path, extra, selector_queries in (
        ("pass-rates", {"group_by": "team,day"}, 1),
        ("comparisons", {}, 2),
        ("alerts", {}, 1),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = manager_client.get(f"/api/v1/quality/{path}", {**params, **extra})
        assert response.status_code == 200
        assert len(queries) == 3 + selector_queries, path


def test_pass_rates_api__no_period_given__last_30_whole_utc_days_with_today_from_the_roll_up(
    manager_client,
):
    from datetime import UTC, datetime, time

    from django.utils import timezone

    now = timezone.now()
    client = ClientFactory()
    record_run(client=client, passed=1, timestamp=now - timedelta(seconds=1))
    record_run(client=client, passed=2, timestamp=now - timedelta(days=28))
    record_run(client=client, passed=4, timestamp=now - timedelta(days=31))

    with CaptureQueriesContext(connection) as queries:
        body = manager_client.get(URL, {"group_by": "model"}).json()

    tomorrow = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC)
    assert datetime.fromisoformat(body["end"]) == tomorrow
    assert datetime.fromisoformat(body["start"]) == tomorrow - timedelta(days=30)
    assert [r["passed"] for r in body["results"]] == [3]
    assert not any("quality_suiterun" in q["sql"] for q in queries.captured_queries)
