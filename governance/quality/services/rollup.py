"""The quality roll-up (QualityDailyRollup): kept exact by every write that
changes what it sums, and rebuilt from the raw runs; and the job steps
counted per day (JobStepRollup), refreshed for the days those writes changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.catalog.pricing import usd_to_e10
from governance.quality.models import (
    QUALITY_ROLLUP_SUMS,
    JobStepDay,
    JobStepRollup,
    Outcome,
    QualityDailyRollup,
    QualityDayVersion,
    SuiteRun,
    SuiteRunCall,
)
from governance.quality.selectors import day_versions, job_steps_cached, job_steps_of_days
from governance.rollups.upsert import rollup_upsert

ROLLUP_KEY = ("day", "team_id", "model", "task_type")
ROLLUP_SUMS = QUALITY_ROLLUP_SUMS
# One roll-up row's sums while they are counted, by column name.
Cells = dict[tuple, dict[str, int]]


@dataclass(frozen=True)
class LinkCost:
    """One link as the roll-up counts it: its run's key, whether it points at a
    stored call, and that call's cost (None: unpriced or not logged)."""

    run: Any  # a SuiteRun, or anything with timestamp, team_id, model, task_type
    resolved: bool
    cost_usd: Decimal | None
    call_pk: int | None = None


def _rollup_key(run: Any) -> tuple:
    return (run.timestamp.astimezone(UTC).date(), run.team_id, run.model, run.task_type)


def _cell(cells: Cells, run: Any) -> dict[str, int]:
    key = _rollup_key(run)
    cell = cells.get(key)
    if cell is None:
        cell = cells[key] = dict.fromkeys(ROLLUP_SUMS, 0)
    return cell


def run_cells(cells: Cells, runs, *, sign: int) -> None:
    for run in runs:
        cell = _cell(cells, run)
        cell["runs"] += sign
        cell["total"] += sign * run.total
        cell["passed"] += sign * run.passed
        cell["failed"] += sign * run.failed
        cell["errored"] += sign * run.errored
        cell["skipped"] += sign * run.skipped
        cell["flaky"] += sign * run.flaky
        if run.outcome == Outcome.PROMOTED:
            cell["promoted_runs"] += sign
        elif run.outcome == Outcome.ESCALATED:
            cell["escalated_runs"] += sign
        if run.failed or run.errored:
            cell["failing_runs"] += sign


def link_cells(cells: Cells, links, *, sign: int) -> None:
    for link in links:
        cell = _cell(cells, link.run)
        cell["linked_calls"] += sign
        if link.resolved:
            cell["resolved_calls"] += sign
            if link.cost_usd is not None:
                cell["priced_calls"] += sign
                cell["cost_usd_e10"] += sign * usd_to_e10(link.cost_usd)


_LINK_FIELDS = (
    "resolved_call_id", "resolved_call__cost_usd", "suite_run__timestamp", "suite_run__team_id",
    "suite_run__model", "suite_run__task_type",
)  # fmt: skip


def _link_costs(links) -> Iterable[LinkCost]:
    for link in links.select_related("suite_run", "resolved_call").only(*_LINK_FIELDS):
        resolved = link.resolved_call_id is not None
        yield LinkCost(
            link.suite_run,
            resolved,
            link.resolved_call.cost_usd if resolved else None,
            link.resolved_call_id,
        )


def links_locked(condition: Q) -> list[LinkCost]:
    """The links matching `condition`, locked, with their run and their call's cost."""
    return list(
        _link_costs(
            SuiteRunCall.objects.select_for_update(of=("self",)).filter(condition).order_by("pk")
        )
    )


def rollup_cells_upsert(cells: Cells) -> None:
    """Add `cells` to the quality roll-up, and mark their days changed."""
    rollup_upsert(
        table=QualityDailyRollup._meta.db_table,
        key_cols=ROLLUP_KEY,
        sum_cols=ROLLUP_SUMS,
        cells={
            key: [cell[name] for name in ROLLUP_SUMS]
            for key, cell in cells.items()
            if any(cell.values())
        },
    )
    # Every cell's day, netted to zero or not: a run replaced by one with the
    # same counts may still have moved within its job.
    rollup_upsert(
        table=QualityDayVersion._meta.db_table,
        key_cols=("day",),
        sum_cols=("version",),
        cells={(key[0],): [1] for key in cells},
    )


