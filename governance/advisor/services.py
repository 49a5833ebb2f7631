"""Writes of the routing advisor: the tolerance, pilots, drafted plans and
their follow-up. Each change is audited through `audit_record_and_notify`."""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.advisor.models import ORG_SCOPE, AdoptedPlan, Pilot, PlanState, QualityTolerance
from governance.advisor.selectors import (
    ESCALATE,
    FULL,
    MINI,
    OPTION_LABELS,
    Realised,
    TaskOptions,
    plan_baseline,
    plan_realised,
    policy_version_with_rule,
)
from governance.audit.services import audit_record_and_notify
from governance.core.errors import FieldError
from governance.flags.services import flag_create
from governance.quality import stats
from governance.quality.conf import RegressionConfig
from governance.quality.services import quality_alert_raise

logger = logging.getLogger(__name__)

TOLERANCE_MAX_PP = Decimal("50")


class AdvisorError(FieldError):
    """Advisor input that cannot be used; names the field."""


def tolerance_parse(raw: Any, *, field: str = "tolerance_pp") -> Decimal:
    """A tolerance in percentage points: a number from 0 to 50, two decimals at most."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise AdvisorError(field, f"{raw!r} is not a number of percentage points") from None
    if not value.is_finite() or value < 0 or value > TOLERANCE_MAX_PP:
        raise AdvisorError(field, f"must be between 0 and {TOLERANCE_MAX_PP} percentage points")
    if value != value.quantize(Decimal("0.01")):
        raise AdvisorError(field, "at most two decimals")
    return value.quantize(Decimal("0.01"))


def tolerance_set(
    *, team: Any, tolerance_pp: Decimal, actor: Any, reason: str = ""
) -> QualityTolerance:
    """Set the organisation's tolerance (team None) or one team's override."""
    value = tolerance_parse(tolerance_pp)
    scope = ORG_SCOPE if team is None else f"team:{team.pk}"
    with transaction.atomic():
        row = QualityTolerance.objects.select_for_update().filter(scope=scope).first()
        before = {"tolerance_pp": str(row.tolerance_pp)} if row else None
        if row is None:
            row = QualityTolerance(scope=scope, team=team)
        row.tolerance_pp = value
        row.updated_at = timezone.now()
        row.save()
        payload = {"scope": scope, "team": team.slug if team else None, "tolerance_pp": str(value)}
        audit_record_and_notify(
            event="advisor.tolerance.changed",
            payload=payload,
            action="advisor.tolerance.changed",
            target=row,
            actor=actor,
            reason=reason,
            before=before,
            after={"tolerance_pp": str(value)},
            team=team,
        )
    logger.info("advisor.tolerance_changed", extra={"scope": scope})
    return row


def tolerance_remove(*, team: Any, actor: Any, reason: str = "") -> None:
    """Remove one team's override: the organisation's tolerance applies to it
    again. Removing an override the team does not have changes and records nothing."""
    scope = f"team:{team.pk}"
    with transaction.atomic():
        row = QualityTolerance.objects.select_for_update().filter(scope=scope).first()
        if row is None:
            return
        before = {"tolerance_pp": str(row.tolerance_pp)}
        audit_record_and_notify(
            event="advisor.tolerance.changed",
            payload={"scope": scope, "team": team.slug, "tolerance_pp": None},
            action="advisor.tolerance.removed",
            target=row,
            actor=actor,
            reason=reason,
            before=before,
            after={"tolerance_pp": None},
            team=team,
        )
        row.delete()
    logger.info("advisor.tolerance_removed", extra={"scope": scope})


# Pilots collect what they need in about two weeks, and never send more than
# half of a task type (nor less than 5 %) to the option under test.
PILOT_DAYS = 14
PILOT_MIN_PCT = 5
PILOT_MAX_PCT = 50


def pilot_percentage(*, runs_needed: int, monthly_jobs: Decimal) -> int:
    per_day = float(monthly_jobs) / 30
    if per_day <= 0:
        return PILOT_MAX_PCT
    share = math.ceil(100 * runs_needed / (per_day * PILOT_DAYS))
    return max(PILOT_MIN_PCT, min(PILOT_MAX_PCT, share))


def _flag_key(task_type: str, option: str, team: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", task_type.lower()).strip("-") or "untyped"
    suffix = f"-{team.slug}" if team is not None else ""
    return f"pilot-{slug}-{option.replace('_', '-')}{suffix}"[:128]


def pilot_start(*, task: TaskOptions, option: str, team: Any, actor: Any) -> Pilot:
    """Create the sticky percentage split (a flag whose "on" variant sends the
    task type to the option under test) and record the pilot."""
    if option not in (MINI, ESCALATE):
        raise AdvisorError("option", f"a pilot tests {MINI} or {ESCALATE}, not {option!r}")
    chosen = task.option(option)
    if not chosen.available or not chosen.runs_needed:
        raise AdvisorError("option", f"{OPTION_LABELS[option]} on {task.task_type} needs no pilot")
    percentage = pilot_percentage(runs_needed=chosen.runs_needed, monthly_jobs=task.monthly_jobs)
    key = _flag_key(task.task_type, option, team)
    conditions = [{"attribute": "task_type", "operator": "equals", "value": task.task_type}]
    if team is not None:
        conditions.append({"attribute": "team", "operator": "equals", "value": team.slug})
    reason = (
        f"pilot: {percentage} % of {task.task_type} to {OPTION_LABELS[option].lower()} "
        f"until {chosen.runs_needed} more runs decide it"
    )
    with transaction.atomic():
        if Pilot.objects.filter(flag_key=key).exists():
            raise AdvisorError("option", f"a pilot {key!r} is already running")
        # Evaluation buckets by the targeting key, so a job stays on its side of the split.
        flag_create(
            key=key,
            variants={"on": True, "off": False},
            default_variant="off",
            off_variant="off",
            enabled=True,
            rules=[
                {
                    "name": "pilot",
                    "conditions": conditions,
                    "split": [
                        {"variant": "on", "weight": percentage},
                        {"variant": "off", "weight": 100 - percentage},
                    ],
                }
            ],
            actor=actor,
            reason=reason,
            description=f"Advisor pilot of {OPTION_LABELS[option].lower()} on {task.task_type}.",
        )
        pilot = Pilot.objects.create(
            flag_key=key,
            team=team,
            task_type=task.task_type,
            option=option,
            percentage=percentage,
            runs_needed=chosen.runs_needed,
            created_at=timezone.now(),
        )
        audit_record_and_notify(
            event="advisor.pilot.started",
            payload={"flag": key, "task_type": task.task_type, "option": option,
                     "percentage": percentage, "runs_needed": chosen.runs_needed},
            action="advisor.pilot.started",
            target=pilot,
            actor=actor,
            reason=reason,
            after={"flag": key, "percentage": percentage},
            team=team,
        )  # fmt: skip
    return pilot


def plan_rules(*, rows: list, marker: str) -> list[dict]:
    """The plan as policy rules, one per task type that leaves the full model:
    the mini model, and `escalate_to` the full one for the escalation option."""
    rules = []
    for row in rows:
        option = row.chosen.option
        if option == FULL:
            continue
        then: dict[str, Any] = {"model": row.task.mini, "fallbacks": [row.task.full]}
        reason = "{task_type} on {model} (advisor plan within the quality tolerance)"
        if option == ESCALATE:
            then["escalate_to"] = row.task.full
            reason = (
                "{task_type}: {model} first, {escalate_to} redoes it when its generated tests "
                "fail (advisor plan within the quality tolerance)"
            )
        rules.append(
            {
                "name": f"{marker}-{row.task_type}"[:MAX_RULE_NAME],
                "when": [{"kind": "task_type", "op": "eq", "value": row.task_type}],
                "then": then,
                "reason": reason,
            }
        )
    return rules


MAX_RULE_NAME = 64


def policy_with_plan(*, policy: dict, rules: list[dict]) -> dict:
    """`policy` with the plan's rules before its catch-all (the first rule that
    matches everything), else last: every earlier rule still decides first."""
    existing = list(policy.get("rules") or [])
    at = next((i for i, r in enumerate(existing) if not r.get("when")), len(existing))
    return {**policy, "rules": existing[:at] + rules + existing[at:]}


def plan_adopt(*, recommendation: Any, team: Any, actor: Any) -> AdoptedPlan:
    """Record what the plan promises, for the follow-up once it is published."""
    with transaction.atomic():
        plan = AdoptedPlan.objects.create(
            team=team,
            created_at=timezone.now(),
            tolerance_pp=recommendation.tolerance_pp,
            choices={
                r.task_type: {
                    "option": r.chosen.option,
                    "full": r.task.full,
                    "mini": r.task.mini,
                    "change": r.chosen.change,
                    "variance": r.chosen.variance,
                    "weight": r.weight,
                    "saving_usd": str(r.chosen.monthly_saving_usd),
                    "monthly_jobs": str(r.task.monthly_jobs),
                }
                for r in recommendation.rows
            },
            promised_saving_usd=recommendation.monthly_saving_usd,
            promised_change_pp=round(recommendation.change * 100, 3),
            baseline=plan_baseline(recommendation=recommendation),
        )
        audit_record_and_notify(
            event="advisor.plan.drafted",
            payload={"plan": plan.pk, "promised_saving_usd": str(plan.promised_saving_usd),
                     "promised_change_pp": plan.promised_change_pp},
            action="advisor.plan.drafted",
            target=plan,
            actor=actor,
            after={"choices": plan.choices},
            team=team,
        )  # fmt: skip
    return plan


def pilot_rule(*, pilot: Pilot, task: TaskOptions) -> dict:
    """The policy rule that routes the pilot's share: the flag's "on" side of
    the task type goes to the option under test."""
    then: dict[str, Any] = {"model": task.mini, "fallbacks": [task.full]}
    if pilot.option == ESCALATE:
        then["escalate_to"] = task.full
    return {
        "name": f"{pilot.flag_key}"[:MAX_RULE_NAME],
        "when": [
            {"kind": "task_type", "op": "eq", "value": task.task_type},
            {"kind": "flag", "key": pilot.flag_key, "op": "eq", "value": True},
        ],
        "then": then,
        "reason": "{task_type}: pilot of the advisor, this job is in the share sent to {model}",
    }


PLAN_ACTOR = "system:advisor-plan-follow-up"
EVENT_PLAN_BREACHED = "quality.plan.breached"


def plans_follow(
    *, now: datetime | None = None, config: RegressionConfig | None = None
) -> list[int]:
    """Follow every drafted plan: note when a policy holding its rules is
    published, then compare what it realises with what it promised. A loss
    beyond the tolerance, judged like a regression alert (at least
    `min_tests` executed tests on each side, one-sided pooled z-test p <
    `alpha`), raises a quality alert and the webhook `quality.plan.breached`.
    Returns the ids of the plans found in breach."""
    now = now or timezone.now()
    config = config or RegressionConfig.from_settings()
    breached = []
    for plan in AdoptedPlan.objects.exclude(state=PlanState.BREACHED).select_related("team"):
        if plan.published_at is None:
            version = policy_version_with_rule(prefix=plan.plan_marker, since=plan.created_at)
            if version is None:
                continue
            plan.published_version, plan.published_at = version.number, version.published_at
            plan.state = PlanState.FOLLOWING
        realised = plan_realised(plan=plan, now=now)
        plan.last_checked_at = now
        plan.realised_saving_usd = realised.saving_usd
        plan.realised_change_pp = (
            None if realised.change is None else round(realised.change * 100, 3)
        )
        if realised.change is not None and _breach(plan=plan, realised=realised, config=config):
            with transaction.atomic():
                plan.state = PlanState.BREACHED
                plan.save()
                _plan_breach_alert(plan=plan, realised=realised, now=now, config=config)
            breached.append(plan.pk)
            continue
        plan.save()
    return breached


def _breach(*, plan: AdoptedPlan, realised: Realised, config: RegressionConfig) -> bool:
    if realised.executed < config.min_tests or realised.baseline_executed < config.min_tests:
        return False
    if realised.change is None or -realised.change * 100 < float(plan.tolerance_pp):
        return False
    test = stats.two_proportion_z_test(
        realised.passed, realised.executed, realised.baseline_passed, realised.baseline_executed
    )
    return test.p_less < config.alpha


def _plan_breach_alert(
    *, plan: AdoptedPlan, realised: Realised, now: datetime, config: RegressionConfig
) -> None:
    test = stats.two_proportion_z_test(
        realised.passed, realised.executed, realised.baseline_passed, realised.baseline_executed
    )
    team = plan.team or realised.busiest_team
    if team is None:
        return
    quality_alert_raise(
        team_id=team.pk,
        team_slug=team.slug,
        model=realised.mini,
        task_type=realised.worst_task_type,
        now=now,
        window_start=plan.published_at,
        counts=(realised.baseline_passed, realised.baseline_executed, realised.passed,
                realised.executed),
        p_value=test.p_less,
        threshold_pp=float(plan.tolerance_pp),
        event=EVENT_PLAN_BREACHED,
        reason=f"advisor plan {plan.pk}: pass rate {(realised.change or 0) * 100:+.2f} pp since "
        f"publication, beyond its {plan.tolerance_pp} pp tolerance (promised "
        f"{plan.promised_change_pp:+.2f} pp)",
    )  # fmt: skip
