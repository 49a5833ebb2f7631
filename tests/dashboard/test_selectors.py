"""The numbers behind each chart, checked against the raw calls they summarise."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from governance.calls.models import Call
from governance.dashboard import selectors
from governance.dashboard.selectors import RollupFilter, cost_per_call_percentiles, savings_summary
from governance.rollups import histogram
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db


def _all_days(**kw) -> RollupFilter:
    return RollupFilter(start=(NOW - timedelta(days=29)).date(), end=NOW.date(), **kw)


def _raw(**filters):
    return list(Call.objects.filter(**filters))


def test_spend_by_day__stacked_by_model__equals_raw_calls_per_day_and_model(org):
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    counts: Counter = Counter()
    for c in _raw():
        expected[(c.timestamp.date(), c.model)] += c.cost_usd or 0
        counts[(c.timestamp.date(), c.model)] += 1

    points = selectors.spend_by_day(filters=_all_days(), stack_by="model")

    assert {(p.day, p.key): p.cost_usd for p in points} == dict(expected)
    assert {(p.day, p.key): p.calls for p in points} == dict(counts)


def test_spend_by_day__stacked_by_team__splits_each_day_by_team(org):
    points = selectors.spend_by_day(filters=_all_days(), stack_by="team")

    today = [p for p in points if p.day == NOW.date()]
    # payments: 0.02 + 0.004 + the 0.01 fallback; search: 0.05 (+ one unpriced call)
    assert {p.key: p.cost_usd for p in today} == {
        "payments": Decimal("0.034"),
        "search": Decimal("0.05"),
    }


def test_spend_by_day__unknown_dimension__is_refused():
    with pytest.raises(ValueError, match="stack_by"):
        selectors.spend_by_day(filters=_all_days(), stack_by="colour")


def test_spend_summary__unpriced_call__left_out_of_cost_per_call(org):
    summary = selectors.spend_summary(filters=_all_days())

    priced = [c for c in _raw() if c.cost_usd is not None]
    assert summary.calls == 32
    assert summary.unpriced_calls == 1
    assert summary.cost_usd == sum(c.cost_usd for c in priced)
    assert summary.cost_per_call_usd == (sum(c.cost_usd for c in priced) / len(priced)).quantize(
        Decimal("0.000001")
    )
    assert summary.fallback_calls == 1
    assert summary.fallback_cost_usd == Decimal("0.01")


def test_spend_summary__filtered_by_team_model_task_and_environment__counts_only_matching_calls(
    org,
):
    narrow = _all_days(
        teams=("payments",),
        models=("gpt-5-codex",),
        task_types=("unit_tests",),
        environments=("ci",),
    )

    summary = selectors.spend_summary(filters=narrow)

    assert summary.calls == 10
    assert summary.cost_usd == Decimal("0.2")


def test_spend_summary__range_of_one_day__counts_that_day_only(org):
    yesterday = (NOW - timedelta(days=1)).date()

    summary = selectors.spend_summary(filters=RollupFilter(start=yesterday, end=yesterday))

    assert summary.calls == 3
    assert summary.cost_usd == Decimal("0.074")


def test_spend_by_model__tiers_from_catalog__uncatalogued_model_has_no_tier(org):
    rows = {m.model: m for m in selectors.spend_by_model(filters=_all_days())}

    assert rows["gpt-5-codex"].tier == "full"
    assert rows["gpt-5-codex-mini"].tier == "mini"
    assert rows["unknown-model"].tier == ""
    assert rows["gpt-5-codex-mini"].fallback_calls == 1


def test_spend_top_clients__ordered_by_cost(org):
    top = selectors.spend_top_clients(filters=_all_days())

    assert [(c.client, c.team, c.calls) for c in top] == [
        ("ide-plugin", "search", 11),
        ("ci-bot", "payments", 21),
    ]
    assert top[0].cost_usd == Decimal("0.5")


def test_spend_top_repos__team_filter__narrows_repositories(org):
    all_repos = selectors.spend_top_repos(filters=_all_days())
    payments = selectors.spend_top_repos(filters=_all_days(teams=("payments",)))

    assert [(r.repo, r.cost_usd) for r in all_repos] == [
        ("search/core", Decimal("0.5")),
        ("pay/api", Decimal("0.24")),
    ]
    assert [r.repo for r in payments] == ["pay/api"]


def test_spend_fallbacks_by_day__fallback_call__reported_on_its_day_with_its_cost(org):
    points = selectors.spend_fallbacks_by_day(filters=_all_days())

    assert [(p.day, p.model, p.fallback_calls, p.fallback_cost_usd) for p in points] == [
        (NOW.date(), "gpt-5-codex-mini", 1, Decimal("0.01"))
    ]


def _nearest_rank(values: list[Decimal], q: Decimal) -> Decimal:
    values = sorted(values)
    rank = max(1, int((q * len(values)).to_integral_value(rounding="ROUND_CEILING")))
    return values[rank - 1]


def test_cost_per_call_percentiles__from_histogram__within_one_bucket_of_raw_calls_and_max_exact(
    org,
):
    rows = {r.model: r for r in cost_per_call_percentiles(filters=_all_days())}

    for model in ("gpt-5-codex", "gpt-5-codex-mini"):
        costs = [c.cost_usd for c in _raw(model=model)]
        row = rows[model]
        assert row.calls == len(costs)
        assert row.max_usd == max(costs).quantize(Decimal("0.000001"))
        for q, got in ((Decimal("0.5"), row.p50_usd), (Decimal("0.95"), row.p95_usd)):
            true = _nearest_rank(costs, q)
            k = histogram.cost_bin(true)
            assert histogram.bin_lower(k) <= got <= histogram.bin_upper(k)
    assert "unknown-model" not in rows  # unpriced calls have no cost to rank


def test_cost_histogram__counts__equal_raw_priced_calls_per_day_and_model(org):
    from django.db.models import Sum

    from governance.rollups.models import CostHistogramRollup

    stored = {
        (r["bucket"].date(), r["model"]): [r["n"], r["cost"]]
        for r in CostHistogramRollup.objects.values("bucket", "model").annotate(
            n=Sum("calls"), cost=Sum("cost_usd_e10")
        )
    }
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for c in _raw(cost_usd__isnull=False):
        expected[(c.timestamp.date(), c.model)][0] += 1
        expected[(c.timestamp.date(), c.model)][1] += int(c.cost_usd.scaleb(10))

    assert stored == dict(expected)


def test_rollups_rebuild__from_raw_calls__gives_the_same_rollups(org):
    from governance.rollups.models import (
        CallRollup,
        CostHistogramRollup,
        DailyRollup,
        RepoRollup,
        TeamHourRollup,
    )
    from governance.rollups.services import rollups_rebuild

    def snapshot():
        return [
            sorted(model.objects.values_list(*[f.attname for f in model._meta.fields][1:]))
            for model in (CallRollup, DailyRollup, TeamHourRollup, RepoRollup, CostHistogramRollup)
        ]

    before = snapshot()
    counted = rollups_rebuild(start=NOW - timedelta(days=40), end=NOW + timedelta(days=1))

    assert counted == 32
    assert snapshot() == before


def test_savings_summary__mini_calls__priced_at_the_full_rate_minus_their_cost(org):
    savings = savings_summary(filters=_all_days())

    (achieved,) = savings.achieved
    mini_calls = _raw(model="gpt-5-codex-mini")
    # The full model's admin rate: $10 in / $20 out per million tokens.
    at_full = sum(
        (Decimal(c.input_tokens) * 10 + Decimal(c.output_tokens) * 20) / 1_000_000
        for c in mini_calls
    )
    assert achieved.calls == len(mini_calls) == 11
    assert achieved.cost_at_full_rate_usd == at_full.quantize(Decimal("0.000001"))
    assert achieved.saved_usd == (at_full - sum(c.cost_usd for c in mini_calls)).quantize(
        Decimal("0.000001")
    )


def test_savings_summary__task_on_full_model__monthly_saving_scaled_to_thirty_days(org):
    savings = savings_summary(
        filters=RollupFilter(start=(NOW - timedelta(days=9)).date(), end=NOW.date())
    )

    moves = {m.task_type: m for m in savings.moves}
    refactor = moves["refactor"]
    # Ten refactor calls of 2,500 in / 1,250 out: $0.05 each on the full
    # model, $0.01 each at the mini rate ($2 / $4); ten days scaled to thirty.
    assert refactor.calls == 10
    assert refactor.cost_usd == Decimal("0.5")
    assert refactor.cost_at_mini_rate_usd == Decimal("0.1")
    assert refactor.monthly_saving_usd == Decimal("1.20")
    assert [m.task_type for m in savings.moves] == ["refactor", "unit_tests"]


def test_savings_summary__new_admin_price_for_the_full_model__savings_follow_it(org):
    from governance.catalog.services import model_price_add

    model_price_add(
        model=org["full"],
        effective_from=NOW - timedelta(days=20),
        input_per_mtok=Decimal("20"),
        cached_input_per_mtok=Decimal("2"),
        output_per_mtok=Decimal("40"),
    )

    (achieved,) = savings_summary(filters=_all_days()).achieved

    mini_calls = _raw(model="gpt-5-codex-mini")
    at_full = sum(
        (Decimal(c.input_tokens) * 20 + Decimal(c.output_tokens) * 40) / 1_000_000
        for c in mini_calls
    )
    assert achieved.cost_at_full_rate_usd == at_full.quantize(Decimal("0.000001"))


def test_dashboard_daily_rollup__equals_the_hourly_call_rollups_summed_per_day(org):
    from governance.rollups.models import MEASURES, CallRollup, DailyRollup

    dims = ("team_id", "client_id", "model", "task_type", "environment")
    ours = {
        (r["bucket"], *(r[d] for d in dims)): {m: r[m] for m in MEASURES}
        for r in DailyRollup.objects.values("bucket", *dims, *MEASURES)
    }
    theirs: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for r in CallRollup.objects.values("bucket", *dims, *MEASURES):
        day = theirs[(r["bucket"].replace(hour=0), *(r[d] for d in dims))]
        for m in MEASURES:
            day[m] += r[m]

    assert ours == dict(theirs)
    assert sum(v["calls"] for v in ours.values()) == Call.objects.count()
