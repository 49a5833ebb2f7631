"""Reads of the quality app, as plain dataclasses (rates are floats in [0, 1],
money is Decimal USD), for the read API and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate

from governance.catalog.models import Tier
from governance.catalog.pricing import e10_to_usd, usd_to_e10
from governance.catalog.selectors import models_list
from governance.quality import stats
from governance.quality.conf import COMPARISON_ALPHA, COMPARISON_MIN_TESTS
from governance.quality.junit import JUnitCounts
from governance.quality.models import (
    QUALITY_ROLLUP_SUMS,
    AlertState,
    JobStepDay,
    JobStepRollup,
    Outcome,
    QualityAlert,
    QualityDailyRollup,
    QualityDayVersion,
    SuiteRun,
    SuiteRunCall,
)

# The dimensions a pass rate can be broken down by, and the column each reads.
GROUP_FIELDS = {"model": "model", "task_type": "task_type", "team": "team__slug", "day": "day"}
MONEY_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class PassRate(JUnitCounts):
    """Pass rate and cost of one group of test runs: the runs' test counts summed,
    and what they make; a dimension not grouped by is None."""

    model: str | None
    task_type: str | None
    team: str | None
    day: date | None
    runs: int
    executed: int
    pass_rate: float | None
    ci_low: float | None
    ci_high: float | None
    promoted_runs: int
    escalated_runs: int
    failing_runs: int  # runs with at least one failed or errored test
    linked_calls: int
    priced_calls: int
    unpriced_calls: int
    cost_usd: Decimal
    cost_per_call_usd: Decimal | None
    cost_per_passing_test_usd: Decimal | None


@dataclass(frozen=True)
class Comparison:
    """Mini vs full for one task type. difference = mini - full, in percentage points."""

    task_type: str
    mini: PassRate
    full: PassRate
    difference_pp: float | None
    difference_ci_low_pp: float | None
    difference_ci_high_pp: float | None
    p_value: float | None
    verdict: str  # insufficient_data | no_significant_difference | mini_worse | mini_better
    verdict_text: str


@dataclass(frozen=True)
class Alert:
    id: int
    team: str
    model: str
    task_type: str
    state: str
    raised_at: datetime
    cleared_at: datetime | None
    window_start: datetime
    window_end: datetime
    baseline_rate: float
    recent_rate: float
    baseline_executed: int
    recent_executed: int
    drop_pp: float
    p_value: float
    threshold_pp: float
    last_rate: float | None


def _run_filter(prefix: str, *, start, end, team_id, model, task_type) -> Q:
    condition = Q(**{f"{prefix}timestamp__gte": start, f"{prefix}timestamp__lt": end})
    if team_id is not None:
        condition &= Q(**{f"{prefix}team_id": team_id})
    if model:
        condition &= Q(**{f"{prefix}model": model})
    if task_type is not None:
        condition &= Q(**{f"{prefix}task_type": task_type})
    return condition


def _money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_PLACES)


DEFAULT_PERIOD = timedelta(days=30)


def period_default(
    *, start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The period asked for, its missing ends filled in: by default the last
    30 whole UTC days, today's included, since whole days are read from the
    roll-up alone where a period cut inside a day reads that day's raw runs."""
    if end is None:
        end = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC)
    return (start or end - DEFAULT_PERIOD), end


def pass_rates(
    *,
    group_by: Sequence[str],
    start: datetime,
    end: datetime,
    team_id: int | None = None,
    model: str | None = None,
    task_type: str | None = None,
) -> list[PassRate]:
    """Pass rate with its Wilson 95 % interval and cost per passing test, per group.

    Whole UTC days come from the quality roll-up (one query, however many
    runs); only the part of a period that does not start or end at midnight
    UTC reads the raw runs and their linked calls (two queries per partial
    day), so a page's time does not grow with the data. Dashboard pages ask
    for whole days; the API's default period (the last 30 days up to now)
    has two partial days.
    """
    unknown = [name for name in group_by if name not in GROUP_FIELDS]
    if unknown:
        raise ValueError(
            f"cannot group by {', '.join(unknown)}; choose from {', '.join(GROUP_FIELDS)}"
        )
    dims = list(dict.fromkeys(group_by))
    scope = {"team_id": team_id, "model": model, "task_type": task_type}
    first_day, last_day = _ceil_day(start), _floor_day(end)
    groups: dict[tuple, dict] = {}
    spans = [(start, end)]
    if first_day < last_day:
        groups = _rollup_groups(dims, first_day=first_day, last_day=last_day, **scope)
        spans = [
            (a, b) for a, b in ((start, _midnight(first_day)), (_midnight(last_day), end)) if a < b
        ]
    for span_start, span_end in spans:
        raw = _raw_groups(dims, start=span_start, end=span_end, **scope)
        for key, sums in raw.items():
            into = groups.setdefault(key, dict.fromkeys(SUMS, 0))
            for name in SUMS:
                into[name] += sums[name]
        if raw:
            # Merged keys lose the database's order; sort them as it would.
            groups = dict(sorted(groups.items(), key=lambda item: item[0]))
    return [_pass_rate(dict(zip(dims, key, strict=True)), sums) for key, sums in groups.items()]


