"""Reads for load balancers: is the database reachable, is the broker reachable."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection

from governance.celery import app

logger = logging.getLogger("governance.ops")

BROKER_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def readiness_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # A dead connection must not stick to this worker after the database
        # comes back: drop it so the next request reconnects.
        connection.close_if_unusable_or_obsolete()
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def readiness_broker() -> Check:

    if app.conf.task_always_eager or not settings.CELERY_BROKER_URL:
        return Check("broker", True, "eager (no broker configured)")
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - kombu raises transport-specific errors; all mean "not ready"
        return Check("broker", False, type(exc).__name__)
    return Check(
        "broker", True, conn.transport_cls if isinstance(conn.transport_cls, str) else "ok"
    )


def readiness_checks() -> list[Check]:
    return [readiness_database(), readiness_broker()]
