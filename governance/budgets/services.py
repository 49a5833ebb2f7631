"""Writes for budgets: creating and changing them, and evaluating their state."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.audit.services import audit_record, audit_record_and_notify
from governance.budgets.models import Budget, HardLimit, Period, Unit
from governance.budgets.selectors import BudgetStatus, budgets_status
from governance.policies.services import policy_snapshot_rebuild

logger = logging.getLogger("governance.budgets")

EVALUATOR = "system:budget-evaluator"
# What an admin may set on a budget (the rest is written by budgets_evaluate).
EDITABLE_FIELDS = (
    "name",
    "unit",
    "limit",
    "period",
    "timezone",
    "fallback_threshold_pct",
    "reserve_pct",
    "hard_limit",
)


def _validate(values: dict) -> None:
    errors: dict[str, str] = {}
    if not str(values.get("name") or "").strip():
        errors["name"] = "A budget needs a name."
    if values.get("unit") not in Unit.values:
        errors["unit"] = f"Must be one of {', '.join(Unit.values)}."
    if values.get("period") not in Period.values:
        errors["period"] = f"Must be one of {', '.join(Period.values)}."
    if values.get("hard_limit") not in HardLimit.values:
        errors["hard_limit"] = f"Must be one of {', '.join(HardLimit.values)}."
    try:
        ZoneInfo(str(values.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "Unknown time zone (use an IANA name such as Europe/Paris)."
    limit, threshold, reserve = (
        values.get(k) for k in ("limit", "fallback_threshold_pct", "reserve_pct")
    )
    if not isinstance(limit, Decimal) or limit <= 0:
        errors["limit"] = "Must be a positive amount."
    for key, value in (("fallback_threshold_pct", threshold), ("reserve_pct", reserve)):
        if not isinstance(value, Decimal) or not Decimal(0) <= value <= Decimal(100):
            errors[key] = "Must be a percentage between 0 and 100."
    if (
        isinstance(threshold, Decimal)
        and isinstance(reserve, Decimal)
        and not errors.keys()
        & {
            "fallback_threshold_pct",
            "reserve_pct",
        }
        and threshold > 100 - reserve
    ):
        errors["reserve_pct"] = (
            "The reserve must start at or after the fallback threshold (threshold + reserve <= 100)."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def budget_save(
    *, team=None, budget: Budget | None = None, actor=None, reason: str = "", **values
) -> Budget:
    """Create a budget (team=None: the organisation's) or change one."""
    current = (
        {f: getattr(budget, f) for f in EDITABLE_FIELDS}
        if budget
        else {
            "unit": Unit.USD,
            "period": Period.MONTH,
            "timezone": "UTC",
            "fallback_threshold_pct": Decimal("90"),
            "reserve_pct": Decimal("5"),
            "hard_limit": HardLimit.BLOCK,
        }
    )
    merged = {**current, **{k: v for k, v in values.items() if k in EDITABLE_FIELDS}}
    _validate(merged)
    before = {k: str(v) for k, v in current.items()} if budget else None
    if budget is None:
        budget = Budget(team=team)
    for key, value in merged.items():
        setattr(budget, key, value)
    budget.save()
    audit_record(
        action="budget.save" if before else "budget.create",
        target=budget,
        actor=actor,
        reason=reason,
        before=before,
        after={k: str(v) for k, v in merged.items()},
        team=budget.team,
    )
    budgets_evaluate(team_ids=[budget.team_id] if budget.team_id else None)
    return budget


def budgets_evaluate(
    *, team_ids: list[int] | None = None, now: datetime | None = None
) -> list[BudgetStatus]:
    """Recompute the spend, percentage and state of the budgets of these teams
    (and the organisation's; None: every budget). A state change writes an
    audit event and sends a webhook; any change the snapshot shows rebuilds it.
    Returns the budgets whose state changed."""
    now = now or timezone.now()
    changed: list[BudgetStatus] = []
    with transaction.atomic():
        # of=("self",): PostgreSQL cannot lock the nullable side of the team join.
        qs = Budget.objects.select_related("team").select_for_update(of=("self",)).order_by("pk")
        if team_ids is not None:
            qs = qs.filter(Q(team_id__in=team_ids) | Q(team__isnull=True))
        budgets = list(qs)
        snapshot_dirty = False
        for status in budgets_status(now=now, budgets=budgets):
            budget = status.budget
            before_state, before_percent = budget.state, budget.percent
            if status.state == before_state and status.percent == before_percent:
                continue
            snapshot_dirty = True
            budget.percent = status.percent
            budget.evaluated_at = now
            if status.state != before_state:
                budget.state = status.state
                budget.state_changed_at = now
                changed.append(status)
                _state_changed(status=status, before=before_state)
            budget.save(update_fields=["percent", "state", "evaluated_at", "state_changed_at"])
        if snapshot_dirty:
            policy_snapshot_rebuild()
    return changed


def _state_changed(*, status: BudgetStatus, before: str) -> None:
    budget = status.budget
    owner = budget.team.slug if budget.team is not None else "organisation"
    after = {
        "state": status.state,
        "percent": str(status.percent),
        "spend": str(status.spend),
        "limit": str(budget.limit),
        "unit": budget.unit,
        "forecast_exhausted_at": status.forecast_exhausted_at.isoformat()
        if status.forecast_exhausted_at
        else None,
    }
    audit_record_and_notify(
        action="budget.state_change",
        event="budget.state_changed",
        payload={
            "budget_id": budget.pk,
            "budget": str(budget),
            "team": owner,
            "from": before,
            "to": status.state,
            **after,
        },
        target=budget,
        actor=EVALUATOR,
        reason=f"budget {budget} at {status.percent} %: {before} -> {status.state}",
        before={"state": before},
        after=after,
        team=budget.team,
    )
    logger.info(
        "budget.state_changed", extra={"budget_id": budget.pk, "from": before, "to": status.state}
    )
