"""Demo budgets: one per team, sized from the demo's own calls so that
payments is over its 90 % threshold (non-critical work falls back to the mini
model) while the others are comfortably below theirs. Safe to run again:
budgets that exist are left as they are."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from governance.accounts.models import Team
from governance.accounts.services import team_create
from governance.budgets.models import Budget
from governance.budgets.selectors import budgets_status
from governance.budgets.services import budget_save, budgets_evaluate

ACTOR = "system:demo"
# team: (name, period, time zone, share of the limit already spent)
PLAN = {
    "payments": ("payments monthly", "month", "UTC", Decimal("0.93")),
    "search": ("search monthly", "month", "America/Los_Angeles", Decimal("0.55")),
    "platform": ("platform monthly", "month", "Europe/Berlin", Decimal("0.62")),
    "mobile": ("mobile weekly", "week", "Asia/Tokyo", Decimal("0.40")),
}
ORG = ("organisation monthly", "month", "UTC", Decimal("0.70"))


def _limit_for(
    *, team: Team | None, name: str, period: str, tz: str, share: Decimal, now
) -> Decimal:
    # Measure the period's spend with an unsaved budget, then size the limit.
    probe = Budget(team=team, name=name, limit=Decimal("1"), period=period, timezone=tz)
    (status,) = budgets_status(now=now, budgets=[probe])
    if status.spend <= 0:
        return Decimal("1000")
    return (status.spend / share).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


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
        out.write(
            f"  budget {status.budget}: {status.percent} % of {status.budget.limit} ({status.state})"
        )
    out.write(f"  {created} new budgets")
