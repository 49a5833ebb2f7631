"""Replays of a draft policy as a background job: requested and audited, run by
Celery a day of roll-ups at a time, stored so that the page shows exactly what
the synchronous replay would."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from governance.audit.models import AuditEvent
from governance.calls.models import Call
from governance.core.jobs import JobStatus
from governance.engine.default_policy import DEFAULT_POLICY, FULL_MODEL, MINI_MODEL
from governance.policies import selectors, tasks
from governance.policies.models import ReplayJob
from governance.policies.selectors import Replay, policy_replay
from governance.policies.services import replay_job_create, replay_job_run
from tests.faults import DropsOnce
from tests.policies.factories import ReplayJobFactory

pytestmark = pytest.mark.django_db


def test_replay_job_create__admin_requests_a_replay__pending_job_and_an_audit_event(
    admin_user, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = replay_job_create(actor=admin_user, document=DEFAULT_POLICY, days=30)

    assert (job.status, job.done, job.total, job.days) == (JobStatus.PENDING, 0, 30, 30)
    assert job.document == DEFAULT_POLICY
    assert len(queued) == 1  # the task is sent only once the job is committed
    event = AuditEvent.objects.get(action="policy.replay")
    assert (event.actor, event.target_id, event.after) == (admin_user, str(job.pk), {"days": 30})


def test_replay_job__task_runs_on_commit__result_equals_the_synchronous_replay(
    admin_user, recent_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = replay_job_create(actor=admin_user, document=DEFAULT_POLICY, days=7)

    job.refresh_from_db()
    expected = policy_replay(document=DEFAULT_POLICY, days=7, now=job.created_at)
    assert job.status == JobStatus.DONE
    assert Replay.from_json(job.result) == expected
    assert (expected.calls, expected.calls_moved) == (9, 7)
    # Most dollars first: four full-model calls cost more than three mini-model ones.
    assert [(m.from_model, m.to_model, m.calls) for m in expected.moves] == [
        (FULL_MODEL, MINI_MODEL, 4),
        (MINI_MODEL, FULL_MODEL, 3),
    ]


def test_replay_job__stored_result__money_as_decimal_strings_read_back_exactly(
    admin_user, recent_calls
):
    job = ReplayJobFactory(requested_by=admin_user, days=7)

    job = replay_job_run(job_id=str(job.pk))

    assert isinstance(job.result["usd"], str)
    assert all(isinstance(m["usd"], str) for m in job.result["moves"])
    replay = Replay.from_json(job.result)
    assert isinstance(replay.usd, Decimal) and replay.usd > 0
    assert replay.savings == replay.usd_moved - replay.usd_moved_after


def test_replay_job_run__progress__moves_a_day_at_a_time_and_ends_with_done_equal_to_total(
    admin_user, recent_calls, monkeypatch
):
    job = ReplayJobFactory(requested_by=admin_user, days=5)
    seen = []
    real_day_add = selectors.replay_day_add

    def watching(**kwargs):
        stored = ReplayJob.objects.get(pk=job.pk)
        seen.append((stored.status, stored.done, stored.total))
        real_day_add(**kwargs)

    monkeypatch.setattr(selectors, "replay_day_add", watching)

    job = replay_job_run(job_id=str(job.pk))

    # Each day is read with the days before it stored as done.
    assert seen == [(JobStatus.RUNNING, day, 5) for day in range(5)]
    assert (job.status, job.done, job.total, job.percent) == (JobStatus.DONE, 5, 5, 100)
    assert job.finished_at is not None


def test_replay_job_run__task_delivered_twice__replays_once(admin_user, recent_calls, monkeypatch):
    job = ReplayJobFactory(requested_by=admin_user, days=7)
    runs = []
    real_replay = selectors.replay_from_sums
    monkeypatch.setattr(
        selectors, "replay_from_sums", lambda **kwargs: runs.append(1) or real_replay(**kwargs)
    )

    first = tasks.replay_job_run_task.delay(str(job.pk)).get()
    finished_at = ReplayJob.objects.get(pk=job.pk).finished_at
    second = tasks.replay_job_run_task.delay(str(job.pk)).get()

    assert first == second == JobStatus.DONE
    assert len(runs) == 1
    assert ReplayJob.objects.get(pk=job.pk).finished_at == finished_at


def test_replay_job_run__replay_raises__job_failed_with_the_message(
    admin_user, published, monkeypatch
):
    job = ReplayJobFactory(requested_by=admin_user, days=7)

    def broken(**kwargs):
        raise ValueError("rule 'x' names no model")

    monkeypatch.setattr(selectors, "replay_from_sums", broken)

    job = replay_job_run(job_id=str(job.pk))

    assert job.status == JobStatus.FAILED
    assert job.error == "ValueError: rule 'x' names no model"
    assert job.result is None and job.finished_at is not None


def test_replay_job_task__database_drops_during_the_replay__the_retry_claims_it_and_finishes(
    admin_user, recent_calls, monkeypatch
):
    job = ReplayJobFactory(requested_by=admin_user, days=7)
    replay = DropsOnce(selectors.replay_day_add)
    monkeypatch.setattr(selectors, "replay_day_add", replay)

    with pytest.raises(Retry) as retry:
        tasks.replay_job_run_task.delay(str(job.pk))
    assert ReplayJob.objects.get(pk=job.pk).status == JobStatus.PENDING  # handed back
    # What the broker delivers after the backoff (eager Celery hands it back instead).
    retry.value.sig.apply()

    job.refresh_from_db()
    assert replay.calls == 1 + 7  # the day that dropped, read again, then the six others
    assert job.status == JobStatus.DONE
    assert Replay.from_json(job.result).calls == 9


def test_policy_replay__read_a_day_at_a_time__totals_equal_the_stored_calls_of_the_range(
    recent_calls,
):
    now = timezone.now()
    reported = []

    replay = policy_replay(
        document=DEFAULT_POLICY, days=7, now=now, on_progress=lambda d, t: reported.append((d, t))
    )

    calls = Call.objects.filter(timestamp__gte=now - timedelta(days=7))
    assert reported == [(day, 7) for day in range(1, 8)]
    assert replay.calls == calls.count() == 9
    assert replay.usd == sum(c.cost_usd for c in calls)
    assert sum(replay.by_rule.values()) == 9
    assert replay.calls_moved == sum(m.calls for m in replay.moves) == 7
