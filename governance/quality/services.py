"""Writes of the quality app: test runs and regression alerts."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from governance.accounts.models import Client
from governance.audit.services import audit_record, audit_record_and_notify
from governance.calls.models import Call
from governance.calls.rollups import rollup_upsert
from governance.catalog.pricing import usd_to_e10
from governance.quality import stats
from governance.quality.conf import RegressionConfig
from governance.quality.models import (
    QUALITY_ROLLUP_SUMS,
    AlertState,
    Outcome,
    QualityAlert,
    QualityDailyRollup,
    Source,
    SuiteRun,
    SuiteRunCall,
)

logger = logging.getLogger("governance.quality")

REGRESSION_ACTOR = "system:quality-regression-check"
EVENT_ALERT_RAISED = "quality.alert.raised"
EVENT_ALERT_CLEARED = "quality.alert.cleared"


@dataclass(frozen=True)
class SuiteRunInput:
    """One validated test run, whatever format it arrived in."""

    run_id: str
    timestamp: datetime
    model: str
    total: int
    passed: int
    failed: int
    errored: int
    skipped: int
    flaky: int = 0
    task_type: str = ""
    repo: str = ""
    commit: str = ""
    pull_request: str = ""
    job: str = ""
    attempt: int | None = None
    outcome: str = ""
    source: str = Source.JSON
    call_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.total != self.passed + self.failed + self.errored + self.skipped:
            raise ValueError("total must equal passed + failed + errored + skipped")


@dataclass(frozen=True)
class SuiteRunRecorded:
    suite_run: SuiteRun
    replaced: bool
    linked_calls: int
    unknown_call_ids: list[str] = field(default_factory=list)


_RUN_FIELDS = (
    "timestamp", "model", "task_type", "repo", "commit", "pull_request", "job", "attempt",
    "outcome", "source", "total", "passed", "failed", "errored", "skipped", "flaky",
)  # fmt: skip


def _run_snapshot(suite_run: SuiteRun) -> dict:
    data = {name: getattr(suite_run, name) for name in _RUN_FIELDS}
    data["timestamp"] = suite_run.timestamp.isoformat()
    return data


@transaction.atomic
def suite_run_record(
    *, client: Client, run: SuiteRunInput, actor=None, now: datetime | None = None
) -> SuiteRunRecorded:
    """Store a test run; the same (client, run_id) again replaces it, links included."""
    now = now or timezone.now()
    values = {name: getattr(run, name) for name in _RUN_FIELDS}
    values["received_at"] = now
    call_ids = list(dict.fromkeys(run.call_ids))
    suite_run = (
        SuiteRun.objects.select_for_update().filter(client=client, run_id=run.run_id).first()
    )
    # Lock order everywhere a link's cost is counted: run, then calls, then links
    # (see quality_rollup_add); the calls' prices cannot change until we commit.
    _calls_lock(client_id=client.pk, call_ids=call_ids)
    created = False
    if suite_run is None:
        try:
            with transaction.atomic():
                suite_run = SuiteRun.objects.create(
                    client=client, team_id=client.team_id, run_id=run.run_id, **values
                )
            created = True
        except IntegrityError:
            # A concurrent upload of the same run won the insert: replace it instead.
            suite_run = SuiteRun.objects.select_for_update().get(client=client, run_id=run.run_id)
    replaced = not created
    before = None
    cells: dict[tuple, list[int]] = {}
    if replaced:
        before = _run_snapshot(suite_run)
        # The replaced run leaves the roll-up as it stands now, links included.
        _run_cells(cells, [suite_run], sign=-1)
        _link_cells(cells, _links_locked(Q(suite_run=suite_run)), sign=-1)
        for name, value in values.items():
            setattr(suite_run, name, value)
        suite_run.save(update_fields=[*values])
        suite_run.links.all().delete()

    known = _links_create(client=client, call_ids_by_run={suite_run.pk: call_ids})
    _run_cells(cells, [suite_run], sign=1)
    _link_cells(cells, _links_locked(Q(suite_run=suite_run)), sign=1)
    _rollup_upsert(cells)
    audit_record(
        action="test_run.replaced" if replaced else "test_run.recorded",
        target=suite_run,
        actor=actor,
        before=before,
        after={**_run_snapshot(suite_run), "call_ids": call_ids},
        team=client.team,
    )
    logger.info(
        "test_run.recorded",
        extra={
            "suite_run_id": suite_run.pk,
            "run_id": run.run_id,
            "client_id": client.pk,
            "replaced": replaced,
        },
    )
    return SuiteRunRecorded(
        suite_run=suite_run,
        replaced=replaced,
        linked_calls=len(known),
        unknown_call_ids=[call_id for call_id in call_ids if call_id not in known],
    )


@transaction.atomic
def suite_runs_import(*, client: Client, runs: Sequence[SuiteRunInput], actor=None) -> int:
    """Bulk-load runs whose run_id this client has not stored yet (back-fills,
    the demo); runs already stored are left as they are. Returns how many were added.
    One audit event for the batch."""
    wanted = {run.run_id: run for run in runs}
    existing = set(
        SuiteRun.objects.filter(client=client, run_id__in=list(wanted)).values_list(
            "run_id", flat=True
        )
    )
    new = [run for run_id, run in wanted.items() if run_id not in existing]
    if not new:
        return 0
    now = timezone.now()
    created = SuiteRun.objects.bulk_create(
        SuiteRun(
            client=client,
            team_id=client.team_id,
            run_id=run.run_id,
            received_at=now,
            **{name: getattr(run, name) for name in _RUN_FIELDS},
        )
        for run in new
    )
    pks = dict(
        SuiteRun.objects.filter(client=client, run_id__in=[run.run_id for run in new]).values_list(
            "run_id", "pk"
        )
    )
    _calls_lock(client_id=client.pk, call_ids=[c for run in new for c in run.call_ids])
    _links_create(client=client, call_ids_by_run={pks[run.run_id]: run.call_ids for run in new})
    cells: dict[tuple, list[int]] = {}
    _run_cells(cells, SuiteRun.objects.filter(pk__in=list(pks.values())), sign=1)
    _link_cells(cells, _links_locked(Q(suite_run_id__in=list(pks.values()))), sign=1)
    _rollup_upsert(cells)
    audit_record(
        action="test_run.imported",
        target_type="quality.suiterun",
        target_id=f"{client.pk}:batch",
        actor=actor,
        after={"client": client.pk, "runs": len(created), "first_run_id": new[0].run_id},
        team=client.team,
    )
    return len(created)


@dataclass(frozen=True)
class BatchRecorded:
    added: int
    replaced: int


def suite_runs_batch_record(
    *, client: Client, runs: Sequence[SuiteRunInput], actor=None
) -> BatchRecorded:
    """A batch from the API: new runs in bulk (`suite_runs_import`), runs this
    client sent before replaced one by one as a single upload would."""
    existing = set(
        SuiteRun.objects.filter(client=client, run_id__in=[r.run_id for r in runs]).values_list(
            "run_id", flat=True
        )
    )
    new = [r for r in runs if r.run_id not in existing]
    try:
        added = suite_runs_import(client=client, runs=new, actor=actor)
    except IntegrityError:
        # A concurrent batch stored some of these run ids first (the import
        # rolled back whole): record them one by one, which replaces under lock.
        for run in new:
            suite_run_record(client=client, run=run, actor=actor)
        added = len(new)
    replaced = 0
    for run in runs:
        if run.run_id in existing:
            suite_run_record(client=client, run=run, actor=actor)
            replaced += 1
    return BatchRecorded(added=added, replaced=replaced)


def _links_create(*, client: Client, call_ids_by_run: dict[int, Sequence[str]]) -> dict[str, int]:
    """Link runs to the calls they name; returns the call ids already logged, with their pks."""
    wanted = {call_id for call_ids in call_ids_by_run.values() for call_id in call_ids}
    known = dict(
        Call.objects.filter(client=client, call_id__in=list(wanted)).values_list("call_id", "pk")
    )
    SuiteRunCall.objects.bulk_create(
        SuiteRunCall(
            suite_run_id=run_pk, client=client, call_id=call_id, resolved_call_id=known.get(call_id)
        )
        for run_pk, call_ids in call_ids_by_run.items()
        for call_id in dict.fromkeys(call_ids)
    )
    return known


def suite_run_links_resolve() -> int:
    """Link test runs to calls that arrived after them; returns how many links
    were resolved. A link only gains a pointer to a call it already named, so
    there is nothing to audit; the quality roll-up gains the calls' cost.

    Locks the calls, then the links (the order every writer of linked cost
    keeps), and re-reads the links under the lock: a link resolved, or a call
    deleted, by a concurrent writer meanwhile is left alone.
    """
    with transaction.atomic():
        resolved = _links_resolve()
    logger.info("test_run.links_resolved", extra={"resolved": resolved})
    return resolved


def _links_resolve() -> int:
    matching_call = Call.objects.filter(
        client_id=OuterRef("client_id"), call_id=OuterRef("call_id")
    )
    pending = list(
        SuiteRunCall.objects.filter(resolved_call__isnull=True)
        .filter(Exists(matching_call))
        .values_list("pk", "client_id", "call_id")
    )
    if not pending:
        return 0
    calls = {
        (client_id, call_id): (pk, cost)
        for pk, client_id, call_id, cost in Call.objects.select_for_update()
        .filter(call_id__in={c for _, _, c in pending}, client_id__in={c for _, c, _ in pending})
        .order_by("pk")
        .values_list("pk", "client_id", "call_id", "cost_usd")
    }
    links = list(
        SuiteRunCall.objects.select_for_update(of=("self",))
        .filter(pk__in=[pk for pk, _, _ in pending], resolved_call__isnull=True)
        .select_related("suite_run")
        .order_by("pk")
    )
    cells: dict[tuple, list[int]] = {}
    resolved = []
    for link in links:
        match = calls.get((link.client_id, link.call_id))
        if match is None:
            continue
        link.resolved_call_id = match[0]
        resolved.append(link)
        # The link was counted as not logged; now it points at a call.
        _link_cells(cells, [_LinkCost(link.suite_run, False, None)], sign=-1)
        _link_cells(cells, [_LinkCost(link.suite_run, True, match[1])], sign=1)
    SuiteRunCall.objects.bulk_update(resolved, ["resolved_call"], batch_size=1000)
    _rollup_upsert(cells)
    return len(resolved)


# ---------------------------------------------------------------- the quality roll-up

ROLLUP_KEY = ("day", "team_id", "model", "task_type")
ROLLUP_SUMS = QUALITY_ROLLUP_SUMS
_FIRST_LINK_SUM = ROLLUP_SUMS.index("linked_calls")


@dataclass(frozen=True)
class _LinkCost:
    """One link as the roll-up counts it: its run's key, whether it points at a
    stored call, and that call's cost (None: unpriced or not logged)."""

    run: Any  # a SuiteRun, or anything with timestamp, team_id, model, task_type
    resolved: bool
    cost_usd: Decimal | None
    call_pk: int | None = None


