"""Retention: old calls go, in batches; roll-ups and recent calls stay."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from governance.audit.models import AuditEvent
from governance.calls.models import Call
from governance.calls.services import calls_purge
from governance.ops.tasks import calls_purge_task
from governance.rollups.models import CallRollup
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(key_client):
    """Five calls 40 days old and two from today, ingested as a client would."""
    now = timezone.now()
    old = [call_record(ts=now - timedelta(days=40, minutes=i)) for i in range(5)]
    recent = [call_record(ts=now - timedelta(minutes=5 + i)) for i in range(2)]
    assert post_calls(key_client, old + recent).json()["accepted"] == 7
    return {"old": {r["call_id"] for r in old}, "recent": {r["call_id"] for r in recent}}


def _rollup_calls() -> int:
    return CallRollup.objects.aggregate(n=Sum("calls"))["n"]


def test_calls_purge__older_than_a_cutoff__deletes_only_those_and_keeps_rollups(history):
    rollups_before = _rollup_calls()

    deleted = calls_purge(older_than=timezone.now() - timedelta(days=30), batch_size=2)

    assert deleted == 5
    assert set(Call.objects.values_list("call_id", flat=True)) == history["recent"]
    assert _rollup_calls() == rollups_before == 7
    event = AuditEvent.objects.get(action="calls.purge")
    assert event.after["deleted"] == 5


def test_calls_purge__run_twice__second_run_finds_nothing(history):
    cutoff = timezone.now() - timedelta(days=30)

    assert calls_purge(older_than=cutoff, batch_size=3) == 5
    assert calls_purge(older_than=cutoff, batch_size=3) == 0
    assert AuditEvent.objects.filter(action="calls.purge").count() == 1


def test_calls_purge__batch_budget__stops_after_that_many_batches(history):
    deleted = calls_purge(
        older_than=timezone.now() - timedelta(days=30), batch_size=2, max_batches=1
    )

    assert deleted == 2
    assert Call.objects.count() == 5


def test_purge_task__retention_setting__applies_the_configured_age(history, settings):
    settings.GOVERNOR_CALL_RETENTION_DAYS = 60
    assert calls_purge_task.delay().get() == 0

    settings.GOVERNOR_CALL_RETENTION_DAYS = 30
    assert calls_purge_task.delay().get() == 5
    assert Call.objects.count() == 2
