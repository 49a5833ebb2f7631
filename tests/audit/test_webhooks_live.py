"""Webhook delivery through a real Celery worker and broker: the retry is a
message scheduled with its backoff countdown, not an in-process loop."""

from __future__ import annotations

import os

import pytest
from celery.contrib.testing.worker import start_worker

from governance.audit.models import WebhookDelivery
from governance.audit.services import webhook_endpoint_create, webhooks_dispatch
from governance.celery import app as celery_app
from tests.audit.webhook_receiver import Receiver
from tests.waiting import wait_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    # The configured Redis broker when the suite runs as in production (CI's
    # second pass), otherwise kombu's in-memory transport; never eager.
    configured = os.environ.get("CELERY_BROKER_URL", "")
    broker = configured if configured.startswith("redis://") else "memory://"
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = broker
    celery_app.conf.task_always_eager = False
    _forget_broker_pools()
    settings.GOVERNOR_WEBHOOK_BACKOFF_SECONDS = 1
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
        _forget_broker_pools()


def _forget_broker_pools():
    # Eager tests that ran before (apply_async acquires a producer even when
    # eager) left pools bound to the previous broker URL; Celery has no public
    # reset that keeps the app registered.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_webhook__receiver_down_once__worker_retries_after_backoff_and_delivers(worker):
    with Receiver([503, 200]) as receiver:
        webhook_endpoint_create(url=receiver.url, events=["flag.*"], actor="system:tests")
        webhooks_dispatch(event="flag.toggled", payload={"key": "mini-model-flows"})
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
            what="the worker to deliver the webhook",
        )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status_code) == (2, 200)
    assert len(receiver.requests) == 2
    # A lower bound only: the broker held the retry for its 1 s countdown.
    assert receiver.received_at[1] - receiver.received_at[0] >= 1.0
