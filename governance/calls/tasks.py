from __future__ import annotations

import logging

from governance.calls.services import calls_reprice
from governance.core.tasking import governor_task

logger = logging.getLogger("governance.calls")


@governor_task(soft_time_limit=1800, time_limit=1900, max_retries=5, retry_backoff_max=300)
def calls_reprice_task(*, model: str, reason: str = "") -> int:
    """Re-price a model's stored calls after its price or alias changed."""
    return calls_reprice(model=model, reason=reason).calls_repriced


@governor_task(soft_time_limit=60, time_limit=90, max_retries=5)
def calls_after_ingest(*, team_ids: list[int]) -> None:
    """Work that follows newly stored calls: re-evaluating the teams' budgets."""
    from governance.budgets.services import budgets_evaluate

    logger.debug("calls.after_ingest", extra={"team_ids": team_ids})
    budgets_evaluate(team_ids=team_ids)
