"""Demo test runs for the demo calls: the mini model is a little worse on the
harder task types and as good on the routine ones, so the comparison page
shows both verdicts; payments' mini refactors slip in the last days, so the
regression check has something to raise.

Runs are derived from the stored demo calls (about one call in four that
succeeded gets a CI run); without calls, a month of unlinked runs is made
for each client instead. Safe to run again: run ids are stable and runs
already stored are left alone.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from governance.accounts.models import Client
from governance.calls.models import Call, Status
from governance.quality.services import SuiteRunInput, quality_regressions_check, suite_runs_import

FULL, MINI = "gpt-5-codex", "gpt-5-codex-mini"
# task type: (full model's pass rate, mini's gap in percentage points)
PASS_RATES = {
    "boilerplate": (0.95, 0.0),
    "completion": (0.93, 0.0),
    "test_generation": (0.89, 0.0),
    "review": (0.90, 6.0),
    "refactor": (0.85, 10.0),
    "debug": (0.81, 12.0),
}
SAMPLE = 0.25
BATCH = 500
# The planted regression: (team, model, task type), how many recent days, and the drop.
REGRESSION = ("payments", MINI, "refactor")
REGRESSION_DAYS = 5
REGRESSION_DROP = 0.3
# The demo's CI keeps a mini run's tests when at least 80 % of them pass.
PROMOTE_AT = 0.8
ACTOR = "system:demo"


def load(*, rng, now, out) -> None:
    clients = {c.pk: c for c in Client.objects.select_related("team")}
    if not clients:
        out.write("  no clients yet: no test runs")
        return
    calls = (
        Call.objects.filter(
            model__in=(FULL, MINI), status=Status.OK, task_type__in=list(PASS_RATES)
        )
        .order_by("client_id", "timestamp", "call_id")
        .values_list("client_id", "call_id", "timestamp", "model", "task_type", "repo")
    )
    planned: dict[int, list[SuiteRunInput]] = {pk: [] for pk in clients}
    linked = 0
    for client_id, call_id, timestamp, model, task_type, repo in calls.iterator(chunk_size=5000):
        if rng.random() >= SAMPLE:
            continue
        client = clients[client_id]
        run_at = min(timestamp + timedelta(minutes=rng.randint(4, 25)), now)
        planned[client_id].append(
            _run(rng, client, f"demo-{call_id}", run_at, model, task_type, repo, now, (call_id,))
        )
        linked += 1
    if not linked:
        _unlinked_month(rng, clients.values(), now, planned)
    added = 0
    for client_id, runs in planned.items():
        for start in range(0, len(runs), BATCH):
            added += suite_runs_import(
                client=clients[client_id], runs=runs[start : start + BATCH], actor=ACTOR
            )
    summary = quality_regressions_check(now=now)
    out.write(
        f"  {added} new test runs ({'linked to demo calls' if linked else 'no calls to link'}), "
        f"{len(summary.raised)} quality alerts raised"
    )


def _unlinked_month(rng, clients, now, planned) -> None:
    start = (
        (now - timedelta(days=29))
        .astimezone(UTC)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    for client in clients:
        for day in range(30):
            for n in range(12):
                model = MINI if rng.random() < 0.6 else FULL
                task_type = rng.choice(list(PASS_RATES))
                run_at = min(
                    start
                    + timedelta(days=day, hours=rng.randint(7, 19), minutes=rng.randrange(60)),
                    now,
                )
                run_id = f"demo-{client.pk}-{day}-{n}"
                planned[client.pk].append(
                    _run(rng, client, run_id, run_at, model, task_type, "", now, ())
                )


def _run(rng, client, run_id, run_at, model, task_type, repo, now, call_ids) -> SuiteRunInput:
    full_rate, mini_gap = PASS_RATES[task_type]
    rate = full_rate - (mini_gap / 100 if model == MINI else 0.0)
    if (client.team.slug, model, task_type) == REGRESSION and now - run_at < timedelta(
        days=REGRESSION_DAYS
    ):
        rate -= REGRESSION_DROP
    tests = rng.randint(6, 20)
    skipped = 1 if rng.random() < 0.15 else 0
    executed = tests - skipped
    # Close to the expected rate in every run, so "equal" task types stay equal.
    passed = max(0, min(executed, round(executed * rate + rng.uniform(-1.0, 1.0))))
    not_passed = executed - passed
    errored = 1 if not_passed and rng.random() < 0.2 else 0
    outcome = ""
    if model == MINI:
        outcome = "promoted" if passed >= PROMOTE_AT * executed else "escalated"
    return SuiteRunInput(
        run_id=run_id,
        timestamp=run_at,
        model=model,
        task_type=task_type,
        repo=repo,
        commit=f"{rng.getrandbits(28):07x}",
        pull_request=str(rng.randint(100, 999)),
        job="generate-tests",
        attempt=1,
        outcome=outcome,
        total=tests,
        passed=passed,
        failed=not_passed - errored,
        errored=errored,
        skipped=skipped,
        call_ids=call_ids,
    )