def _rollup_key(run: Any) -> tuple:
    return (run.timestamp.astimezone(UTC).date(), run.team_id, run.model, run.task_type)


def _cell(cells: dict[tuple, list[int]], run: Any) -> list[int]:
    return cells.setdefault(_rollup_key(run), [0] * len(ROLLUP_SUMS))


def _run_cells(cells: dict[tuple, list[int]], runs, *, sign: int) -> None:
    for run in runs:
        acc = _cell(cells, run)
        measures = (
            1, run.total, run.passed, run.failed, run.errored, run.skipped, run.flaky,
            1 if run.outcome == Outcome.PROMOTED else 0, 1 if run.outcome == Outcome.ESCALATED else 0,
        )  # fmt: skip
        for i, value in enumerate(measures):
            acc[i] += sign * value


def _link_cells(cells: dict[tuple, list[int]], links, *, sign: int) -> None:
    for link in links:
        acc = _cell(cells, link.run)
        priced = link.resolved and link.cost_usd is not None
        acc[_FIRST_LINK_SUM] += sign
        acc[_FIRST_LINK_SUM + 1] += sign if link.resolved else 0
        acc[_FIRST_LINK_SUM + 2] += sign if priced else 0
        acc[_FIRST_LINK_SUM + 3] += sign * usd_to_e10(link.cost_usd) if priced else 0