def quality_rollup_calls_repriced(
    *, changes: dict[int, tuple[Decimal | None, Decimal | None]]
) -> None:
    """Move the linked cost in the quality roll-up for calls whose price
    changed: {call pk: (old cost, new cost)}, None meaning unpriced.

    Call it inside the transaction that re-prices them, with the calls locked
    (re-pricing holds them FOR UPDATE): a link cannot then be resolved to one
    of them, or replaced, with a price this does not see.
    """
    cells: Cells = {}
    for link in links_locked(Q(resolved_call_id__in=list(changes))):
        if link.call_pk is None:  # not resolved: the filter leaves none, for the type checker
            continue
        old, new = changes[link.call_pk]
        link_cells(cells, [LinkCost(link.run, True, old)], sign=-1)
        link_cells(cells, [LinkCost(link.run, True, new)], sign=1)
    rollup_cells_upsert(cells)


def quality_rollup_calls_deleted(*, call_ids: Sequence[int]) -> None:
    """Retention is about to delete these calls (locked by the caller): their
    links will point nowhere (SET_NULL), so the roll-up counts them as not
    logged and drops their cost, as the raw runs will. Cost per passing test
    then covers only the calls still stored, on the page and from the raw data."""
    cells: Cells = {}
    for link in links_locked(Q(resolved_call_id__in=list(call_ids))):
        link_cells(cells, [link], sign=-1)
        link_cells(cells, [LinkCost(link.run, False, None)], sign=1)
    rollup_cells_upsert(cells)


def quality_rollup_rebuild() -> int:
    """Recompute the whole quality roll-up from the raw runs and links (after a
    bulk load that bypassed the services, or to check it). Returns the number
    of runs counted."""
    cells: Cells = {}
    counted = 0
    with transaction.atomic():
        QualityDailyRollup.objects.all().delete()
        # The runs may have been loaded around the services, unseen by the day versions.
        JobStepDay.objects.all().delete()
        JobStepRollup.objects.all().delete()
        runs = SuiteRun.objects.only(
            "timestamp", "team_id", "model", "task_type", "total", "passed", "failed", "errored",
            "skipped", "flaky", "outcome",
        ).order_by("pk")  # fmt: skip
        for run in runs.iterator(chunk_size=5000):
            run_cells(cells, [run], sign=1)
            counted += 1
        link_cells(cells, _link_costs(SuiteRunCall.objects.order_by("pk")), sign=1)
        rollup_cells_upsert(cells)
    return counted


# How far back the refresh keeps job steps counted: the longest period the
# advisor or a dashboard asks for.
JOB_STEPS_DAYS = 90


def job_steps_refresh(*, today: date | None = None, days: int = JOB_STEPS_DAYS) -> int:
    """Count the job steps of every day of the last `days` (today included)
    whose version has changed since they were counted; returns how many days
    it counted. Idempotent, and safe beside writes and another refresh: a
    day's rows are stored under the version read before counting, so a write
    that lands meanwhile makes them stale rather than wrong, and two refreshes
    of the same version store the same rows once.
    """
    last_day = today or timezone.now().astimezone(UTC).date()
    first_day = last_day - timedelta(days=days - 1)
    versions = day_versions(first_day, last_day)
    cached = job_steps_cached(first_day, last_day)
    stale = {day: version for day, version in versions.items() if (day, version) not in cached}
    if not stale:
        return 0
    rows = [
        JobStepRollup(day=day, version=stale[day], team_id=team_id, **asdict(step))
        for day, team_id, step in job_steps_of_days(list(stale))
    ]
    older = Q(pk__in=[])
    for day, version in stale.items():
        older |= Q(day=day, version__lt=version)
    with transaction.atomic():
        JobStepRollup.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        JobStepDay.objects.bulk_create(
            [JobStepDay(day=day, version=version) for day, version in stale.items()],
            ignore_conflicts=True,
        )
        JobStepRollup.objects.filter(older).delete()
        JobStepDay.objects.filter(older).delete()
    return len(stale)
