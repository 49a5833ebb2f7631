"""Dashboard page time at two sizes: 10,000 calls, then 5,000,000.

    python benchmarks/dashboard.py [--small 10000] [--calls 5000000] [--days 90] [--repeat 7]

Loads calls straight into PostgreSQL with COPY (not through the API), with a
generated test run for every 20th call (linked to it, and one in four also to
a call never logged), builds the roll-ups the ingestion path keeps (hourly and
daily call roll-ups, the team-hour spend budgets read, repository roll-ups, the dashboard's daily roll-up and
cost histogram, the quality roll-up) with one INSERT ... SELECT each, counts the
job steps per day as the beat would, then
measures the server time of every dashboard page (Django's request
handling, in process, median of --repeat runs after a warm-up) at the small
size and again after growing the data to the large size. The baseline is the
same page at the small size, so the ratio says how page time grows with the
number of calls. Targets: every page under 300 ms at 5,000,000 calls on a
2-core machine, and a ratio under 2. Results go into RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import migrated_database, write_section  # noqa: E402

TEAMS = ["payments", "platform", "search", "mobile", "data", "growth", "infra", "security"]
CLIENTS = ["ci-runner", "ide-fleet", "release-bot", "review-bot"]
ENVIRONMENTS = {"ci-runner": "ci", "ide-fleet": "ide", "release-bot": "ci", "review-bot": "api"}
TASKS = ["boilerplate", "completion", "test_generation", "review", "refactor", "debug"]
RISKS = ["low", "medium", "high", "critical"]
STATUSES = ["ok"] * 46 + ["error", "timeout", "rate_limited", "cancelled"]
FULL, MINI = "gpt-5-codex", "gpt-5-codex-mini"
# USD per token as integer 1e-10 USD: $1.25 / $0.125 / $10 per million (full), a fifth of that (mini).
RATES = {FULL: (12_500, 1_250, 100_000), MINI: (2_500, 250, 20_000)}
PAGES = [
    ("overview", "/"),
    ("spend by model", "/spend/"),
    ("spend by team", "/spend/?stack_by=team"),
    ("spend, 90 days, one team", "/spend/?range=90d&team=payments"),
    ("savings", "/savings/"),
    ("spend CSV (per day)", "/spend/?export=spend_by_day"),
    ("quality", "/quality/"),
    ("quality, 90 days, one team", "/quality/?range=90d&team=payments"),
    ("budgets (burn-down)", "/burn-down/"),
    ("budgets list", "/budgets/"),
    ("exports", "/exports/"),
    ("API spend", "/api/v1/dashboard/spend"),
    ("API quality", "/api/v1/dashboard/quality"),
    # The default period is the last 30 days up to now: not whole UTC days.
    ("API pass rates by model, day", "/api/v1/quality/pass-rates?group_by=model,day"),
    ("API recommendations", "/api/v1/recommendations"),
]
# One test run per RUN_EVERY calls, named after a call it links to.
RUN_EVERY = 20
COPY_COLUMNS = (
    "client_id", "team_id", "call_id", "timestamp", "received_at", "model", "provider", "task_type", "risk",
    "environment", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "latency_ms",
    "status", "error_type", "retries", "fallback_from", "decision_id", "cost_usd", "price_source", "repo",
    "prompt", "response", "metadata",
)  # fmt: skip


def _usd(e10: int) -> str:
    return f"{e10 // 10**10}.{e10 % 10**10:010d}"


def copy_calls(
    cursor,
    runs: io.StringIO,
    links: io.StringIO,
    *,
    clients: list[tuple[int, int, str]],
    n: int,
    first_id: int,
    days: int,
    now: datetime,
    seed: int,
):
    """COPY n generated calls into calls_call, in chunks of text."""
    rng = random.Random(seed)
    start = now - timedelta(days=days)
    span = int((now - start).total_seconds()) - 1
    sql = f"COPY calls_call ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        buf = io.StringIO()
        for i in range(first_id, first_id + n):
            client_id, team_id, client_name = clients[rng.randrange(len(clients))]
            task = TASKS[rng.randrange(len(TASKS))]
            model = (
                MINI
                if task in ("boilerplate", "completion", "test_generation") and rng.random() < 0.7
                else FULL
            )
            ts = start + timedelta(seconds=rng.randrange(span))
            inp = rng.randrange(500, 30_000)
            cached = inp // rng.choice((2, 3, 5, 10))
            out = rng.randrange(100, 5_000)
            r_in, r_cached, r_out = RATES[model]
            cost = _usd((inp - cached) * r_in + cached * r_cached + out * r_out)
            fallback = FULL if model == MINI and rng.random() < 0.03 else ""
            stamp = ts.isoformat()
            buf.write(
                f"{client_id}\t{team_id}\tb{i}\t{stamp}\t{stamp}\t{model}\topenai\t{task}\t{RISKS[rng.randrange(4)]}\t"
                f"{ENVIRONMENTS[client_name]}\t{inp}\t{cached}\t{out}\t{out // 4}\t{rng.randrange(200, 9_000)}\t"
                f"{STATUSES[rng.randrange(len(STATUSES))]}\t\t{rng.choice((0, 0, 0, 1, 2))}\t{fallback}\t\t{cost}\t"
                f"custom\tacme/repo-{team_id}-{rng.randrange(6)}\t\t\t{{}}\n"
            )
            if i % RUN_EVERY == 0:
                _run_rows(
                    runs,
                    links,
                    rng,
                    i=i,
                    client_id=client_id,
                    team_id=team_id,
                    model=model,
                    task=task,
                    stamp=stamp,
                )
            if i % 20_000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


def _run_rows(
    runs: io.StringIO,
    links: io.StringIO,
    rng: random.Random,
    *,
    i: int,
    client_id: int,
    team_id: int,
    model: str,
    task: str,
    stamp: str,
) -> None:
    """One test run generated with call b{i} (same client, model, task type and
    time) and its links: most name that call; one in four also names a call
    that was never logged, so cost per passing test meets unresolved links."""
    run_pk = i // RUN_EVERY + 1
    total = rng.randrange(4, 60)
    skipped = rng.randrange(0, 1 + total // 10)
    executed = total - skipped
    pass_share = (0.86 if model == MINI else 0.91) + rng.uniform(-0.1, 0.08)
    passed = min(executed, round(executed * pass_share))
    errored = rng.randrange(0, 1 + (executed - passed) // 3)
    failed = executed - passed - errored
    flaky = rng.randrange(0, 3) if passed and rng.random() < 0.1 else 0
    flaky = min(flaky, passed)
    outcome = ""
    if task == "test_generation":
        outcome = "promoted" if failed + errored == 0 else "escalated"
    runs.write(
        f"{run_pk}\t{client_id}\t{team_id}\tr{i}\t{stamp}\t{stamp}\t{model}\t{task}\tacme/repo-{team_id}\t\t\t"
        f"generate-tests\t\\N\t{outcome}\tjson\t{total}\t{passed}\t{failed}\t{errored}\t{skipped}\t{flaky}\n"
    )
    links.write(f"{run_pk}\t{client_id}\tb{i}\n")
    if rng.random() < 0.25:
        links.write(f"{run_pk}\t{client_id}\tmissing-{i}\n")


RUN_COLUMNS = (
    "id", "client_id", "team_id", "run_id", "timestamp", "received_at", "model", "task_type", "repo", "commit",
    "pull_request", "job", "attempt", "outcome", "source", "total", "passed", "failed", "errored", "skipped", "flaky",
)  # fmt: skip


def copy_runs(cursor, *, runs: io.StringIO, links: io.StringIO) -> None:
    """COPY the generated test runs and their links, then resolve the links
    to the calls already loaded, as `suite_run_links_resolve` would."""
    with cursor.copy(f"COPY quality_suiterun ({', '.join(RUN_COLUMNS)}) FROM STDIN") as copy:
        copy.write(runs.getvalue())
    with cursor.copy(
        "COPY quality_suiteruncall (suite_run_id, client_id, call_id) FROM STDIN"
    ) as copy:
        copy.write(links.getvalue())
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('quality_suiterun', 'id'), max(id)) FROM quality_suiterun"
    )
    cursor.execute(
        "UPDATE quality_suiteruncall l SET resolved_call_id = c.id FROM calls_call c "
        "WHERE l.resolved_call_id IS NULL AND c.client_id = l.client_id AND c.call_id = l.call_id"
    )


ROLLUP_SQL = """
INSERT INTO calls_callrollup (bucket, team_id, client_id, model, task_type, environment, status, risk,
    calls, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd_e10, unpriced_calls,
    error_calls, latency_ms_sum, latency_count, retries, fallback_calls, fallback_cost_usd_e10)
