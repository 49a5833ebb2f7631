"""Writes for policies: publishing and rolling back versions, model health,
and rebuilding the snapshot that every decision reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from governance.audit.services import audit_record, audit_record_and_notify
from governance.calls.models import Call, Status
from governance.catalog.models import Model
from governance.core.freshness import canonical_json, etag_for, generation_new
from governance.core.jobs import job_claim, job_fail, job_finish, job_progress, job_release
from governance.engine.default_policy import DEFAULT_POLICY
from governance.engine.policy_document import policy_models, policy_validate
from governance.policies.models import (
    HealthState,
    ModelHealth,
    PolicySnapshot,
    PolicyVersion,
    ReplayJob,
)
from governance.policies.selectors import (
    policy_replay,
    policy_view_for,
    snapshot_body_build,
)
from governance.policies.snapshots import SNAPSHOT_GENERATION, ClientView

logger = logging.getLogger("governance.policies")

HEALTH_ACTOR = "system:health-evaluator"


class PolicyInvalid(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def policy_check(*, document: Any) -> list[str]:
    """Engine validation plus: every model named must be in the catalog."""
    errors = policy_validate(document)
    if errors:
        return errors
    known = set(Model.objects.values_list("name", flat=True))
    return [
        f"model '{name}' is not in the catalog" for name in sorted(policy_models(document) - known)
    ]


@transaction.atomic
def policy_publish(
    *, document: Any, actor=None, note: str = "", restored_from: int | None = None
) -> PolicyVersion:
    errors = policy_check(document=document)
    if errors:
        raise PolicyInvalid(errors)
    # Serialise publishers on the snapshot row so version numbers never collide.
    _snapshot_row_locked()
    latest = PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0
    version = PolicyVersion.objects.create(
        number=latest + 1,
        document=document,
        note=note[:255],
        restored_from=restored_from,
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        action="policy.rollback" if restored_from else "policy.publish",
        target=version,
        actor=actor,
        reason=note,
        before={"version": latest} if latest else None,
        after={"version": version.number, "restored_from": restored_from},
    )
    policy_snapshot_rebuild()
    logger.info(
        "policy.published", extra={"version": version.number, "restored_from": restored_from}
    )
    return version


def policy_rollback(*, number: int, actor=None, reason: str = "") -> PolicyVersion:
    """Publish an earlier version's document again, under a new number."""
    earlier = PolicyVersion.objects.get(number=number)
    note = reason or f"rollback to v{number}"
    return policy_publish(document=earlier.document, actor=actor, note=note, restored_from=number)


def policy_default_publish(*, actor=None) -> PolicyVersion:
    """Version 1: the shipped default policy (safe to call again)."""
    existing = PolicyVersion.objects.filter(number=1).first()
    return existing or policy_publish(
        document=DEFAULT_POLICY, actor=actor, note="the default policy"
    )


# --- replay jobs --------------------------------------------------------------


def replay_job_create(*, actor: Any, document: dict[str, Any], days: int) -> ReplayJob:
    """Queue a replay of the last `days` of calls under a draft (already checked
    by `policy_check`). The work runs in Celery after the commit."""
    from governance.policies import tasks

    with transaction.atomic():
        job = ReplayJob.objects.create(
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            document=document,
            days=days,
            total=days,
            created_at=timezone.now(),
        )
        audit_record(action="policy.replay", target=job, actor=actor, after={"days": days})
        transaction.on_commit(lambda: tasks.replay_job_run_task.delay(str(job.pk)))
    return job