def _calls_lock(*, client_id: int, call_ids: Sequence[str]) -> None:
    """Lock the named calls so that their price (or existence) cannot change
    between reading a linked cost and committing it to the roll-up."""
    if call_ids:
        list(
            Call.objects.select_for_update()
            .filter(client_id=client_id, call_id__in=list(set(call_ids)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )


_LINK_FIELDS = (
    "resolved_call_id", "resolved_call__cost_usd", "suite_run__timestamp", "suite_run__team_id",
    "suite_run__model", "suite_run__task_type",
)  # fmt: skip


def _link_costs(links) -> Iterable[_LinkCost]:
    for link in links.select_related("suite_run", "resolved_call").only(*_LINK_FIELDS):
        resolved = link.resolved_call_id is not None
        yield _LinkCost(
            link.suite_run,
            resolved,
            link.resolved_call.cost_usd if resolved else None,
            link.resolved_call_id,
        )


def _links_locked(condition: Q) -> list[_LinkCost]:
    """The links matching `condition`, locked, with their run and their call's cost."""
    return list(
        _link_costs(
            SuiteRunCall.objects.select_for_update(of=("self",)).filter(condition).order_by("pk")
        )
    )


def _rollup_upsert(cells: dict[tuple, list[int]]) -> None:
    rollup_upsert(
        table=QualityDailyRollup._meta.db_table,
        key_cols=ROLLUP_KEY,
        sum_cols=ROLLUP_SUMS,
        cells={key: values for key, values in cells.items() if any(values)},
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
    cells: dict[tuple, list[int]] = {}
    for link in _links_locked(Q(resolved_call_id__in=list(changes))):
        if link.call_pk is None:  # not resolved: the filter leaves none, for the type checker
            continue
        old, new = changes[link.call_pk]
        _link_cells(cells, [_LinkCost(link.run, True, old)], sign=-1)
        _link_cells(cells, [_LinkCost(link.run, True, new)], sign=1)
    _rollup_upsert(cells)


def quality_rollup_calls_deleted(*, call_ids: Sequence[int]) -> None:
    """Retention is about to delete these calls (locked by the caller): their
    links will point nowhere (SET_NULL), so the roll-up counts them as not
    logged and drops their cost, as the raw runs will. Cost per passing test
    then covers only the calls still stored, on the page and from the raw data."""
    cells: dict[tuple, list[int]] = {}
    for link in _links_locked(Q(resolved_call_id__in=list(call_ids))):
        _link_cells(cells, [link], sign=-1)
        _link_cells(cells, [_LinkCost(link.run, False, None)], sign=1)
    _rollup_upsert(cells)


def quality_rollup_rebuild() -> int:
    """Recompute the whole quality roll-up from the raw runs and links (after a
    bulk load that bypassed the services, or to check it). Returns the number
    of runs counted."""
    cells: dict[tuple, list[int]] = {}
    counted = 0
    with transaction.atomic():
        QualityDailyRollup.objects.all().delete()
        runs = SuiteRun.objects.only(
            "timestamp", "team_id", "model", "task_type", "total", "passed", "failed", "errored",
            "skipped", "flaky", "outcome",
        ).order_by("pk")  # fmt: skip
        for run in runs.iterator(chunk_size=5000):
            _run_cells(cells, [run], sign=1)
            counted += 1
        _link_cells(cells, _link_costs(SuiteRunCall.objects.order_by("pk")), sign=1)
        _rollup_upsert(cells)
    return counted


@dataclass(frozen=True)
class RegressionCheckSummary:
    series_checked: int
    raised: list[int]
    cleared: list[int]


def _alert_payload(alert: QualityAlert, team_slug: str) -> dict:
    return {
        "alert_id": alert.pk,
        "state": alert.state,
        "team": team_slug,
        "model": alert.model,
        "task_type": alert.task_type,
        "baseline_rate": round(alert.baseline_rate, 4),
        "recent_rate": round(alert.recent_rate, 4),
        "drop_pp": alert.drop_pp,
        "p_value": alert.p_value,
        "threshold_pp": alert.threshold_pp,
        "window_start": alert.window_start.isoformat(),
        "window_end": alert.window_end.isoformat(),
        "raised_at": alert.raised_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
        "last_rate": None if alert.last_rate is None else round(alert.last_rate, 4),
    }


def _sum(name: str, condition: Q) -> Sum:
    return Sum(name, filter=condition, default=0)


@transaction.atomic
def quality_regressions_check(
    *, now: datetime | None = None, config: RegressionConfig | None = None
) -> RegressionCheckSummary:
    """Compare each team x model x task type's pass rate over the last window
    with its own history; raise an alert on a significant drop beyond the
    threshold, clear an open alert once the rate has recovered."""
    now = now or timezone.now()
    config = config or RegressionConfig.from_settings()
    window_start = now - config.window
    baseline_start = window_start - config.baseline
    recent, history = Q(timestamp__gte=window_start), Q(timestamp__lt=window_start)
    # One aggregate query over both periods; indexes on (model, task_type, timestamp).
    rows = (
        SuiteRun.objects.filter(timestamp__gte=baseline_start, timestamp__lt=now)
        .values("team_id", "team__slug", "model", "task_type")
        .annotate(
            recent_passed=_sum("passed", recent),
            recent_failed=_sum("failed", recent),
            recent_errored=_sum("errored", recent),
            base_passed=_sum("passed", history),
            base_failed=_sum("failed", history),
            base_errored=_sum("errored", history),
        )
    )
    open_alerts = {
        (a.team_id, a.model, a.task_type): a
        for a in QualityAlert.objects.select_for_update().filter(state=AlertState.OPEN)
    }
    threshold = config.threshold_pp / 100
    raised: list[int] = []
    cleared: list[int] = []
    checked = 0
    for row in rows:
        checked += 1
        key = (row["team_id"], row["model"], row["task_type"])
        recent_passed = row["recent_passed"]
        recent_executed = stats.executed_tests(
            passed=recent_passed, failed=row["recent_failed"], errored=row["recent_errored"]
        )
        alert = open_alerts.get(key)
        if alert is not None:
            if recent_executed >= config.min_tests:
                rate = recent_passed / recent_executed
                if rate >= alert.baseline_rate - threshold / 2:
                    _alert_clear(alert=alert, rate=rate, now=now, team_slug=row["team__slug"])
                    cleared.append(alert.pk)
                else:
                    QualityAlert.objects.filter(pk=alert.pk).update(
                        last_rate=rate, last_checked_at=now
                    )
            continue
        base_passed = row["base_passed"]
        base_executed = stats.executed_tests(
            passed=base_passed, failed=row["base_failed"], errored=row["base_errored"]
        )
        if recent_executed < config.min_tests or base_executed < config.min_tests:
            continue
        recent_rate, base_rate = recent_passed / recent_executed, base_passed / base_executed
        test = stats.two_proportion_z_test(
            recent_passed, recent_executed, base_passed, base_executed
        )
        if base_rate - recent_rate >= threshold and test.p_less < config.alpha:
            alert = _alert_raise(
                team_id=row["team_id"],
                team_slug=row["team__slug"],
                model=row["model"],
                task_type=row["task_type"],
                now=now,
                window_start=window_start,
                counts=(base_passed, base_executed, recent_passed, recent_executed),
                p_value=test.p_less,
                threshold_pp=config.threshold_pp,
            )
            if alert is not None:
                raised.append(alert.pk)
    logger.info(
        "quality.regressions_checked",
        extra={"series": checked, "raised": len(raised), "cleared": len(cleared)},
    )
    return RegressionCheckSummary(series_checked=checked, raised=raised, cleared=cleared)


def _alert_raise(
    *,
    team_id: int,
    team_slug: str,
    model: str,
    task_type: str,
    now: datetime,
    window_start: datetime,
    counts: tuple[int, int, int, int],
    p_value: float,
    threshold_pp: float,
    event: str = EVENT_ALERT_RAISED,
    reason: str = "",
) -> QualityAlert | None:
    base_passed, base_executed, recent_passed, recent_executed = counts
    try:
        with transaction.atomic():
            alert = QualityAlert.objects.create(
                team_id=team_id,
                model=model,
                task_type=task_type,
                raised_at=now,
                window_start=window_start,
                window_end=now,
                baseline_passed=base_passed,
                baseline_executed=base_executed,
                recent_passed=recent_passed,
                recent_executed=recent_executed,
                baseline_rate=base_passed / base_executed,
                recent_rate=recent_passed / recent_executed,
                p_value=p_value,
                threshold_pp=threshold_pp,
                last_rate=recent_passed / recent_executed,
                last_checked_at=now,
            )
    except IntegrityError:
        # A concurrent check already opened this series' alert.
        return None
    _alert_announce(
        alert=alert,
        team_slug=team_slug,
        event=event,
        reason=reason
        or f"pass rate of {model}/{task_type or '-'} fell {alert.drop_pp} pp (p={p_value:.2g})",
    )
    return alert


def quality_alert_raise(**alert: Any) -> QualityAlert | None:
    """Raise an alert found by another check (the advisor's plan follow-up),
    announced as that check's `event`; None when the series already has one open."""
    return _alert_raise(**alert)


def _alert_clear(*, alert: QualityAlert, rate: float, now: datetime, team_slug: str) -> None:
    before = _alert_payload(alert, team_slug)
    alert.state = AlertState.CLEARED
    alert.cleared_at = now
    alert.last_rate = rate
    alert.last_checked_at = now
    alert.save(update_fields=["state", "cleared_at", "last_rate", "last_checked_at"])
    _alert_announce(
        alert=alert,
        team_slug=team_slug,
        event=EVENT_ALERT_CLEARED,
        reason=f"pass rate of {alert.model}/{alert.task_type or '-'} recovered to {rate:.1%}",
        before=before,
    )


def _alert_announce(
    *, alert: QualityAlert, team_slug: str, event: str, reason: str, before: dict | None = None
) -> None:
    """Audit an alert's change and queue it for the webhooks, in the caller's
    transaction: the alert and its deliveries commit (or roll back) together."""
    payload = _alert_payload(alert, team_slug)
    audit_record_and_notify(
        action="quality_" + event.removeprefix("quality."),
        event=event,
        payload=payload,
        target=alert,
        actor=REGRESSION_ACTOR,
        reason=reason,
        before=before,
        after=payload,
        team=alert.team,
    )