SELECT date_trunc('hour', timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', team_id, client_id, model, task_type,
    environment, status, risk, count(*), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens),
    sum(reasoning_tokens), coalesce(sum((cost_usd * 10000000000)::bigint), 0), count(*) FILTER (WHERE cost_usd IS NULL),
    count(*) FILTER (WHERE status <> 'ok'), coalesce(sum(latency_ms), 0), count(latency_ms), sum(retries),
    count(*) FILTER (WHERE fallback_from <> ''),
    coalesce(sum((cost_usd * 10000000000)::bigint) FILTER (WHERE fallback_from <> ''), 0)
FROM calls_call GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""
TEAM_HOUR_SQL = """
INSERT INTO calls_teamhourrollup (bucket, team_id, calls, tokens, cost_usd_e10)
SELECT bucket, team_id, sum(calls), sum(input_tokens + output_tokens), sum(cost_usd_e10)
FROM calls_callrollup GROUP BY 1, 2
"""
REPO_SQL = """
INSERT INTO calls_reporollup (day, team_id, repo, calls, cost_usd_e10)
SELECT (timestamp AT TIME ZONE 'UTC')::date, team_id, repo, count(*), coalesce(sum((cost_usd * 10000000000)::bigint), 0)
FROM calls_call WHERE repo <> '' GROUP BY 1, 2, 3
"""
DAILY_SQL = """
INSERT INTO dashboard_dailyrollup (bucket, team_id, client_id, model, task_type, environment, calls, input_tokens,
    cached_input_tokens, output_tokens, reasoning_tokens, cost_usd_e10, unpriced_calls, error_calls, latency_ms_sum,
    latency_count, retries, fallback_calls, fallback_cost_usd_e10)
SELECT date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', team_id, client_id, model, task_type,
    environment, sum(calls), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens), sum(reasoning_tokens),
    sum(cost_usd_e10), sum(unpriced_calls), sum(error_calls), sum(latency_ms_sum), sum(latency_count), sum(retries),
    sum(fallback_calls), sum(fallback_cost_usd_e10)
FROM calls_callrollup GROUP BY 1, 2, 3, 4, 5, 6
"""
# The same buckets as governance.rollups.histogram.cost_bin (log10 in SQL).
HISTOGRAM_SQL = """
INSERT INTO dashboard_costhistogramrollup (bucket, team_id, model, bin, calls, cost_usd_e10, max_cost_usd_e10)
SELECT date_trunc('day', timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', team_id, model,
    CASE WHEN cost_usd <= 0 THEN 0 WHEN cost_usd < 0.000001 THEN 1
         ELSE least(90, floor(log(cost_usd / 0.000001) * 10)::int + 1) END,
    count(*), sum((cost_usd * 10000000000)::bigint), max((cost_usd * 10000000000)::bigint)
FROM calls_call WHERE cost_usd IS NOT NULL GROUP BY 1, 2, 3, 4
"""