def replay_job_run(*, job_id: str) -> ReplayJob:
    """Replay the job's draft, moving `done` a day at a time, and store the
    result. Safe to run again: only a pending job is claimed, so a
    redelivered task does not replay twice."""
    job, claimed = job_claim(model=ReplayJob, job_id=job_id)
    if not claimed:
        return job

    def progress(done: int, total: int) -> None:
        job_progress(model=ReplayJob, job_id=job_id, done=done, total=total)

    try:
        replay = policy_replay(
            document=job.document, days=job.days, now=job.created_at, on_progress=progress
        )
    except (OperationalError, InterfaceError):
        # The task retries on these: hand the job back so that the retry can claim it.
        job_release(model=ReplayJob, job_id=job_id)
        raise
    except Exception as exc:
        # Anything else will fail again the same way: the page shows why.
        logger.exception("policy_replay.failed", extra={"replay_id": job_id})
        return job_fail(model=ReplayJob, job_id=job_id, error=f"{type(exc).__name__}: {exc}")
    logger.info("policy_replay.done", extra={"replay_id": job_id, "calls": replay.calls})
    return job_finish(model=ReplayJob, job_id=job_id, result=replay.to_json())


# --- snapshot -----------------------------------------------------------------


def _snapshot_row_locked() -> PolicySnapshot:
    row, _ = PolicySnapshot.objects.get_or_create(pk=1, defaults={"etag": "", "body": {}})
    return PolicySnapshot.objects.select_for_update().get(pk=1)


@transaction.atomic
def policy_snapshot_rebuild() -> PolicySnapshot:
    """Rebuild the snapshot from its inputs; a new generation only when the
    content changed, so an unchanged rebuild keeps every client's ETag valid."""
    row = _snapshot_row_locked()
    body = snapshot_body_build()
    etag = etag_for(canonical_json(body))
    if etag != row.etag:
        row.generation = generation_new()
        row.etag = etag
        row.body = body
        row.built_at = timezone.now()
        row.save(update_fields=["generation", "etag", "body", "built_at"])
        SNAPSHOT_GENERATION.changed(row.generation)
        logger.info("policy_snapshot.rebuilt", extra={"generation": row.generation})
    return row


def policy_view_ensure(*, client) -> ClientView:
    """The snapshot as this client sees it, building (and storing) the
    snapshot first when there is none yet: on a fresh install, before the
    first publish or the periodic refresh."""
    view = policy_view_for(client=client)
    if view is None:
        policy_snapshot_rebuild()
        view = policy_view_for(client=client)
        assert view is not None  # noqa: S101 - just rebuilt
    return view


# --- model health -------------------------------------------------------------


@dataclass(frozen=True)
class HealthStats:
    calls: int
    error_rate: float
    timeout_rate: float
    p50: int | None
    p95: int | None
    p99: int | None


