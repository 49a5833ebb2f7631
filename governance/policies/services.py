"""Writes for policies: publishing and rolling back versions, model health,
and rebuilding the snapshot that every decision reads."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from governance.audit.services import audit_record, audit_record_and_notify
from governance.calls.selectors import call_outcomes
from governance.catalog.selectors import model_tiers
from governance.core.freshness import canonical_json, etag_for, generation_new
from governance.core.jobs import job_enqueue_on_commit, job_work
from governance.engine.default_policy import DEFAULT_POLICY
from governance.engine.policy_document import policy_models, policy_validate
from governance.policies import selectors
from governance.policies.models import (
    HealthState,
    ModelHealth,
    PolicySnapshot,
    PolicyVersion,
    ReplayJob,
)
from governance.policies.selectors import policy_view_for, snapshot_body_build
from governance.policies.snapshots import SNAPSHOT_GENERATION, ClientView, memory_reset

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
    known = set(model_tiers())
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
    with transaction.atomic():
        job = ReplayJob.objects.create(
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            document=document,
            days=days,
            total=days,
            created_at=timezone.now(),
        )
        audit_record(action="policy.replay", target=job, actor=actor, after={"days": days})
        job_enqueue_on_commit(job=job)
    return job


def replay_job_run(*, job_id: str, holder: str = "", seconds: float | None = None) -> ReplayJob:
    """Replay the job's draft a day per batch, the roll-up sums so far kept in
    the checkpoint with the days done, and store the result. A run resumed
    after a lost worker carries on from the last day done; a finished job is
    left as it is, so a redelivered task does not replay twice."""

    def batch(job: ReplayJob) -> bool:
        sums = {tuple(row[0]): row[1] for row in job.checkpoint.get("sums", [])}
        selectors.replay_day_add(sums=sums, days=job.days, day=job.done, now=job.created_at)
        job.done += 1
        job.checkpoint = {**job.checkpoint, "sums": [[list(k), v] for k, v in sums.items()]}
        return job.done >= job.days

    def finish(job: ReplayJob) -> None:
        sums = {tuple(row[0]): row[1] for row in job.checkpoint.get("sums", [])}
        replay = selectors.replay_from_sums(
            document=job.document, days=job.days, now=job.created_at, sums=sums
        )
        job.result = replay.to_json()
        job.checkpoint = {"started": True}  # the sums are in the result now
        logger.info("policy_replay.done", extra={"replay_id": job_id, "calls": replay.calls})

    return job_work(
        model=ReplayJob,
        job_id=job_id,
        holder=holder or f"inline-{job_id}",
        batch=batch,
        finish=finish,
        seconds=math.inf if not holder else seconds,
    )


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
        # Another process may have stored the same snapshot a moment earlier:
        # this rebuild then changed nothing and announced no new generation,
        # so this process reads the stored one now, not at its next check.
        memory_reset()
        view = policy_view_for(client=client)
        assert view is not None  # noqa: S101 - just rebuilt and read back
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


def _stats_of(*, counts: tuple[int, int, int], latencies: list[int]) -> HealthStats:
    n, errors, timeouts = counts
    latencies.sort()
    return HealthStats(
        calls=n,
        error_rate=errors / n,
        timeout_rate=timeouts / n,
        p50=_percentile(latencies, 0.50),
        p95=_percentile(latencies, 0.95),
        p99=_percentile(latencies, 0.99),
    )


@dataclass(frozen=True)
class WindowStats:
    """A window's figures per model for the organisation, and per model and team."""

    org: dict[str, HealthStats]
    teams: dict[tuple[str, int], HealthStats]


def _window_stats(*, since: datetime, until: datetime, models: list[str]) -> WindowStats:
    org_counts: dict[str, list[int]] = {}
    org_latencies: dict[str, list[int]] = {}
    teams: dict[tuple[str, int], HealthStats] = {}
    for row in call_outcomes(since=since, until=until, models=models):
        counts = (row.calls, row.errors, row.timeouts)
        total = org_counts.setdefault(row.model, [0, 0, 0])
        for i, value in enumerate(counts):
            total[i] += value
        org_latencies.setdefault(row.model, []).extend(row.latencies)
        teams[(row.model, row.team_id)] = _stats_of(counts=counts, latencies=list(row.latencies))
    org = {
        model: _stats_of(counts=(c[0], c[1], c[2]), latencies=org_latencies[model])
        for model, c in org_counts.items()
    }
    return WindowStats(org=org, teams=teams)


def health_is_bad(stats: HealthStats | None, *, min_calls: int) -> bool | None:
    """True past a threshold, False within all, None without enough calls to tell."""
    if stats is None or stats.calls < min_calls:
        return None
    return (
        stats.error_rate >= settings.GOVERNOR_HEALTH_MAX_ERROR_RATE
        or stats.timeout_rate >= settings.GOVERNOR_HEALTH_MAX_TIMEOUT_RATE
        or (stats.p99 is not None and stats.p99 >= settings.GOVERNOR_HEALTH_MAX_P99_MS)
    )