# What governance.quality.services.rollup.quality_rollup_rebuild computes: runs per
# UTC day, team, model and task type, with their links' calls and cost.
QUALITY_SQL = """
INSERT INTO quality_qualitydailyrollup (day, team_id, model, task_type, runs, total, passed, failed, errored,
    skipped, flaky, promoted_runs, escalated_runs, failing_runs, linked_calls, resolved_calls, priced_calls,
    cost_usd_e10)
SELECT (r.timestamp AT TIME ZONE 'UTC')::date, r.team_id, r.model, r.task_type, count(*), sum(r.total),
    sum(r.passed), sum(r.failed), sum(r.errored), sum(r.skipped), sum(r.flaky),
    count(*) FILTER (WHERE r.outcome = 'promoted'), count(*) FILTER (WHERE r.outcome = 'escalated'),
    count(*) FILTER (WHERE r.failed > 0 OR r.errored > 0),
    coalesce(sum(l.linked), 0), coalesce(sum(l.resolved), 0), coalesce(sum(l.priced), 0),
    coalesce(sum(l.cost_e10), 0)
FROM quality_suiterun r LEFT JOIN (
    SELECT k.suite_run_id, count(*) AS linked, count(k.resolved_call_id) AS resolved, count(c.cost_usd) AS priced,
        sum((c.cost_usd * 10000000000)::bigint) AS cost_e10
    FROM quality_suiteruncall k LEFT JOIN calls_call c ON c.id = k.resolved_call_id GROUP BY k.suite_run_id
) l ON l.suite_run_id = r.id
GROUP BY 1, 2, 3, 4
"""