def _percentile(values: list[int], q: float) -> int | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    rank = max(1, -(-len(values) * q // 1))
    return values[int(rank) - 1]


def _window_stats(
    *, since: datetime, until: datetime, models: list[str] | None = None
) -> dict[str, HealthStats]:
    calls = Call.objects.filter(timestamp__gte=since, timestamp__lte=until)
    if models is not None:
        calls = calls.filter(model__in=models)
    counts = calls.values("model").annotate(
        n=Count("id"),
        errors=Count("id", filter=Q(status=Status.ERROR)),
        timeouts=Count("id", filter=Q(status=Status.TIMEOUT)),
    )
    latencies: dict[str, list[int]] = {}
    for model, latency in (
        calls.filter(latency_ms__isnull=False)
        .order_by("model", "latency_ms")
        .values_list("model", "latency_ms")
    ):
        if latency is not None:  # filtered out above; for the type checker
            latencies.setdefault(model, []).append(latency)
    stats = {}
    for row in counts:
        lat = latencies.get(row["model"], [])
        stats[row["model"]] = HealthStats(
            calls=row["n"],
            error_rate=row["errors"] / row["n"],
            timeout_rate=row["timeouts"] / row["n"],
            p50=_percentile(lat, 0.50),
            p95=_percentile(lat, 0.95),
            p99=_percentile(lat, 0.99),
        )
    return stats


def health_is_bad(stats: HealthStats | None, *, min_calls: int) -> bool | None:
    """True past a threshold, False within all, None without enough calls to tell."""
    if stats is None or stats.calls < min_calls:
        return None
    return (
        stats.error_rate >= settings.GOVERNOR_HEALTH_MAX_ERROR_RATE
        or stats.timeout_rate >= settings.GOVERNOR_HEALTH_MAX_TIMEOUT_RATE
        or (stats.p99 is not None and stats.p99 >= settings.GOVERNOR_HEALTH_MAX_P99_MS)
    )


def _next_state(
    row: ModelHealth, *, window: HealthStats | None, trial: HealthStats | None, now: datetime
) -> str:
    cooldown = timedelta(seconds=settings.GOVERNOR_HEALTH_COOLDOWN_SECONDS)
    if row.state == HealthState.HEALTHY:
        bad = health_is_bad(window, min_calls=settings.GOVERNOR_HEALTH_MIN_CALLS)
        return HealthState.DEGRADED if bad else HealthState.HEALTHY
    if row.state == HealthState.DEGRADED:
        return (
            HealthState.HALF_OPEN
            if now - row.state_changed_at >= cooldown
            else HealthState.DEGRADED
        )
    # Half-open: judged only on the calls made since the circuit half-opened.
    bad = health_is_bad(trial, min_calls=settings.GOVERNOR_HEALTH_HALF_OPEN_MIN_CALLS)
    if bad is None:
        return HealthState.HALF_OPEN
    return HealthState.DEGRADED if bad else HealthState.HEALTHY


def model_health_evaluate(*, now: datetime | None = None) -> list[ModelHealth]:
    """Error and timeout rates and latency percentiles per model over the last
    minutes of calls; move each circuit healthy -> degraded -> (cool-down) ->
    half-open -> healthy or degraded. Returns the models that changed state."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.GOVERNOR_HEALTH_WINDOW_MINUTES)
    stats = _window_stats(since=now - window, until=now)
    names = set(stats) | set(Model.objects.values_list("name", flat=True))
    changed: list[ModelHealth] = []
    with transaction.atomic():
        rows = {r.model: r for r in ModelHealth.objects.select_for_update().filter(model__in=names)}
        half_open = [r for r in rows.values() if r.state == HealthState.HALF_OPEN]
        trials = {
            r.model: _window_stats(since=r.state_changed_at, until=now, models=[r.model]).get(
                r.model
            )
            for r in half_open
        }
        for name in sorted(names):
            row = rows.get(name) or ModelHealth.objects.create(model=name, state_changed_at=now)
            current = stats.get(name)
            new_state = _next_state(row, window=current, trial=trials.get(name), now=now)
            before = row.state
            row.calls = current.calls if current else 0
            row.error_rate = current.error_rate if current else 0
            row.timeout_rate = current.timeout_rate if current else 0
            row.latency_p50_ms = current.p50 if current else None
            row.latency_p95_ms = current.p95 if current else None
            row.latency_p99_ms = current.p99 if current else None
            row.evaluated_at = now
            if new_state != before:
                row.state = new_state
                row.state_changed_at = now
                changed.append(row)
                _health_changed(row=row, before=before, stats=current)
            row.save()
        if changed:
            policy_snapshot_rebuild()
    return changed


def _health_changed(*, row: ModelHealth, before: str, stats: HealthStats | None) -> None:
    figures = {
        "calls": row.calls,
        "error_rate": round(row.error_rate, 4),
        "timeout_rate": round(row.timeout_rate, 4),
        "latency_p99_ms": row.latency_p99_ms,
    }
    audit_record_and_notify(
        action="model_health.change",
        event="model.health_changed",
        payload={"model": row.model, "from": before, "to": row.state, **figures},
        target=row,
        actor=HEALTH_ACTOR,
        reason=f"{row.model}: {before} -> {row.state}",
        before={"state": before},
        after={"state": row.state, **figures},
    )
    logger.info("model_health.changed", extra={"model": row.model, "from": before, "to": row.state})
