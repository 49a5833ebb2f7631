from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from governance.budgets.services import budgets_evaluate

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
)
def budgets_evaluate_task() -> list[int]:
    """Periodically too: a period rolls over (and states fall back to normal)
    without any new call arriving."""
    return [status.budget.pk for status in budgets_evaluate()]
