from __future__ import annotations

from governance.budgets.services import budgets_evaluate
from governance.core.tasking import governor_task


@governor_task(soft_time_limit=50, time_limit=60)
def budgets_evaluate_task() -> list[int]:
    """Periodically too: a period rolls over (and states fall back to normal)
    without any new call arriving."""
    return [status.budget.pk for status in budgets_evaluate()]
