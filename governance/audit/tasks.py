from celery import shared_task

from governance.audit.services import webhook_delivery_attempt


@shared_task(bind=True, max_retries=None, acks_late=True)
def webhook_deliver(self, delivery_id: int) -> str:
    """One delivery attempt; the service decides whether and when to retry
    (it counts attempts in the row, so the limit survives worker restarts)."""
    outcome = webhook_delivery_attempt(delivery_id=delivery_id)
    # Without a broker the task runs inside the caller's request, which must not
    # sleep through the backoff: retry at once, still bounded by the attempt limit.
    while outcome.retry_in is not None and self.request.is_eager:
        outcome = webhook_delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status
