"""Regression alerts: a significant drop of a pass rate, raised and cleared."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from governance.audit.services import audit_record_and_notify
from governance.quality import stats
from governance.quality.conf import RegressionConfig
from governance.quality.models import (
    AlertState,
    QualityAlert,
    SuiteRun,
)

logger = logging.getLogger("governance.quality")

REGRESSION_ACTOR = "system:quality-regression-check"
EVENT_ALERT_RAISED = "quality.alert.raised"
EVENT_ALERT_CLEARED = "quality.alert.cleared"


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
