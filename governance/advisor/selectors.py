"""Reads of the routing advisor: the tolerance in force, the options per task
type estimated from ingested data only, and the recommended plan.

Sources, chosen so a request does not grow with the raw data where it can
avoid it: pass rates per model and task type from the quality daily roll-up
(`quality.selectors.pass_rates`, failing runs included), calls and cost per
model and task type from the call roll-up
(`rollups.selectors.tokens_by_day_model_task`), and the escalation chains
from the job steps counted per day (`quality.selectors.job_steps`: runs that
name a `job`, in `attempt` order; only days changed since the last refresh
read raw runs).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from governance.accounts.models import Team
from governance.accounts.selectors import team_scope
from governance.advisor.models import DEFAULT_TOLERANCE_PP, ORG_SCOPE, QualityTolerance
from governance.advisor.optimizer import Z_ONE_SIDED, Choice, plan_optimal
from governance.catalog.models import Tier
from governance.catalog.selectors import models_list
from governance.policies.selectors import policy_versions
from governance.quality import stats
from governance.quality.models import Outcome
from governance.quality.selectors import final_runs, job_steps, pass_rates
from governance.rollups.selectors import RollupFilter, tokens_by_day_model_task

FULL = "full"
MINI = "mini"
ESCALATE = "mini_escalate"
OPTION_LABELS = {
    FULL: "Full model",
    MINI: "Mini model",
    ESCALATE: "Mini, escalate on failure",
}
# Two-sided 95 % for the interval shown per option; the plan uses the one-sided bound.
Z_TWO_SIDED = 1.959963984540054
DEFAULT_DAYS = 30
CENT = Decimal("0.01")


def tolerance_pp(*, team_id: int | None) -> Decimal:
    """The tolerance in force: the team's own, else the organisation's, else 1.0 pp."""
    scopes = [ORG_SCOPE] + ([f"team:{team_id}"] if team_id is not None else [])
    rows = {t.scope: t.tolerance_pp for t in QualityTolerance.objects.filter(scope__in=scopes)}
    if team_id is not None and f"team:{team_id}" in rows:
        return rows[f"team:{team_id}"]
    return rows.get(ORG_SCOPE, DEFAULT_TOLERANCE_PP)


@dataclass(frozen=True)
class Option:
    """One way to serve one task type, per job: cost, pass rate, change vs the full model."""

    option: str
    model: str
    available: bool
    cost_per_job_usd: Decimal | None
    monthly_cost_usd: Decimal | None
    monthly_saving_usd: Decimal
    pass_rate: float | None
    change: float  # pass rate minus the full model's, fraction
    variance: float  # of `change`
    runs: int
    escalation_rate: float | None = None
    escalation_observed: bool | None = None
    note: str = ""
    runs_needed: int | None = None  # more runs of this option to decide at the tolerance
    executed: int = 0  # tests the pass rate is taken over

    @property
    def change_low(self) -> float:
        return self.change - Z_TWO_SIDED * math.sqrt(self.variance)

    @property
    def change_high(self) -> float:
        return self.change + Z_TWO_SIDED * math.sqrt(self.variance)


@dataclass(frozen=True)
class TaskOptions:
    task_type: str
    full: str
    mini: str
    monthly_jobs: Decimal
    # What the traffic does today (mix of models as observed), against all on full.
    current_mini_share: float
    current_monthly_cost_usd: Decimal
    current_saving_usd: Decimal
    current_change: float
    options: list[Option]

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.option == name)


@dataclass(frozen=True)
class PlanRow:
    task_type: str
    chosen: Option
    task: TaskOptions
    weight: float


@dataclass(frozen=True)
class Recommendation:
    tolerance_pp: Decimal
    start: date
    end: date
    team: str | None
    rows: list[PlanRow]
    monthly_saving_usd: Decimal
    change: float  # traffic-weighted, fraction
    variance: float
    current_saving_usd: Decimal
    current_monthly_cost_usd: Decimal
    current_change: float
    thin: list[tuple[TaskOptions, Option]] = field(default_factory=list)

    @property
    def change_lower_bound(self) -> float:
        """One-sided 95 % lower bound: what the plan is judged on."""
        return self.change - Z_ONE_SIDED * math.sqrt(self.variance)


@dataclass
class _Counts:
    passed: int = 0
    executed: int = 0
    runs: int = 0

    def add(self, passed: int, executed: int, runs: int = 1) -> None:
        self.passed += passed
        self.executed += executed
        self.runs += runs

    @property
    def rate(self) -> float | None:
        return self.passed / self.executed if self.executed else None

    @property
    def variance(self) -> float:
        rate = self.rate
        return rate * (1 - rate) / self.executed if rate is not None else math.inf


@dataclass
class _Chains:
    first: int = 0  # mini first attempts that report an outcome
    escalated: int = 0
    final: _Counts = field(default_factory=_Counts)  # promoted attempts + the escalated jobs' redo
    follow_ups: _Counts = field(default_factory=_Counts)  # full-model redo runs


def window(*, days: int, today: date) -> tuple[date, date]:
    """The last `days` whole UTC days, today included."""
    return today - timedelta(days=days - 1), today


def task_options(
    *, start: date, end: date, team_id: int | None, team_slug: str | None, tolerance: float
) -> list[TaskOptions]:
    """Every task type with traffic on a full model that has a mini sibling,
    with its three options. `tolerance` (fraction) only decides how many more
    runs an undecided option needs."""
    catalog = models_list()
    mini_of = {
        m.full_counterpart.name: m.name
        for m in catalog
        if m.tier == Tier.MINI and m.full_counterpart is not None
    }
    if not mini_of:
        return []
    full_of = {mini: full for full, mini in mini_of.items()}
    days = (end - start).days + 1
    per_month = Decimal(30) / Decimal(days)
    start_at = datetime.combine(start, time.min, tzinfo=UTC)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)

    calls: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0)])
    usage = tokens_by_day_model_task(
        filters=RollupFilter(start=start, end=end, teams=(team_slug,) if team_slug else ()),
        models=sorted(set(mini_of) | set(full_of)),
    )
    for u in usage:
        priced = u.calls - u.unpriced_calls
        acc = calls[(u.model, u.task_type)]
        acc[0] += priced
        acc[1] += u.cost_usd
    quality = {
        (r.model or "", r.task_type or ""): r
        for r in pass_rates(
            group_by=("model", "task_type"), start=start_at, end=end_at, team_id=team_id
        )
    }
    chains, follow_up_keys = _chains(
        start=start, end=end, team_id=team_id, minis=set(full_of), fulls=set(mini_of)
    )

    task_types = sorted(
        {t for (m, t) in calls if m in mini_of} | {t for (m, t) in quality if m in mini_of}
    )
    result = []
    for task_type in task_types:
        # The full model with the most traffic on this task type.
        full = max(
            (m for m in mini_of if (m, task_type) in calls or (m, task_type) in quality),
            key=lambda m: (calls[(m, task_type)][0] if (m, task_type) in calls else 0, m),
        )
        mini = mini_of[full]
        full_calls, full_cost = calls.get((full, task_type), (0, Decimal(0)))
        mini_calls, mini_cost = calls.get((mini, task_type), (0, Decimal(0)))
        redo = follow_up_keys.get((full, task_type))
        # A redo of an escalated job is a second call of the same job, not more traffic.
        jobs = full_calls + mini_calls - min(redo.runs if redo else 0, full_calls)
        if not jobs:
            continue
        monthly_jobs = Decimal(jobs) * per_month
        cost_full = _per_job(full_cost, full_calls, quality.get((full, task_type)))
        cost_mini = _per_job(mini_cost, mini_calls, quality.get((mini, task_type)))
        # The full model's own record, without the redo runs of escalated jobs
        # (harder work by selection, which would make the full model look worse).
        full_q = _counts(quality.get((full, task_type)))
        if redo:
            full_q = _Counts(
                passed=full_q.passed - redo.passed,
                executed=full_q.executed - redo.executed,
                runs=full_q.runs - redo.runs,
            )
        mini_q = _counts(quality.get((mini, task_type)))
        options = [
            Option(
                option=FULL,
                model=full,
                available=True,
                cost_per_job_usd=cost_full,
                monthly_cost_usd=_money(cost_full * monthly_jobs) if cost_full is not None else None,
                monthly_saving_usd=Decimal(0),
                pass_rate=full_q.rate,
                change=0.0,
                variance=0.0,
                runs=full_q.runs,
                executed=full_q.executed,
            ),
            _mini_option(
                full_q=full_q, mini_q=mini_q, mini=mini, cost_full=cost_full,
                cost_mini=cost_mini, monthly_jobs=monthly_jobs, tolerance=tolerance,
            ),
            _escalate_option(
                full_q=full_q, mini_q=mini_q, mini=mini, chains=chains.get(task_type),
                mini_record=quality.get((mini, task_type)), cost_full=cost_full,
                cost_mini=cost_mini, monthly_jobs=monthly_jobs, tolerance=tolerance,
            ),
        ]  # fmt: skip
        mini_share = min(mini_calls / jobs, 1.0)
        current_cost = _money((full_cost + mini_cost) * per_month)
        saving_now = options[1].monthly_saving_usd * Decimal(mini_share)
        result.append(
            TaskOptions(
                task_type=task_type,
                full=full,
                mini=mini,
                monthly_jobs=monthly_jobs.quantize(CENT),
                current_mini_share=mini_share,
                current_monthly_cost_usd=current_cost,
                current_saving_usd=_money(saving_now),
                current_change=mini_share * options[1].change if options[1].available else 0.0,
                options=options,
            )
        )
    return result


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _per_job(cost: Decimal, n: int, quality_row) -> Decimal | None:
    """Cost per job: the call roll-up's cost per priced call, else the cost of
    the calls linked to the task type's test runs."""
    if n:
        return cost / n
    if quality_row is not None and quality_row.priced_calls:
        return quality_row.cost_usd / quality_row.priced_calls
    return None