# What one group of runs sums, in the roll-up's terms: the runs' own counts,
# then their links' counts and cost.
SUMS = QUALITY_ROLLUP_SUMS
LINK_COUNTS = ("linked_calls", "resolved_calls", "priced_calls")
RUN_SUMS = tuple(name for name in SUMS if name not in (*LINK_COUNTS, "cost_usd_e10"))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _floor_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _ceil_day(moment: datetime) -> date:
    day = _floor_day(moment)
    return day if _midnight(day) == moment else day + timedelta(days=1)


def _rollup_groups(
    dims: list[str], *, first_day: date, last_day: date, team_id, model, task_type
) -> dict[tuple, dict]:
    """Whole days [first_day, last_day) from QualityDailyRollup, in one query."""
    rows = QualityDailyRollup.objects.filter(day__gte=first_day, day__lt=last_day)
    if team_id is not None:
        rows = rows.filter(team_id=team_id)
    if model:
        rows = rows.filter(model=model)
    if task_type is not None:
        rows = rows.filter(task_type=task_type)
    fields = [GROUP_FIELDS[d] for d in dims]
    sums = {f"sum_{name}": Sum(name) for name in SUMS}
    # A cell whose runs were all replaced by runs of another day sums to
    # zero runs: it is no group, as it would not be in the raw runs.
    return {
        tuple(row[f] for f in fields): {name: row[f"sum_{name}"] for name in SUMS}
        for row in _grouped(rows, fields, sums, ordered=True)
        if row["sum_runs"]
    }


def _grouped(rows, fields: list[str], aggregates: dict, *, ordered: bool = False) -> list[dict]:
    """`aggregates` per distinct `fields`; with no fields, one row over everything."""
    if not fields:
        return [rows.aggregate(**aggregates)]
    grouped = rows.values(*fields).annotate(**aggregates)
    return list(grouped.order_by(*fields) if ordered else grouped.order_by())


def _raw_groups(
    dims: list[str], *, start: datetime, end: datetime, team_id, model, task_type
) -> dict[tuple, dict]:
    """[start, end) from the raw runs and their linked calls: two queries, kept
    apart so that a run with several calls is not counted twice."""
    filters = {
        "start": start,
        "end": end,
        "team_id": team_id,
        "model": model,
        "task_type": task_type,
    }
    run_fields = [GROUP_FIELDS[d] for d in dims]
    runs = _grouped(
        SuiteRun.objects.filter(_run_filter("", **filters)).annotate(
            day=TruncDate("timestamp", tzinfo=UTC),
            # Named before the sums, whose names ("failed", "errored") would
            # otherwise stand for the columns in this condition.
            failing=ExpressionWrapper(
                Q(failed__gt=0) | Q(errored__gt=0), output_field=BooleanField()
            ),
        ),
        run_fields,
        dict(
            runs=Count("id"),
            total=Sum("total"),
            passed=Sum("passed"),
            failed=Sum("failed"),
            errored=Sum("errored"),
            skipped=Sum("skipped"),
            flaky=Sum("flaky"),
            promoted_runs=Count("id", filter=Q(outcome=Outcome.PROMOTED)),
            escalated_runs=Count("id", filter=Q(outcome=Outcome.ESCALATED)),
            failing_runs=Count("id", filter=Q(failing=True)),
        ),
    )
    link_fields = ["run_day" if f == "day" else f"suite_run__{f}" for f in run_fields]
    costs = {
        tuple(row[f] for f in link_fields): row
        for row in _grouped(
            SuiteRunCall.objects.filter(_run_filter("suite_run__", **filters)).annotate(
                run_day=TruncDate("suite_run__timestamp", tzinfo=UTC)
            ),
            link_fields,
            dict(
                linked_calls=Count("id"),
                resolved_calls=Count("resolved_call"),
                priced_calls=Count("resolved_call__cost_usd"),
                cost=Sum("resolved_call__cost_usd"),
            ),
        )
    }
    groups = {}
    for row in runs:
        if not row["runs"]:
            continue
        key = tuple(row[f] for f in run_fields)
        cost_row = costs.get(key, {})
        sums = {name: row.get(name) or 0 for name in RUN_SUMS}
        for name in LINK_COUNTS:
            sums[name] = cost_row.get(name, 0)
        cost = cost_row.get("cost")
        sums["cost_usd_e10"] = usd_to_e10(Decimal(cost)) if cost is not None else 0
        groups[key] = sums
    return groups


