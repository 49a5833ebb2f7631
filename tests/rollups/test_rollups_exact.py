"""Roll-ups are exact: every sum equals the same sum over the stored calls."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.calls.models import Call
from governance.catalog.pricing import e10_to_usd
from governance.rollups.models import (
    MEASURES,
    CallRollup,
    DailyRollup,
    RepoRollup,
    TeamHourRollup,
)
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


def _random_records(rng: random.Random, n: int) -> list[dict]:
    now = timezone.now()
    records = []
    for i in range(n):
        inp = rng.randint(0, 50_000)
        out = rng.randint(0, 8_000)
        records.append(
            call_record(
                call_id=f"r-{i}",
                ts=now - timedelta(hours=rng.randint(0, 72), minutes=rng.randint(0, 59)),
                model=rng.choice(["gpt-5-codex", "gpt-5-codex-mini", "in-house-llm"]),
                task_type=rng.choice(["boilerplate", "review", "debug"]),
                risk=rng.choice(["low", "medium", "high", "critical"]),
                environment=rng.choice(["ci", "ide"]),
                status=rng.choice(["ok", "ok", "ok", "error", "timeout"]),
                input_tokens=inp,
                cached_input_tokens=rng.randint(0, inp),
                output_tokens=out,
                reasoning_tokens=rng.randint(0, out),
                latency_ms=rng.choice([None, rng.randint(50, 9000)]),
                retries=rng.randint(0, 3),
                fallback_from=rng.choice(["", "", "gpt-5-codex"]),
                metadata={"repo": rng.choice(["acme/api", "acme/web"])},
            )
        )
    return records


def _expected(calls, key) -> dict[tuple, dict[str, int]]:
    """Every measure summed straight from the stored calls, per `key`."""
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for c in calls:
        cost = 0 if c.cost_usd is None else int(c.cost_usd.scaleb(10))
        cell = sums[key(c)]
        cell["calls"] += 1
        cell["input_tokens"] += c.input_tokens
        cell["cached_input_tokens"] += c.cached_input_tokens
        cell["output_tokens"] += c.output_tokens
        cell["reasoning_tokens"] += c.reasoning_tokens
        cell["cost_usd_e10"] += cost
        cell["unpriced_calls"] += c.cost_usd is None
        cell["error_calls"] += c.status != "ok"
        cell["latency_ms_sum"] += c.latency_ms or 0
        cell["latency_count"] += c.latency_ms is not None
        cell["retries"] += c.retries
        cell["fallback_calls"] += c.fallback_from != ""
        cell["fallback_cost_usd_e10"] += cost if c.fallback_from else 0
    return dict(sums)


def test_rollups__after_many_batches_and_duplicates__equal_the_raw_calls(key_client):
    rng = random.Random(11)
    records = _random_records(rng, 600)
    for start in range(0, 600, 150):
        post_calls(key_client, records[start : start + 150])
    post_calls(key_client, records[:200])  # a retried batch must not count twice

    calls = list(Call.objects.all())
    assert len(calls) == 600

    hourly = ("team_id", "client_id", "model", "task_type", "environment", "status", "risk")
    daily = ("team_id", "client_id", "model", "task_type", "environment")

    def hour(c):
        return c.timestamp.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    def by_hour(c):
        return (hour(c), *(getattr(c, d) for d in hourly))

    def by_day(c):
        return (hour(c).replace(hour=0), *(getattr(c, d) for d in daily))

    def stored(rows, dims):
        return {
            (r.bucket, *(getattr(r, d) for d in dims)): {m: getattr(r, m) for m in MEASURES}
            for r in rows
        }

    assert stored(CallRollup.objects.all(), hourly) == _expected(calls, by_hour)
    assert stored(DailyRollup.objects.all(), daily) == _expected(calls, by_day)

    team_hours: dict[tuple, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    for c in calls:
        acc = team_hours[
            (c.timestamp.astimezone(UTC).replace(minute=0, second=0, microsecond=0), c.team_id)
        ]
        acc[0] += 1
        acc[1] += c.input_tokens + c.output_tokens
        acc[2] += c.cost_usd or 0
    assert {
        (r.bucket, r.team_id): [r.calls, r.tokens, e10_to_usd(r.cost_usd_e10)]
        for r in TeamHourRollup.objects.all()
    } == dict(team_hours)

    repo_costs: dict[str, Decimal] = defaultdict(Decimal)
    for c in calls:
        repo_costs[c.repo] += c.cost_usd or 0
    rolled: dict[str, Decimal] = defaultdict(Decimal)
    for r in RepoRollup.objects.all():
        rolled[r.repo] += e10_to_usd(r.cost_usd_e10)
    assert rolled == repo_costs


def test_rollups__unknown_model__counted_as_unpriced_not_as_zero_dollars(key_client):
    post_calls(key_client, [call_record(model="in-house-llm"), call_record(model="in-house-llm")])

    day = DailyRollup.objects.get()
    assert (day.calls, day.unpriced_calls, day.cost_usd_e10) == (2, 2, 0)
    assert set(Call.objects.values_list("price_source", flat=True)) == {"unpriced"}
    assert set(Call.objects.values_list("cost_usd", flat=True)) == {None}
