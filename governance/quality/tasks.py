"""Periodic quality work; each task calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from governance.quality import services


@shared_task(
    name="quality.check_regressions",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def quality_check_regressions() -> dict:
    summary = services.quality_regressions_check()
    return {
        "series_checked": summary.series_checked,
        "raised": summary.raised,
        "cleared": summary.cleared,
    }


@shared_task(
    name="quality.resolve_call_links",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def quality_resolve_call_links() -> int:
    return services.test_run_links_resolve()