def _pass_rate(keys: dict, sums: dict) -> PassRate:
    passed, failed, errored = sums["passed"], sums["failed"], sums["errored"]
    executed = stats.executed_tests(passed=passed, failed=failed, errored=errored)
    rate = stats.pass_rate(passed=passed, failed=failed, errored=errored)
    low, high = stats.wilson_interval(passed, executed) if executed else (None, None)
    cost = e10_to_usd(sums["cost_usd_e10"])
    priced = sums["priced_calls"]
    return PassRate(
        model=keys.get("model"),
        task_type=keys.get("task_type"),
        team=keys.get("team"),
        day=keys.get("day"),
        runs=sums["runs"],
        total=sums["total"],
        passed=passed,
        failed=failed,
        errored=errored,
        skipped=sums["skipped"],
        flaky=sums["flaky"],
        executed=executed,
        pass_rate=rate,
        ci_low=low,
        ci_high=high,
        promoted_runs=sums["promoted_runs"],
        escalated_runs=sums["escalated_runs"],
        failing_runs=sums["failing_runs"],
        linked_calls=sums["linked_calls"],
        priced_calls=priced,
        unpriced_calls=sums["resolved_calls"] - priced,
        cost_usd=_money(cost),
        cost_per_call_usd=_money(cost / priced) if priced else None,
        cost_per_passing_test_usd=_money(cost / passed) if priced and passed else None,
    )


def model_comparisons(
    *, start: datetime, end: datetime, team_id: int | None = None
) -> list[Comparison]:
    """Each mini-tier model against its full counterpart (or every full-tier
    model when none is set), per task type both have test runs for."""
    by_series = {
        (row.model or "", row.task_type or ""): row
        for row in pass_rates(
            group_by=("model", "task_type"), start=start, end=end, team_id=team_id
        )
    }
    catalog = models_list()
    full_names = [m.name for m in catalog if m.tier == Tier.FULL]
    task_types = sorted({task for _, task in by_series})
    comparisons = []
    for mini in (m for m in catalog if m.tier == Tier.MINI):
        counterparts = [mini.full_counterpart.name] if mini.full_counterpart else full_names
        for task_type in task_types:
            mini_row = by_series.get((mini.name, task_type))
            if mini_row is None:
                continue
            for full_name in counterparts:
                full_row = by_series.get((full_name, task_type))
                if full_row is not None:
                    comparisons.append(_compare(task_type, mini_row, full_row))
    return comparisons


def _compare(task_type: str, mini: PassRate, full: PassRate) -> Comparison:
    difference = low = high = p_value = None
    if mini.executed and full.executed:
        difference = (mini.passed / mini.executed - full.passed / full.executed) * 100
        low, high = stats.newcombe_difference_interval(
            mini.passed, mini.executed, full.passed, full.executed
        )
        low, high = low * 100, high * 100
        p_value = stats.two_proportion_z_test(
            mini.passed, mini.executed, full.passed, full.executed
        ).p_two_sided
    verdict, text = _verdict(mini, full, difference, p_value)
    return Comparison(
        task_type=task_type,
        mini=mini,
        full=full,
        difference_pp=difference,
        difference_ci_low_pp=low,
        difference_ci_high_pp=high,
        p_value=p_value,
        verdict=verdict,
        verdict_text=text,
    )


def _verdict(
    mini: PassRate, full: PassRate, difference: float | None, p_value: float | None
) -> tuple[str, str]:
    if (
        difference is None
        or p_value is None
        or min(mini.executed, full.executed) < COMPARISON_MIN_TESTS
    ):
        return "insufficient_data", "not enough data yet"
    if p_value >= COMPARISON_ALPHA:
        return "no_significant_difference", "no significant difference at this sample size"
    if difference < 0:
        return "mini_worse", f"mini is worse by {abs(difference):.1f} pp"
    return "mini_better", f"mini is better by {difference:.1f} pp"


