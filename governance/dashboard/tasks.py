"""Celery tasks of the dashboard: thin wrappers around one service each."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def export_calls_csv(job_id: str) -> str:
    from governance.dashboard.services import export_job_run

    return export_job_run(job_id=job_id).status