def _counts(row) -> _Counts:
    if row is None:
        return _Counts()
    return _Counts(passed=row.passed, executed=row.executed, runs=row.runs)


def _decide(*, change: float, variance: float, runs: int, tolerance: float) -> int | None:
    """More runs of an option needed before its one-sided 95 % bound can say
    "within the tolerance" or "beyond it"; None when it already can."""
    sd = math.sqrt(variance)
    if change - Z_ONE_SIDED * sd >= -tolerance or change + Z_ONE_SIDED * sd < -tolerance:
        return None
    margin = abs(change + tolerance)
    # Standard errors shrink with the square root of the runs; a change sitting
    # on the tolerance needs a margin to be told apart at all (0.1 pp here).
    target = max(margin, 0.001) / Z_ONE_SIDED
    factor = (sd / target) ** 2
    return max(1, math.ceil(max(runs, 1) * factor) - runs)


def _mini_option(
    *, full_q: _Counts, mini_q: _Counts, mini: str, cost_full, cost_mini, monthly_jobs, tolerance
) -> Option:
    available = bool(
        full_q.executed and mini_q.executed and cost_full is not None and cost_mini is not None
    )
    if not available:
        return Option(
            option=MINI, model=mini, available=False, cost_per_job_usd=cost_mini,
            monthly_cost_usd=None, monthly_saving_usd=Decimal(0), pass_rate=mini_q.rate,
            change=0.0, variance=0.0, runs=mini_q.runs,
            note="no test runs or no priced calls on one of the models yet",
        )  # fmt: skip
    change = (mini_q.rate or 0.0) - (full_q.rate or 0.0)
    variance = mini_q.variance + full_q.variance
    return Option(
        option=MINI,
        model=mini,
        available=True,
        cost_per_job_usd=cost_mini,
        monthly_cost_usd=_money(cost_mini * monthly_jobs),
        monthly_saving_usd=_money((cost_full - cost_mini) * monthly_jobs),
        pass_rate=mini_q.rate,
        change=change,
        variance=variance,
        runs=mini_q.runs,
        runs_needed=_decide(
            change=change, variance=variance, runs=mini_q.runs, tolerance=tolerance
        ),
    )