def quality_alerts(
    *, team_id: int | None = None, state: str | None = None, limit: int = 200
) -> list[Alert]:
    alerts = QualityAlert.objects.select_related("team").order_by("-raised_at", "-id")
    if team_id is not None:
        alerts = alerts.filter(team_id=team_id)
    if state:
        if state not in AlertState.values:
            raise ValueError(f"state must be one of {', '.join(AlertState.values)}")
        alerts = alerts.filter(state=state)
    return [
        Alert(
            id=a.pk,
            team=a.team.slug,
            model=a.model,
            task_type=a.task_type,
            state=a.state,
            raised_at=a.raised_at,
            cleared_at=a.cleared_at,
            window_start=a.window_start,
            window_end=a.window_end,
            baseline_rate=a.baseline_rate,
            recent_rate=a.recent_rate,
            baseline_executed=a.baseline_executed,
            recent_executed=a.recent_executed,
            drop_pp=a.drop_pp,
            p_value=a.p_value,
            threshold_pp=a.threshold_pp,
            last_rate=a.last_rate,
        )
        for a in alerts[:limit]
    ]


@dataclass(frozen=True)
class JobSteps:
    """Runs of jobs (runs that name a `job`) grouped by their place in the job.

    `first`: the job's first run of its UTC day (by attempt, then time), with
    an outcome. Otherwise a run that follows an escalated run of the same job
    on the same day; `previous_model` and `previous_task_type` name that
    escalated run ("" for a first run). A job's runs are paired within their
    UTC day, so that each day is counted once and kept (JobStepRollup).
    """

    first: bool
    model: str
    task_type: str
    outcome: str
    previous_model: str
    previous_task_type: str
    runs: int
    passed: int
    executed: int


STEP_KEY = ("first", "model", "task_type", "outcome", "previous_model", "previous_task_type")

# Each job's runs of a day in attempt order (client and job name one job), in
# the database: the runs of the days asked for are read once, as a handful of
# groups per day.
_JOB_STEPS_SQL = """
SELECT day, team_id, first_in_job, model, task_type, outcome, previous_model, previous_task_type,
    COUNT(*), SUM(passed), SUM(executed)
FROM (
    SELECT {day} AS day, team_id, model, task_type, outcome, passed,
        passed + failed + errored AS executed,
        ROW_NUMBER() OVER job_order = 1 AS first_in_job,
        LAG(outcome) OVER job_order AS previous_outcome,
        LAG(model) OVER job_order AS previous_model,
        LAG(task_type) OVER job_order AS previous_task_type
    FROM {table}
    WHERE ({spans}) AND job <> '' {team}
    WINDOW job_order AS (PARTITION BY client_id, job, {day} ORDER BY attempt, {timestamp}, id)
) steps
WHERE (first_in_job AND outcome <> '') OR previous_outcome = %s
GROUP BY day, team_id, first_in_job, model, task_type, outcome, previous_model, previous_task_type
"""


