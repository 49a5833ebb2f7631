from __future__ import annotations

from governance.core.tasking import governor_task, job_task
from governance.policies.services import (
    model_health_evaluate,
    policy_snapshot_rebuild,
    replay_job_run,
)


@governor_task(soft_time_limit=50, time_limit=60)
def model_health_evaluate_task() -> list[str]:
    """Every minute: move model circuits from the last minutes of calls."""
    return [row.model for row in model_health_evaluate()]


@governor_task(soft_time_limit=50, time_limit=60)
def policy_snapshot_refresh_task() -> int:
    """A safety net beside the rebuilds that changes trigger: a rebuild with an
    unchanged content keeps the generation (and every client's ETag)."""
    return policy_snapshot_rebuild().generation


@job_task()
def replay_job_run_task(self, job_id: str) -> str:
    """A chunk of a replay of a draft policy requested on the editor; it
    queues the next chunk itself (idempotent: see replay_job_run)."""
    return replay_job_run(job_id=job_id, holder=self.request.id).status