def rebuild_rollups(cursor) -> None:
    cursor.execute(
        "TRUNCATE calls_callrollup, calls_teamhourrollup, calls_reporollup, dashboard_costhistogramrollup, "
        "dashboard_dailyrollup, quality_qualitydailyrollup, quality_jobsteprollup, quality_jobstepday"
    )
    cursor.execute(ROLLUP_SQL)
    cursor.execute(TEAM_HOUR_SQL)
    cursor.execute(DAILY_SQL)
    cursor.execute(REPO_SQL)
    cursor.execute(HISTOGRAM_SQL)
    cursor.execute(QUALITY_SQL)
    cursor.execute("ANALYZE")


def measure(client, *, repeat: int) -> dict[str, float]:
    times: dict[str, float] = {}
    for name, url in PAGES:
        response = client.get(url)  # warm-up: price book, code paths, plotly import
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        times[name] = statistics.median(samples)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=5_000_000, help="the large size")
    parser.add_argument(
        "--days", type=int, default=90, help="calls spread over this many days up to now"
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    if args.calls <= args.small:
        raise SystemExit("--calls must be larger than --small")

    env = migrated_database("governor_bench_dashboard")
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client

    from governance.accounts.models import Team
    from governance.accounts.services import client_create, team_create
    from governance.budgets.services import budget_save
    from governance.catalog.services import model_upsert
    from governance.quality.services import job_steps_refresh
    from tests.accounts.factories import UserFactory

    full = model_upsert(name=FULL, provider="openai", tier="full", priced_as="gpt-5")
    model_upsert(
        name=MINI,
        provider="openai",
        tier="mini",
        priced_as="gpt-5.1-codex-mini",
        full_counterpart=full,
    )
    clients = []
    for slug in TEAMS:
        team = team_create(slug=slug, name=slug.title())
        clients += [(client_create(team=team, name=name).pk, team.pk, name) for name in CLIENTS]
    # Two budgets, so that the burn-down page draws something: the organisation's and one team's.
    budget_save(name="Organisation", limit=Decimal("250000"), actor=None)
    budget_save(team=Team.objects.get(slug="payments"), name="Payments", limit=Decimal("30000"))
    manager = UserFactory(username="bench-manager", role="manager")
    manager.refresh_from_db()
    browser = Client()
    browser.force_login(manager)
    now = datetime.now(UTC)

    results = {}
    loaded = 0
    for size in (args.small, args.calls):
        started = time.perf_counter()
        runs, links = io.StringIO(), io.StringIO()
        with transaction.atomic(), connection.cursor() as cursor:
            copy_calls(
                cursor.cursor,
                runs,
                links,
                clients=clients,
                n=size - loaded,
                first_id=loaded,
                days=args.days,
                now=now,
                seed=size,
            )
            copy_runs(cursor.cursor, runs=runs, links=links)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            rebuild_rollups(cursor)
        # What the beat's quality.refresh_job_steps does after runs arrive.
        job_steps_refresh()
        rollup_s = time.perf_counter() - started
        loaded = size
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM dashboard_dailyrollup")
            (daily_rows,) = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM quality_suiterun")
            (test_runs,) = cursor.fetchone()
        print(
            f"{size:,} calls, {test_runs:,} test runs: COPY {load_s:.1f} s, roll-ups {rollup_s:.1f} s, "
            f"{daily_rows:,} daily roll-up rows"
        )
        results[size] = measure(browser, repeat=args.repeat)
        for name, ms in results[size].items():
            print(f"  {name:28} {ms:8.1f} ms")

    small, large = results[args.small], results[args.calls]
    lines = [
        f"Server time per page (median of {args.repeat} in-process requests after a warm-up), calls spread over "
        f"{args.days} days, default range 30 days. Baseline: the same page at {args.small:,} calls.",
        "",
        f"| page | {args.small:,} calls (ms) | {args.calls:,} calls (ms) | ratio to baseline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, _ in PAGES:
        lines.append(
            f"| {name} | {small[name]:.1f} | {large[name]:.1f} | {large[name] / small[name]:.2f} |"
        )
    worst = max(large.values())
    worst_ratio = max(large[n] / small[n] for n, _ in PAGES)
    lines += [
        "",
        f"Slowest page at {args.calls:,} calls: {worst:.0f} ms (target < 300 ms); largest ratio {worst_ratio:.2f} "
        f"(target < 2). {'Targets met.' if worst < 300 and worst_ratio < 2 else 'Targets NOT met.'}",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section(f"dashboard ({args.calls:,} calls)", "\n".join(lines))


if __name__ == "__main__":
    main()
