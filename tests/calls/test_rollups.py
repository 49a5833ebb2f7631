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
from governance.rollups.models import CallRollup, RepoRollup, TeamHourRollup
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


def test_rollups__after_many_batches_and_duplicates__equal_the_raw_calls(key_client):
    rng = random.Random(11)
    records = _random_records(rng, 600)
    for start in range(0, 600, 150):
        post_calls(key_client, records[start : start + 150])
    post_calls(key_client, records[:200])  # a retried batch must not count twice

    calls = list(Call.objects.all())
    assert len(calls) == 600
    for granularity in ("hour", "day"):
        expected: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), 0, 0, 0, 0])
        for c in calls:
            ts = c.timestamp.astimezone(UTC)
            bucket = ts.replace(minute=0, second=0, microsecond=0)
            if granularity == "day":
                bucket = bucket.replace(hour=0)
            acc = expected[(bucket, c.model, c.task_type, c.status, c.risk, c.environment)]
            acc[0] += 1
            acc[1] += c.cost_usd or 0
            acc[2] += c.input_tokens
            acc[3] += 1 if c.cost_usd is None else 0
            acc[4] += c.fallback_from != ""
            acc[5] += c.latency_ms or 0
        actual = {
            (r.bucket, r.model, r.task_type, r.status, r.risk, r.environment): [
                r.calls, e10_to_usd(r.cost_usd_e10), r.input_tokens, r.unpriced_calls, r.fallback_calls, r.latency_ms_sum,
            ]
            for r in CallRollup.objects.filter(granularity=granularity)
        }  # fmt: skip
        assert actual == {k: v for k, v in expected.items()}

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

    day = CallRollup.objects.get(granularity="day")
    assert (day.calls, day.unpriced_calls, day.cost_usd_e10) == (2, 2, 0)
    assert set(Call.objects.values_list("price_source", flat=True)) == {"unpriced"}
    assert set(Call.objects.values_list("cost_usd", flat=True)) == {None}
