"""Calls and their roll-ups for dashboard tests.

`store_calls` writes Call rows and the roll-ups the ingestion path keeps
(daily CallRollup, RepoRollup, and the dashboard's cost histogram), so the
dashboard's selectors can be checked against the raw calls they summarise.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime, time
from decimal import Decimal

from governance.calls.models import Call, CallRollup, Granularity, RepoRollup
from governance.catalog.models import Model, Tier
from governance.dashboard.services import rollups_cost_histogram_add

_ids = itertools.count(1)


def catalog_models() -> tuple[Model, Model]:
    full, _ = Model.objects.get_or_create(
        name="gpt-5-codex", defaults={"tier": Tier.FULL, "priced_as": "gpt-5"}
    )
    mini, _ = Model.objects.get_or_create(
        name="gpt-5-codex-mini",
        defaults={"tier": Tier.MINI, "priced_as": "gpt-5.1-codex-mini", "full_counterpart": full},
    )
    return full, mini


def make_call(
    *, client, timestamp: datetime, model: str = "gpt-5-codex", cost: str | None = "0.01", **kw
) -> Call:
    defaults = dict(
        call_id=f"c-{next(_ids)}",
        received_at=timestamp,
        task_type="unit_tests",
        environment="ci",
        risk="low",
        status="ok",
        input_tokens=1000,
        cached_input_tokens=0,
        output_tokens=500,
        latency_ms=800,
        price_source="genai_prices" if cost is not None else "unpriced",
    )
    defaults.update(kw)
    return Call(
        client=client,
        team=client.team,
        timestamp=timestamp,
        model=model,
        cost_usd=Decimal(cost) if cost is not None else None,
        **defaults,
    )


def store_calls(calls: list[Call]) -> list[Call]:
    Call.objects.bulk_create(calls)
    rollups: dict[tuple, dict] = defaultdict(lambda: defaultdict(Decimal))
    repos: dict[tuple, dict] = defaultdict(lambda: defaultdict(Decimal))
    for c in calls:
        day = datetime.combine(c.timestamp.astimezone(UTC).date(), time.min, tzinfo=UTC)
        key = (day, c.team_id, c.client_id, c.model, c.task_type, c.environment, c.status, c.risk)
        r = rollups[key]
        r["calls"] += 1
        r["input_tokens"] += c.input_tokens
        r["cached_input_tokens"] += c.cached_input_tokens
        r["output_tokens"] += c.output_tokens
        r["reasoning_tokens"] += c.reasoning_tokens
        r["cost_usd"] += c.cost_usd or 0
        r["unpriced_calls"] += c.cost_usd is None
        r["latency_ms_sum"] += c.latency_ms or 0
        r["latency_count"] += c.latency_ms is not None
        r["retries"] += c.retries
        r["fallback_calls"] += bool(c.fallback_from)
        r["fallback_cost_usd"] += (c.cost_usd or 0) if c.fallback_from else 0
        if c.repo:
            rr = repos[(day.date(), c.team_id, c.repo)]
            rr["calls"] += 1
            rr["cost_usd"] += c.cost_usd or 0
    for (day, team, client, model, task, env, status, risk), r in rollups.items():
        row, _ = CallRollup.objects.get_or_create(
            granularity=Granularity.DAY,
            bucket=day,
            team_id=team,
            client_id=client,
            model=model,
            task_type=task,
            environment=env,
            status=status,
            risk=risk,
        )
        for name, value in r.items():
            setattr(
                row,
                name,
                getattr(row, name)
                + (int(value) if name not in ("cost_usd", "fallback_cost_usd") else value),
            )
        row.save()
    for (day, team, repo), r in repos.items():
        row, _ = RepoRollup.objects.get_or_create(day=day, team_id=team, repo=repo)
        row.calls += int(r["calls"])
        row.cost_usd += r["cost_usd"]
        row.save()
    rollups_cost_histogram_add(calls=calls)
    return calls
