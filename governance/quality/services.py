"""Writes of the quality app: test runs and regression alerts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from governance.accounts.models import Client
from governance.audit.services import audit_record, webhooks_dispatch
from governance.calls.models import Call
from governance.quality import stats
from governance.quality.conf import RegressionConfig
from governance.quality.models import AlertState, QualityAlert, Source, TestRun, TestRunCall

logger = logging.getLogger("governance.quality")

REGRESSION_ACTOR = "system:quality-regression-check"
EVENT_ALERT_RAISED = "quality.alert.raised"
EVENT_ALERT_CLEARED = "quality.alert.cleared"


@dataclass(frozen=True)
class TestRunInput:
    """One validated test run, whatever format it arrived in."""

    __test__ = False

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
class TestRunRecorded:
    __test__ = False

    test_run: TestRun
    replaced: bool
    linked_calls: int
    unknown_call_ids: list[str] = field(default_factory=list)


_RUN_FIELDS = (
    "timestamp", "model", "task_type", "repo", "commit", "pull_request", "job", "attempt",
    "outcome", "source", "total", "passed", "failed", "errored", "skipped", "flaky",
)  # fmt: skip


def _run_snapshot(test_run: TestRun) -> dict:
    data = {name: getattr(test_run, name) for name in _RUN_FIELDS}
    data["timestamp"] = test_run.timestamp.isoformat()
    return data


@transaction.atomic
def test_run_record(
    *, client: Client, run: TestRunInput, actor=None, now: datetime | None = None
) -> TestRunRecorded:
    """Store a test run; the same (client, run_id) again replaces it, links included."""
    now = now or timezone.now()
    values = {name: getattr(run, name) for name in _RUN_FIELDS}
    values["received_at"] = now
    test_run = TestRun.objects.select_for_update().filter(client=client, run_id=run.run_id).first()
    created = False
    if test_run is None:
        try:
            with transaction.atomic():
                test_run = TestRun.objects.create(
                    client=client, team_id=client.team_id, run_id=run.run_id, **values
                )
            created = True
        except IntegrityError:
            # A concurrent upload of the same run won the insert: replace it instead.
            test_run = TestRun.objects.select_for_update().get(client=client, run_id=run.run_id)
    replaced = not created
    before = None
    if replaced:
        before = _run_snapshot(test_run)
        for name, value in values.items():
            setattr(test_run, name, value)
        test_run.save(update_fields=[*values])
        test_run.links.all().delete()

    call_ids = list(dict.fromkeys(run.call_ids))
    known = _links_create(client=client, call_ids_by_run={test_run.pk: call_ids})
    audit_record(
        action="test_run.replaced" if replaced else "test_run.recorded",
        target=test_run,
        actor=actor,
        before=before,
        after={**_run_snapshot(test_run), "call_ids": call_ids},
        team=client.team,
    )
    logger.info(
        "test_run.recorded",
        extra={
            "test_run_id": test_run.pk,
            "run_id": run.run_id,
            "client_id": client.pk,
            "replaced": replaced,
        },
    )
    return TestRunRecorded(
        test_run=test_run,
        replaced=replaced,
        linked_calls=len(known),
        unknown_call_ids=[call_id for call_id in call_ids if call_id not in known],
    )


@transaction.atomic
def test_runs_import(*, client: Client, runs: Sequence[TestRunInput], actor=None) -> int:
    """Bulk-load runs whose run_id this client has not stored yet (back-fills,
    the demo); runs already stored are left as they are. Returns how many were added.
    One audit event for the batch."""
    wanted = {run.run_id: run for run in runs}
    existing = set(
        TestRun.objects.filter(client=client, run_id__in=list(wanted)).values_list(
            "run_id", flat=True
        )
    )
    new = [run for run_id, run in wanted.items() if run_id not in existing]
    if not new:
        return 0
    now = timezone.now()
    created = TestRun.objects.bulk_create(
        TestRun(
            client=client,
            team_id=client.team_id,
            run_id=run.run_id,
            received_at=now,
            **{name: getattr(run, name) for name in _RUN_FIELDS},
        )
        for run in new
    )
    pks = dict(
        TestRun.objects.filter(client=client, run_id__in=[run.run_id for run in new]).values_list(
            "run_id", "pk"
        )
    )
    _links_create(client=client, call_ids_by_run={pks[run.run_id]: run.call_ids for run in new})
    audit_record(
        action="test_run.imported",
        target_type="quality.testrun",
        target_id=f"{client.pk}:batch",
        actor=actor,
        after={"client": client.pk, "runs": len(created), "first_run_id": new[0].run_id},
        team=client.team,
    )
    return len(created)


def _links_create(*, client: Client, call_ids_by_run: dict[int, Sequence[str]]) -> dict[str, int]:
    """Link runs to the calls they name; returns the call ids already logged, with their pks."""
    wanted = {call_id for call_ids in call_ids_by_run.values() for call_id in call_ids}
    known = dict(
        Call.objects.filter(client=client, call_id__in=list(wanted)).values_list("call_id", "pk")
    )
    TestRunCall.objects.bulk_create(
        TestRunCall(
            test_run_id=run_pk, client=client, call_id=call_id, resolved_call_id=known.get(call_id)
        )
        for run_pk, call_ids in call_ids_by_run.items()
        for call_id in dict.fromkeys(call_ids)
    )
    return known


def test_run_links_resolve() -> int:
    """Link test runs to calls that arrived after them; returns how many links were resolved.

    One UPDATE with a correlated subquery: a link only gains a pointer to a
    call it already named, so there is nothing to audit.
    """
    matching_call = Call.objects.filter(
        client_id=OuterRef("client_id"), call_id=OuterRef("call_id")
    )
    resolved = (
        TestRunCall.objects.filter(resolved_call__isnull=True)
        .filter(Exists(matching_call))
        .update(resolved_call_id=Subquery(matching_call.values("pk")[:1]))
    )
    logger.info("test_run.links_resolved", extra={"resolved": resolved})
    return resolved


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
    config = config or RegressionConfig.from_env()
    window_start = now - config.window
    baseline_start = window_start - config.baseline
    recent, history = Q(timestamp__gte=window_start), Q(timestamp__lt=window_start)
    # One aggregate query over both periods; indexes on (model, task_type, timestamp).
    rows = (
        TestRun.objects.filter(timestamp__gte=baseline_start, timestamp__lt=now)
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
        event=EVENT_ALERT_RAISED,
        reason=f"pass rate of {model}/{task_type or '-'} fell {alert.drop_pp} pp (p={p_value:.2g})",
    )
    return alert


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
    audit_record(
        action="quality_" + event.removeprefix("quality."),
        target=alert,
        actor=REGRESSION_ACTOR,
        reason=reason,
        before=before,
        after=payload,
        team=alert.team,
    )
    webhooks_dispatch(event=event, payload=payload)


# The entity is called "test run"; keep pytest from collecting these services
# when a test module imports them.
for _service in (test_run_record, test_runs_import, test_run_links_resolve):
    _service.__test__ = False  # type: ignore[attr-defined]
