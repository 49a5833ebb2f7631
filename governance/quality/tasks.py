"""Periodic quality work; each task calls one service. All are idempotent:
an open alert is not raised twice, a link already resolved is left alone, and
a day's job steps are counted once per version of the day."""

from __future__ import annotations

from governance.core.tasking import governor_task
from governance.quality import services


@governor_task(name="quality.check_regressions", soft_time_limit=240, time_limit=300)
def quality_check_regressions() -> dict:
    summary = services.quality_regressions_check()
    return {
        "series_checked": summary.series_checked,
        "raised": summary.raised,
        "cleared": summary.cleared,
    }


@governor_task(name="quality.resolve_call_links", soft_time_limit=180, time_limit=220)
def quality_resolve_call_links() -> int:
    return services.suite_run_links_resolve()


@governor_task(name="quality.refresh_job_steps", soft_time_limit=240, time_limit=300)
def quality_refresh_job_steps() -> int:
    return services.job_steps_refresh()
