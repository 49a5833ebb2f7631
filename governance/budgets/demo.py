"""Demo budgets: one per team and one for the organisation, with round
limits sized like real ones from the demo's own spend. Payments is over its
90 % fallback threshold (non-critical work falls back to the mini model);
the others have room left, sized from their last full period plus the
growth since. Safe to run again: budgets that exist are left as they are."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from governance.accounts.models import Team
from governance.accounts.services import team_create
from governance.budgets.models import Budget
from governance.budgets.selectors import BudgetStatus, budgets_status
from governance.budgets.services import budget_save, budgets_evaluate
from governance.core.money import amount_display

ACTOR = "system:demo"
# team: (name, period, time zone, share of the limit spent by now); a share of
# None sizes the limit from the last full period instead.
PLAN: dict[str, tuple[str, str, str, Decimal | None]] = {
    "payments": ("payments monthly", "month", "UTC", Decimal("0.93")),
    "search": ("search monthly", "month", "America/Los_Angeles", None),
    "platform": ("platform monthly", "month", "Europe/Berlin", None),
    "mobile": ("mobile weekly", "week", "Asia/Tokyo", None),
}
ORG = ("organisation monthly", "month", "UTC", None)
# Room over the last full period's spend: usage grows and a budget has slack.
HEADROOM = Decimal("1.3")
# Inside the fallback band with room on both sides: 90 % threshold, 95 % reserve.
OVER_THRESHOLD = (Decimal("0.905"), Decimal("0.945"))
FALLBACK_LIMIT = Decimal("1000")


def _status(*, team: Team | None, name: str, period: str, tz: str, now) -> BudgetStatus:
    # An unsaved budget measures the period's spend without storing anything.
    probe = Budget(team=team, name=name, limit=Decimal("1"), period=period, timezone=tz)
    (status,) = budgets_status(now=now, budgets=[probe])
    return status


def round_limit(amount: Decimal, *, up: bool) -> Decimal:
    """To two significant figures, as people set budgets ($1,300, $480, $75)."""
    if amount <= 0:
        return FALLBACK_LIMIT
    step = Decimal(10) ** (math.floor(math.log10(amount)) - 1)
    rounding = ROUND_CEILING if up else ROUND_FLOOR
    return (amount / step).quantize(Decimal(1), rounding=rounding) * step


def limit_over_threshold(spend: Decimal, *, low: Decimal, high: Decimal) -> Decimal:
    """The roundest limit at which `spend` is between `low` and `high` of it."""
    if spend <= 0:
        return FALLBACK_LIMIT
    smallest, largest = spend / high, spend / low
    step = Decimal(10) ** math.floor(math.log10(largest))
    while step >= Decimal("0.01"):
        candidate = (largest / step).quantize(Decimal(1), rounding=ROUND_FLOOR) * step
        if candidate >= smallest:
            return candidate
        step /= 10
    return (spend / ((low + high) / 2)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def _limit_for(
    *, team: Team | None, name: str, period: str, tz: str, share: Decimal | None, now
) -> Decimal:
    current = _status(team=team, name=name, period=period, tz=tz, now=now)
    if share is not None:
        return limit_over_threshold(current.spend, low=OVER_THRESHOLD[0], high=OVER_THRESHOLD[1])
    last = _status(
        team=team, name=name, period=period, tz=tz, now=current.bounds.start - timedelta(seconds=1)
    )
    # Never so tight that this period is already near its threshold.
    return round_limit(max(last.spend * HEADROOM, current.spend / Decimal("0.8")), up=True)


def load(*, rng, now, out) -> None:
    created = 0
    plans = [(slug, *plan) for slug, plan in PLAN.items()] + [(None, *ORG)]
    for slug, name, period, tz, share in plans:
        team = None
        if slug is not None:
            team = Team.objects.filter(slug=slug).first() or team_create(
                slug=slug, name=slug.title(), actor=ACTOR
            )
        if Budget.objects.filter(team=team, name=name).exists():
            continue
        limit = _limit_for(team=team, name=name, period=period, tz=tz, share=share, now=now)
        budget_save(
            team=team,
            name=name,
            limit=limit,
            period=period,
            timezone=tz,
            actor=ACTOR,
            reason="demo: sized from the demo's calls",
        )
        created += 1
    budgets_evaluate(now=now)
    for status in budgets_status(now=now):
        budget = status.budget
        out.write(
            f"  budget {budget}: {amount_display(status.spend, budget.unit)} spent of "
            f"{amount_display(budget.limit, budget.unit)} ({status.percent} %, {status.state})"
        )
    out.write(f"  {created} new budgets")
