"""A quarter of calls with a plausible shape: usage growing month over month,
busy weekdays, quiet nights and weekends, agent-sized contexts, most
high-volume work on the mini model, some errors and fallbacks. Ninety days
give every page history to compare with: this month against the last, the
burn-down's forecast, the advisor's trends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from governance.accounts.models import Client
from governance.calls.serializers import ValidCall
from governance.calls.services import calls_ingest
from governance.core.progress import Progress

FULL, MINI = "gpt-5-codex", "gpt-5-codex-mini"
# task type: (share of calls, risk weights low/medium/high/critical, share on mini)
TASKS = {
    "boilerplate": (0.22, (6, 3, 1, 0), 0.85),
    "completion": (0.25, (5, 4, 1, 0), 0.75),
    "test_generation": (0.18, (3, 5, 2, 0), 0.65),
    "review": (0.12, (2, 5, 3, 1), 0.45),
    "refactor": (0.13, (1, 4, 4, 1), 0.25),
    "debug": (0.10, (1, 3, 4, 2), 0.15),
}
RISKS = ("low", "medium", "high", "critical")
DAYS = 90
# Usage grows this much a month (compounded daily), so last month is smaller.
MONTHLY_GROWTH = 1.15
# Calls per weekday today, per team: payments burns fastest.
TEAM_VOLUME = {"payments": 420, "platform": 260, "search": 180, "mobile": 120}
REPOS = {
    "payments": ["acme/payments-api", "acme/ledger", "acme/checkout-web"],
    "search": ["acme/search-indexer", "acme/query-service"],
    "platform": ["acme/infra", "acme/deploy-tools", "acme/auth"],
    "mobile": ["acme/ios-app", "acme/android-app"],
}
ENVIRONMENTS = {
    "ci-runner": "ci",
    "ide-fleet": "ide",
    "release-bot": "ci",
    "cli": "cli",
    "review-bot": "api",
}
# The models' context window, in tokens: no turn carries more.
CONTEXT_WINDOW = 400_000
# Share of the day's calls in each UTC hour (a working day centred on 08:00-17:00 UTC).
HOURLY = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 10, 12, 13, 12, 10, 7, 5, 3, 2, 2, 1, 1]


def load(*, rng, now, out) -> None:
    clients = list(Client.objects.select_related("team"))
    total_accepted = 0
    end = now.astimezone(UTC)
    start_day = (end - timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    progress = Progress(out, "calls", total=len(clients) * DAYS)
    for client in clients:
        per_client = TEAM_VOLUME.get(client.team.slug, 100) / max(
            1, sum(1 for c in clients if c.team_id == client.team_id)
        )
        batch: list[ValidCall] = []
        for day_index in range(DAYS):
            day = start_day + timedelta(days=day_index)
            weekend = day.weekday() >= 5
            growth = MONTHLY_GROWTH ** ((day_index - (DAYS - 1)) / 30)
            volume = int(per_client * growth * (0.25 if weekend else 1.0) * rng.uniform(0.85, 1.15))
            for n in range(volume):
                ts = _timestamp(rng, day)
                if ts >= end:
                    continue
                batch.append(
                    _call(
                        rng, client, ts, f"demo-{client.team.slug}-{client.name}-{day:%Y%m%d}-{n}"
                    )
                )
                if len(batch) == 2000:
                    total_accepted += calls_ingest(client=client, calls=batch).accepted
                    batch = []
            progress.advance(note=f"{total_accepted + len(batch):,} calls")
        if batch:
            total_accepted += calls_ingest(client=client, calls=batch).accepted
    progress.finish()
    out.write(f"  {total_accepted:,} new calls over {DAYS} days")


def _timestamp(rng, day: datetime) -> datetime:
    hour = rng.choices(range(24), weights=HOURLY)[0]
    return day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


def _call(rng, client: Client, ts: datetime, call_id: str) -> ValidCall:
    task = rng.choices(list(TASKS), weights=[t[0] for t in TASKS.values()])[0]
    _, risk_weights, mini_share = TASKS[task]
    risk = rng.choices(RISKS, weights=risk_weights)[0]
    model = MINI if risk != "critical" and rng.random() < mini_share else FULL
    big = task in ("refactor", "debug")
    # A coding agent's turn carries the conversation and the files it read:
    # tens of thousands of input tokens, most of them cached from the last turn.
    input_tokens = min(CONTEXT_WINDOW, int(rng.lognormvariate(12.3 if big else 11.7, 0.5)))
    cached = int(input_tokens * rng.uniform(0.5, 0.85))
    output_tokens = int(rng.lognormvariate(8.6 if big else 7.9, 0.6))
    reasoning = (
        int(output_tokens * rng.uniform(0.1, 0.6)) if model == FULL else int(output_tokens * 0.1)
    )
    roll = rng.random()
    status = "ok"
    error_type = ""
    if roll < 0.015:
        status, error_type = "timeout", "upstream_timeout"
    elif roll < 0.03:
        status, error_type = "error", "server_error"
    elif roll < 0.04:
        status, error_type = "rate_limited", "429"
    fallback_from = FULL if model == MINI and rng.random() < 0.04 else ""
    repo = rng.choice(REPOS.get(client.team.slug, ["acme/misc"]))
    metadata = {"repo": repo, "pull_request": rng.randint(100, 999)}
    latency = int(rng.lognormvariate(7.6 if model == FULL else 7.0, 0.4))
    return ValidCall(
        call_id=call_id, timestamp=ts, model=model, provider="openai", task_type=task, risk=risk,
        environment=ENVIRONMENTS.get(client.name, "other"), input_tokens=input_tokens,
        cached_input_tokens=cached, output_tokens=output_tokens, reasoning_tokens=reasoning,
        latency_ms=latency, status=status, error_type=error_type, retries=1 if status != "ok" else 0,
        fallback_from=fallback_from, decision_id="", reported_cost_usd=None, prompt="", response="",
        metadata=metadata, metadata_json=_json(metadata), repo=repo,
    )  # fmt: skip


def _json(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))
