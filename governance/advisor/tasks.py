"""Periodic advisor work: one task, one service, idempotent (a breached plan
is alerted once and then left alone)."""

from __future__ import annotations

from governance.advisor import services
from governance.core.tasking import governor_task


@governor_task(name="advisor.follow_plans", soft_time_limit=240, time_limit=300)
def advisor_follow_plans() -> list[int]:
    return services.plans_follow()