def _escalate_option(
    *, full_q, mini_q, mini, chains: _Chains | None, mini_record, cost_full, cost_mini,
    monthly_jobs, tolerance,
) -> Option:  # fmt: skip
    if not (
        full_q.executed and mini_q.executed and cost_full is not None and cost_mini is not None
    ):
        return Option(
            option=ESCALATE, model=mini, available=False, cost_per_job_usd=None,
            monthly_cost_usd=None, monthly_saving_usd=Decimal(0), pass_rate=None,
            change=0.0, variance=0.0, runs=0,
            note="no test runs or no priced calls on one of the models yet",
        )  # fmt: skip
    if chains is not None and chains.escalated and chains.final.executed:
        rate = chains.escalated / chains.first
        final = chains.final
        change = (final.rate or 0.0) - (full_q.rate or 0.0)
        variance = final.variance + full_q.variance
        runs, observed, note = chains.first, True, ""
    else:
        # Never optimistic: mini's failing runs would all escalate (upper 95 %
        # bound of that share), and the result is at best the full model's.
        runs_failing, runs_all = (
            (mini_record.failing_runs, mini_record.runs) if mini_record is not None else (0, 0)
        )
        rate = stats.wilson_interval(runs_failing, runs_all)[1] if runs_all else 1.0
        change = 0.0
        variance = mini_q.variance + full_q.variance
        runs, observed = chains.first if chains else 0, False
        note = (
            "no escalation observed: escalation rate from the mini model's failing runs, "
            "pass rate taken as no better than the full model's"
        )
    cost = cost_mini + Decimal(str(rate)) * cost_full
    return Option(
        option=ESCALATE,
        model=mini,
        available=True,
        cost_per_job_usd=cost,
        monthly_cost_usd=_money(cost * monthly_jobs),
        monthly_saving_usd=_money((cost_full - cost) * monthly_jobs),
        pass_rate=(full_q.rate if not observed else chains.final.rate),  # type: ignore[union-attr]
        change=change,
        variance=variance,
        runs=runs,
        escalation_rate=rate,
        escalation_observed=observed,
        note=note,
        runs_needed=_decide(
            change=change, variance=variance, runs=max(runs, mini_q.runs), tolerance=tolerance
        ),
    )


