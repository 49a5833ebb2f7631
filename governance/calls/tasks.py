from __future__ import annotations

import logging

from governance.budgets.services import budgets_evaluate
from governance.calls.services import calls_reprice_request, calls_reprice_run
from governance.core.tasking import governor_task, job_task

logger = logging.getLogger("governance.calls")


@job_task()
def calls_reprice_task(
    self, job_id: str | None = None, *, model: str = "", reason: str = ""
) -> str:
    """Re-price a model's stored calls after its price or alias changed: a
    chunk of the run, which queues the next chunk itself (`model` alone: a
    message sent before runs were recorded first starts one)."""
    if job_id is None:
        calls_reprice_request(model=model, reason=reason)
        return "queued"
    return calls_reprice_run(job_id=int(job_id), holder=self.request.id).status


@governor_task(soft_time_limit=60, time_limit=90, max_retries=5)
def calls_after_ingest(*, team_ids: list[int]) -> None:
    """Work that follows newly stored calls: re-evaluating the teams' budgets."""

    logger.debug("calls.after_ingest", extra={"team_ids": team_ids})
    budgets_evaluate(team_ids=team_ids)