def _spans(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as [first, after-last) runs of consecutive days."""
    spans: list[tuple[date, date]] = []
    for day in sorted(days):
        if spans and spans[-1][1] == day:
            spans[-1] = (spans[-1][0], day + timedelta(days=1))
        else:
            spans.append((day, day + timedelta(days=1)))
    return spans


def job_steps_of_days(
    days: list[date], *, team_id: int | None = None
) -> list[tuple[date, int, JobSteps]]:
    """(day, team id, steps) of the given UTC days, counted from their raw
    runs in one query."""
    if not days:
        return []
    ops = connection.ops
    timestamp = ops.quote_name("timestamp")
    day_sql, day_params = ops.datetime_cast_date_sql(timestamp, (), "UTC")
    span_params: list = []
    for first, after in _spans(days):
        span_params += [
            ops.adapt_datetimefield_value(_midnight(first)),
            ops.adapt_datetimefield_value(_midnight(after)),
        ]
    team = ""
    team_params: list = []
    if team_id is not None:
        team, team_params = "AND team_id = %s", [team_id]
    sql = _JOB_STEPS_SQL.format(
        table=ops.quote_name(SuiteRun._meta.db_table),
        timestamp=timestamp,
        day=day_sql,
        spans=" OR ".join([f"({timestamp} >= %s AND {timestamp} < %s)"] * (len(span_params) // 2)),
        team=team,
    )
    params = [
        *day_params, *span_params, *team_params, *day_params, Outcome.ESCALATED.value,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (
            day if isinstance(day, date) else date.fromisoformat(day),
            team,
            JobSteps(
                first=bool(first),
                model=model,
                task_type=task_type,
                outcome=outcome,
                previous_model=previous_model or "",
                previous_task_type=previous_task_type or "",
                runs=runs,
                passed=passed or 0,
                executed=executed or 0,
            ),
        )  # fmt: skip
        for day, team, first, model, task_type, outcome, previous_model, previous_task_type, runs, passed, executed in rows
    ]


def _days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]


def day_versions(first_day: date, last_day: date) -> dict[date, int]:
    """The version of each day in [first_day, last_day] (0: never changed)."""
    stored = dict(
        QualityDayVersion.objects.filter(day__gte=first_day, day__lte=last_day).values_list(
            "day", "version"
        )
    )
    return {day: stored.get(day, 0) for day in _days(first_day, last_day)}


def _at_current_version(rows, first_day: date, last_day: date):
    """`rows` (day, version) of [first_day, last_day] counted at their day's current version."""
    current = QualityDayVersion.objects.filter(day=OuterRef("day")).values("version")[:1]
    return (
        rows.filter(day__gte=first_day, day__lte=last_day)
        .annotate(current=Coalesce(Subquery(current), Value(0)))
        .filter(version=F("current"))
    )


def job_steps_cached(first_day: date, last_day: date) -> set[tuple[date, int]]:
    """(day, version) of the days in [first_day, last_day] whose job steps
    JobStepRollup holds at the day's current version."""
    counted = _at_current_version(JobStepDay.objects.all(), first_day, last_day)
    return set(counted.values_list("day", "version"))


def job_steps(*, first_day: date, last_day: date, team_id: int | None) -> list[JobSteps]:
    """The job steps of the UTC days first_day to last_day (both included):
    what escalation chains are counted from.

    One query finds the days counted at their current version, one reads
    their rows from JobStepRollup, one counts the others (today, while runs
    arrive; a day changed since the last refresh) from their raw runs.
    """
    counted = {day for day, _ in job_steps_cached(first_day, last_day)}
    stale = [day for day in _days(first_day, last_day) if day not in counted]
    sums: dict[tuple, list[int]] = {}
    if counted:
        # Stored with their day's marker in one transaction: rows at the
        # current version are those of the counted days.
        rows = _at_current_version(JobStepRollup.objects.all(), first_day, last_day)
        if team_id is not None:
            rows = rows.filter(team_id=team_id)
        grouped = rows.values(*STEP_KEY).annotate(
            sum_runs=Sum("runs"), sum_passed=Sum("passed"), sum_executed=Sum("executed")
        )
        for row in grouped.order_by():
            key = tuple(row[name] for name in STEP_KEY)
            sums[key] = [row["sum_runs"], row["sum_passed"], row["sum_executed"]]
    for _, _, step in job_steps_of_days(stale, team_id=team_id):
        key = tuple(getattr(step, name) for name in STEP_KEY)
        acc = sums.setdefault(key, [0, 0, 0])
        acc[0] += step.runs
        acc[1] += step.passed
        acc[2] += step.executed
    return [
        JobSteps(
            **dict(zip(STEP_KEY, key, strict=True)), runs=runs, passed=passed, executed=executed
        )
        for key, (runs, passed, executed) in sums.items()
    ]


@dataclass(frozen=True)
class FinalRuns:
    """Runs that were a job's last word (all but escalated ones) of one task
    type, model and team."""

    task_type: str
    model: str
    team_id: int
    runs: int
    passed: int
    executed: int


def final_runs(
    *, start: datetime, end: datetime, task_types: Sequence[str], team_id: int | None
) -> list[FinalRuns]:
    """Runs in [start, end) of `task_types` whose outcome is not "escalated"
    (an escalated attempt is replaced by its redo), per task type, model and
    team: one aggregate query."""
    runs = SuiteRun.objects.filter(
        timestamp__gte=start, timestamp__lt=end, task_type__in=list(task_types)
    ).exclude(outcome=Outcome.ESCALATED)
    if team_id is not None:
        runs = runs.filter(team_id=team_id)
    rows = runs.values("task_type", "model", "team_id").annotate(
        n=Count("id"), p=Sum("passed"), f=Sum("failed"), e=Sum("errored")
    )
    return [
        FinalRuns(
            task_type=r["task_type"],
            model=r["model"],
            team_id=r["team_id"],
            runs=r["n"],
            passed=r["p"],
            executed=r["p"] + r["f"] + r["e"],
        )  # fmt: skip
        for r in rows.order_by()
    ]