def _chains(
    *, start: date, end: date, team_id: int | None, minis: set[str], fulls: set[str]
) -> tuple[dict[str, _Chains], dict[tuple[str, str], _Counts]]:
    """Per task type, the jobs a mini model attempted first with an outcome,
    and for an escalated one the full model's redo (the job's next attempt);
    per full model and task type, those redo runs."""
    chains: dict[str, _Chains] = defaultdict(_Chains)
    follow_ups: dict[tuple[str, str], _Counts] = defaultdict(_Counts)
    for step in job_steps(first_day=start, last_day=end, team_id=team_id):
        if step.first:
            if step.model not in minis:
                continue
            chain = chains[step.task_type]
            chain.first += step.runs
            if step.outcome == Outcome.ESCALATED:
                chain.escalated += step.runs
            else:
                chain.final.add(step.passed, step.executed, step.runs)
        elif step.previous_model in minis and step.model in fulls:
            chain = chains[step.previous_task_type]
            chain.final.add(step.passed, step.executed, step.runs)
            chain.follow_ups.add(step.passed, step.executed, step.runs)
            follow_ups[(step.model, step.task_type)].add(step.passed, step.executed, step.runs)
    return dict(chains), dict(follow_ups)


def recommendation(
    *,
    tolerance_pp: Decimal,
    team_id: int | None,
    team_slug: str | None,
    start: date,
    end: date,
) -> Recommendation:
    """The plan that saves the most per month while the one-sided 95 % lower
    bound of its traffic-weighted pass-rate change stays within the tolerance,
    from the whole UTC days `start` to `end` (both included)."""
    tolerance = float(tolerance_pp) / 100
    tasks = task_options(
        start=start, end=end, team_id=team_id, team_slug=team_slug, tolerance=tolerance
    )
    total_jobs = sum((t.monthly_jobs for t in tasks), Decimal(0))
    weights = [float(t.monthly_jobs / total_jobs) if total_jobs else 0.0 for t in tasks]
    candidates = [[o for o in t.options if o.available] for t in tasks]
    choices = [
        [
            Choice(
                option=o.option,
                saving=float(o.monthly_saving_usd),
                change=w * o.change,
                variance=w * w * o.variance,
            )
            for o in options
        ]
        for options, w in zip(candidates, weights, strict=True)
    ]
    solution = plan_optimal(choices=choices, tolerance=tolerance)
    rows = [
        PlanRow(task_type=t.task_type, chosen=candidates[i][k], task=t, weight=weights[i])
        for i, (t, k) in enumerate(zip(tasks, solution.picks, strict=True))
    ]
    thin = [(t, o) for t in tasks for o in t.options if o.available and o.runs_needed]
    return Recommendation(
        tolerance_pp=tolerance_pp,
        start=start,
        end=end,
        team=team_slug,
        rows=rows,
        monthly_saving_usd=_money(sum((r.chosen.monthly_saving_usd for r in rows), Decimal(0))),
        change=solution.change,
        variance=solution.variance,
        current_saving_usd=_money(sum((t.current_saving_usd for t in tasks), Decimal(0))),
        current_monthly_cost_usd=_money(
            sum((t.current_monthly_cost_usd for t in tasks), Decimal(0))
        ),
        current_change=sum(w * t.current_change for t, w in zip(tasks, weights, strict=True)),
        thin=thin,
    )