def _failing_teams(window: WindowStats, model: str) -> int:
    """How many teams' own calls of `model` are past a threshold."""
    return sum(
        1
        for (name, _), stats in window.teams.items()
        if name == model and health_is_bad(stats, min_calls=settings.GOVERNOR_HEALTH_MIN_CALLS)
    )


def _org_is_bad(window: WindowStats | None, model: str, *, min_calls: int) -> bool | None:
    """The organisation's verdict: bad only when the failures come from a
    quorum of teams, each failing on its own calls; one team's failures are
    that team's business (its own circuit), not everyone's."""
    if window is None:
        return None
    bad = health_is_bad(window.org.get(model), min_calls=min_calls)
    if not bad:
        return bad
    return _failing_teams(window, model) >= settings.GOVERNOR_HEALTH_QUORUM_TEAMS


def _next_state(
    row: ModelHealth, *, bad_now: bool | None, bad_in_trial: bool | None, now: datetime
) -> str:
    cooldown = timedelta(seconds=settings.GOVERNOR_HEALTH_COOLDOWN_SECONDS)
    if row.state == HealthState.HEALTHY:
        return HealthState.DEGRADED if bad_now else HealthState.HEALTHY
    if row.state == HealthState.DEGRADED:
        return (
            HealthState.HALF_OPEN
            if now - row.state_changed_at >= cooldown
            else HealthState.DEGRADED
        )
    # Half-open: judged only on the calls made since the circuit half-opened.
    if bad_in_trial is None:
        return HealthState.HALF_OPEN
    return HealthState.DEGRADED if bad_in_trial else HealthState.HEALTHY


def model_health_evaluate(*, now: datetime | None = None) -> list[ModelHealth]:
    """Error and timeout rates and latency percentiles per catalogued model
    over the last minutes of calls, for the organisation and for each team;
    move each circuit healthy -> degraded -> (cool-down) -> half-open ->
    healthy or degraded. Names not in the catalog get no circuit: a client
    cannot add entries to every client's snapshot by inventing models.
    Returns the circuits that changed state."""
    now = now or timezone.now()
    names = sorted(model_tiers())
    window = _window_stats(
        since=now - timedelta(minutes=settings.GOVERNOR_HEALTH_WINDOW_MINUTES),
        until=now,
        models=names,
    )
    min_calls = settings.GOVERNOR_HEALTH_MIN_CALLS
    trial_min = settings.GOVERNOR_HEALTH_HALF_OPEN_MIN_CALLS
    changed: list[ModelHealth] = []
    with transaction.atomic():
        rows = {
            (r.model, r.team_id): r
            # Lock the health rows only: the team is on the nullable side of
            # an outer join, which PostgreSQL refuses to lock.
            for r in ModelHealth.objects.select_for_update(of=("self",))
            .select_related("team")
            .filter(model__in=names)
        }
        # A team gets a row once its own calls of a model are seen; the rows
        # of teams gone quiet stay and heal through the same states.
        keys = {(name, None) for name in names} | set(window.teams) | set(rows)
        trials = {
            key: _window_stats(since=r.state_changed_at, until=now, models=[key[0]])
            for key, r in rows.items()
            if r.state == HealthState.HALF_OPEN
        }
        for model, team_id in sorted(keys, key=lambda k: (k[0], k[1] or 0)):
            row = rows.get((model, team_id)) or ModelHealth.objects.create(
                model=model, team_id=team_id, state_changed_at=now
            )
            trial = trials.get((model, team_id))
            if team_id is None:
                current = window.org.get(model)
                bad_now = _org_is_bad(window, model, min_calls=min_calls)
                bad_in_trial = _org_is_bad(trial, model, min_calls=trial_min)
            else:
                current = window.teams.get((model, team_id))
                bad_now = health_is_bad(current, min_calls=min_calls)
                bad_in_trial = (
                    health_is_bad(trial.teams.get((model, team_id)), min_calls=trial_min)
                    if trial is not None
                    else None
                )
            new_state = _next_state(row, bad_now=bad_now, bad_in_trial=bad_in_trial, now=now)
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
    team = row.team.slug if row.team is not None else None
    figures = {
        "calls": row.calls,
        "error_rate": round(row.error_rate, 4),
        "timeout_rate": round(row.timeout_rate, 4),
        "latency_p99_ms": row.latency_p99_ms,
    }
    audit_record_and_notify(
        action="model_health.change",
        event="model.health_changed",
        payload={"model": row.model, "team": team, "from": before, "to": row.state, **figures},
        target=row,
        actor=HEALTH_ACTOR,
        reason=f"{row.model}{f' for team {team}' if team else ''}: {before} -> {row.state}",
        before={"state": before},
        after={"state": row.state, "team": team, **figures},
    )
    logger.info(
        "model_health.changed",
        extra={"model": row.model, "team": team, "from": before, "to": row.state},
    )