def plan_baseline(*, recommendation: Recommendation) -> dict[str, list[int]]:
    """The full model's record per task type when the plan was made: [passed, executed]."""
    baseline = {}
    for row in recommendation.rows:
        full = row.task.option(FULL)
        if full.pass_rate is not None:
            baseline[row.task_type] = [round(full.pass_rate * full.executed), full.executed]
    return baseline


def savings_recommendation(*, filters) -> Recommendation | None:
    """The plan for a dashboard filter (its days; its team when it names one
    team), at that team's tolerance; None when several teams are filtered."""
    if len(filters.teams) > 1:
        return None
    scope = team_scope(auth=None, team_slug=filters.teams[0] if filters.teams else None)
    return recommendation(
        tolerance_pp=tolerance_pp(team_id=scope.team_id),
        team_id=scope.team_id,
        team_slug=scope.team.slug if scope.team is not None else None,
        start=filters.start,
        end=filters.end,
    )


def policy_version_with_rule(*, prefix: str, since: datetime):
    """The first policy version published since `since` holding a rule named `prefix...`."""
    for version in reversed(policy_versions()):
        if version.published_at < since:
            continue
        rules = (version.document or {}).get("rules") or []
        if any(str(r.get("name", "")).startswith(prefix) for r in rules if isinstance(r, dict)):
            return version
    return None


@dataclass(frozen=True)
class Realised:
    """What a published plan did since publication, on the task types it moved."""

    passed: int
    executed: int
    baseline_passed: int
    baseline_executed: int
    change: float | None  # traffic-weighted, fraction, against the full model's baseline
    saving_usd: Decimal
    mini: str
    worst_task_type: str
    busiest_team: Any


def plan_realised(*, plan, now: datetime) -> Realised:
    """Final results of the moved task types since publication (an escalated
    mini attempt is replaced by its redo, as in the plan's estimate), against
    the full model's record the plan was made on. Realised saving: the
    jobs the mini model took since publication, at the plan's saving per job,
    scaled to 30 days."""
    moved = {t: c for t, c in plan.choices.items() if c["option"] != FULL}
    since = plan.published_at
    per_task: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # passed, executed, mini runs
    per_team: dict[int, int] = defaultdict(int)
    for r in final_runs(start=since, end=now, task_types=list(moved), team_id=plan.team_id):
        acc = per_task[r.task_type]
        acc[0] += r.passed
        acc[1] += r.executed
        if r.model == moved[r.task_type]["mini"]:
            acc[2] += r.runs
        per_team[r.team_id] += r.runs
    days = max((now - since).total_seconds() / 86400, 1 / 24)
    change, weights, worst, worst_change = 0.0, 0.0, "", math.inf
    passed = executed = base_passed = base_executed = 0
    saving = Decimal(0)
    for task_type, choice in moved.items():
        got = per_task.get(task_type)
        base = plan.baseline.get(task_type)
        if not got or not got[1] or not base or not base[1]:
            continue
        delta = got[0] / got[1] - base[0] / base[1]
        change += choice["weight"] * delta
        weights += choice["weight"]
        passed, executed = passed + got[0], executed + got[1]
        base_passed, base_executed = base_passed + base[0], base_executed + base[1]
        if delta < worst_change:
            worst, worst_change = task_type, delta
        jobs = Decimal(choice.get("monthly_jobs") or 0)
        if jobs:
            per_job = Decimal(choice["saving_usd"]) / jobs
            saving += per_job * Decimal(got[2]) * Decimal(30) / Decimal(str(days))
    team = None
    if per_team:
        team = Team.objects.filter(pk=max(per_team, key=lambda k: per_team[k])).first()
    mini = next(iter(moved.values()))["mini"] if moved else ""
    return Realised(
        passed=passed,
        executed=executed,
        baseline_passed=base_passed,
        baseline_executed=base_executed,
        change=change if weights else None,
        saving_usd=_money(saving),
        mini=mini,
        worst_task_type=worst,
        busiest_team=team,
    )
