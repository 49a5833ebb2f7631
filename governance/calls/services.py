"""Writes to calls. Their roll-ups move with them, through rollups_apply, in the same transaction."""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from governance.accounts.models import Client
from governance.audit.services import audit_record
from governance.calls.models import Call, PurgeRun, RepriceRun
from governance.calls.redaction import redact, redact_value
from governance.calls.serializers import ValidCall
from governance.catalog.pricing import PriceBook, Source
from governance.catalog.selectors import price_book
from governance.core.enqueue import task_enqueue_on_commit
from governance.core.jobs import JobStatus, job_enqueue_on_commit, job_work
from governance.core.metrics import CALLS_PURGED
from governance.rollups.services import (
    CallSample,
    rollups_apply,
    rollups_calls_deleted,
    rollups_calls_repriced,
)

logger = logging.getLogger("governance.calls")

CALL_COLUMNS = (
    "client_id", "team_id", "call_id", "timestamp", "received_at", "model", "provider", "task_type",
    "risk", "environment", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens",
    "latency_ms", "status", "error_type", "retries", "fallback_from", "decision_id",
    "reported_cost_usd", "cost_usd", "price_source", "repo", "prompt", "response", "metadata",
)  # fmt: skip
DEADLOCK_RETRIES = 3


@dataclass(frozen=True)
class IngestOutcome:
    accepted: int
    duplicates: int
    accepted_call_ids: frozenset[str]


class _Priced(NamedTuple):
    # A tuple, not a frozen dataclass: one is built per ingested call.
    call: ValidCall
    cost: Decimal | None
    source: str


def calls_ingest(
    *, client: Client, calls: Sequence[ValidCall], received_at: datetime | None = None
) -> IngestOutcome:
    """Store validated calls, priced, and fold them into the roll-ups, in one transaction.

    Idempotent: a call_id this client already sent (in an earlier batch, in a
    racing batch, or earlier in this one) is stored once and counted as a
    duplicate. The database's unique constraint decides, not a prior read.
    """
    received_at = received_at or timezone.now()
    unique: dict[str, ValidCall] = {}
    for call in calls:
        unique.setdefault(call.call_id, call)
    in_batch_duplicates = len(calls) - len(unique)
    if not unique:
        return IngestOutcome(
            accepted=0, duplicates=in_batch_duplicates, accepted_call_ids=frozenset()
        )

    book = price_book()
    team = client.team
    keep_text = team.store_prompts
    # Calls from an intake were priced by its plausibility check (the current book): once is enough.
    priced = [
        _Priced(call, call.cost_usd, call.price_source)
        if call.price_source
        else _Priced(call, *book.price_call(call))
        for call in unique.values()
    ]
    rows = [_row(client, p, received_at, keep_text) for p in priced]

    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            with transaction.atomic():
                inserted = _insert_calls(rows)
                rollups_apply(
                    calls=[_sample(client, p) for p in priced if p.call.call_id in inserted],
                    sign=1,
                )
            break
        except OperationalError as exc:
            # Racing batches lock rows in call_id order, so deadlocks should not
            # happen; if one does (or SQLite is busy), retry the whole batch.
            if attempt == DEADLOCK_RETRIES or not _is_transient(exc):
                raise
            logger.warning("calls.ingest_retry", extra={"client_id": client.pk, "attempt": attempt})
            time.sleep(0.05 * attempt)

    _after_ingest(team_ids=[team.pk])
    outcome = IngestOutcome(
        accepted=len(inserted),
        duplicates=in_batch_duplicates + len(unique) - len(inserted),
        accepted_call_ids=frozenset(inserted),
    )
    logger.info(
        "calls.ingested",
        extra={
            "client_id": client.pk,
            "team_id": team.pk,
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
        },
    )
    return outcome


def _after_ingest(*, team_ids: list[int]) -> None:

    # A broker outage must not fail ingestion: the calls are stored already.
    task_enqueue_on_commit("governance.calls.tasks.calls_after_ingest", team_ids=team_ids)


def _is_transient(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return "deadlock" in text or "is locked" in text or "could not serialize" in text


def _row(client: Client, p: _Priced, received_at: datetime, keep_text: bool) -> tuple:
    c = p.call
    return (
        client.pk, client.team_id, c.call_id, c.timestamp, received_at, c.model, c.provider, c.task_type,
        c.risk, c.environment, c.input_tokens, c.cached_input_tokens, c.output_tokens, c.reasoning_tokens,
        c.latency_ms, c.status, c.error_type, c.retries, c.fallback_from, c.decision_id,
        c.reported_cost_usd, p.cost, p.source, c.repo,
        redact(c.prompt) if keep_text else "", redact(c.response) if keep_text else "",
        _metadata_redacted(c),
    )  # fmt: skip


def _metadata_redacted(call: ValidCall) -> str:
    # Metadata is stored for every team (it carries the repo, the pipeline,
    # the job), so its secrets are redacted whether or not prompts are kept.
    if not call.metadata:
        return call.metadata_json
    cleaned = redact_value(call.metadata)
    return (
        call.metadata_json
        if cleaned is call.metadata or cleaned == call.metadata
        else json.dumps(cleaned, separators=(",", ":"))
    )


# --- bulk insert -----------------------------------------------------------------------------

_TMP = "calls_ingest_tmp"
_COLS = ", ".join(CALL_COLUMNS)


def _insert_calls(rows: list[tuple]) -> set[str]:
    """Insert rows; return the call_ids actually inserted (the others were duplicates)."""
    if connection.vendor == "postgresql":
        return _insert_calls_postgres(rows)
    return _insert_calls_generic(rows)


def _insert_calls_postgres(rows: list[tuple]) -> set[str]:
    # COPY into a per-connection temporary table, then one statement that empties
    # it into calls_call: ON CONFLICT lets the unique index decide what is new, and
    # ORDER BY call_id makes racing batches take index locks in the same order.
    # The COPY is binary, so the server parses no text; metadata is staged as text
    # (already JSON) and becomes jsonb on the way in.
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "  # noqa: S608 - constant names
            f"SELECT {_STAGE_COLS} FROM calls_call WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {_STAGE} ({_COLS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_stage_types())
            for row in rows:
                copy.write_row(row)
        # Emptied by the same statement (not a TRUNCATE, which gives a temporary
        # table a new file), so a second batch in one transaction starts empty.
        cursor.execute(
            f"WITH staged AS (DELETE FROM {_STAGE} RETURNING *) "  # noqa: S608 - constant names
            f"INSERT INTO calls_call ({_COLS}) SELECT {_INSERT_COLS} FROM staged ORDER BY call_id "
            "ON CONFLICT (client_id, call_id) DO NOTHING RETURNING call_id"
        )
        return {r[0] for r in cursor.fetchall()}


_STAGE = "calls_ingest_stage"
_STAGE_COLS = ", ".join(
    "metadata::text AS metadata" if c == "metadata" else c for c in CALL_COLUMNS
)
_INSERT_COLS = ", ".join("metadata::jsonb" if c == "metadata" else c for c in CALL_COLUMNS)


@functools.cache
def _stage_types() -> list[str]:
    # The staged columns' PostgreSQL types, in the order of the rows: binary COPY
    # sends each value in its column's own format ("varchar(128)" as "varchar").
    fields = {f.attname: f for f in Call._meta.concrete_fields}
    return [
        "text"
        if name == "metadata"
        else (fields[name].db_type(connection) or "text").split("(")[0].strip()
        for name in CALL_COLUMNS
    ]


def _insert_calls_generic(rows: list[tuple]) -> set[str]:
    ops = connection.ops
    ts_index = {CALL_COLUMNS.index("timestamp"), CALL_COLUMNS.index("received_at")}
    dec_index = {CALL_COLUMNS.index("reported_cost_usd"), CALL_COLUMNS.index("cost_usd")}

    def adapt(row: tuple) -> tuple:
        return tuple(
            ops.adapt_datetimefield_value(v)
            if i in ts_index
            else ops.adapt_decimalfield_value(v, 20, 10)
            if i in dec_index and v is not None
            else v
            for i, v in enumerate(row)
        )

    placeholders = ", ".join(["%s"] * len(CALL_COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_TMP} AS SELECT {_COLS} FROM calls_call WHERE 0"  # noqa: S608
        )
        cursor.execute(f"DELETE FROM {_TMP}")  # noqa: S608
        cursor.executemany(
            f"INSERT INTO {_TMP} ({_COLS}) VALUES ({placeholders})",  # noqa: S608
            [adapt(r) for r in rows],
        )
        # "WHERE true" resolves SQLite's parsing ambiguity between a join and ON CONFLICT.
        cursor.execute(
            f"INSERT INTO calls_call ({_COLS}) SELECT {_COLS} FROM {_TMP} WHERE true ORDER BY call_id "  # noqa: S608
            "ON CONFLICT (client_id, call_id) DO NOTHING RETURNING call_id"
        )
        inserted = {r[0] for r in cursor.fetchall()}
        cursor.execute(f"DELETE FROM {_TMP}")  # noqa: S608
    return inserted


# --- roll-ups --------------------------------------------------------------------------------


def _sample(client: Client, p: _Priced) -> CallSample:
    c = p.call
    return CallSample(
        timestamp=c.timestamp, team_id=client.team_id, client_id=client.pk, model=c.model,
        task_type=c.task_type, environment=c.environment, status=c.status, risk=c.risk,
        input_tokens=c.input_tokens, cached_input_tokens=c.cached_input_tokens,
        output_tokens=c.output_tokens, reasoning_tokens=c.reasoning_tokens, latency_ms=c.latency_ms,
        retries=c.retries, fallback_from=c.fallback_from, cost_usd=p.cost, repo=c.repo,
    )  # fmt: skip


# --- re-pricing ------------------------------------------------------------------------------


def calls_reprice_request(*, model: str, reason: str = "") -> RepriceRun:
    """Re-price every stored call of `model` with the current catalog: one
    job, run by a worker once the current transaction commits."""
    run = RepriceRun.objects.create(model=model, reason=reason[:255])
    job_enqueue_on_commit(job=run)
    return run


def calls_reprice(*, model: str, reason: str = "", actor=None) -> RepriceRun:
    """Re-price `model`'s calls at once, in this process (commands, tests)."""
    run = RepriceRun.objects.create(model=model, reason=reason[:255])
    return calls_reprice_run(
        job_id=run.pk, holder=f"inline-{run.pk}", seconds=math.inf, actor=actor
    )


def calls_reprice_run(
    *, job_id: int, holder: str, seconds: float | None = None, actor=None
) -> RepriceRun:
    """Price the run's calls again, in batches from the last call id done, and
    move the roll-ups by the difference. Each batch is its own transaction
    with the checkpoint, so ingestion is never blocked for long and a run
    resumed after a lost worker neither skips nor repeats a call."""
    book = price_book()

    def start(run: RepriceRun) -> None:
        run.total = Call.objects.filter(model=run.model).count()

    def batch(run: RepriceRun) -> bool:
        last_id, examined, changed = _reprice_batch(
            book=book, model=run.model, after_id=run.checkpoint.get("last_id", 0)
        )
        run.checkpoint = {**run.checkpoint, "last_id": last_id}
        run.done += examined
        run.calls_repriced += changed
        return examined < settings.GOVERNOR_REPRICE_BATCH

    def finish(run: RepriceRun) -> None:
        run.total = max(run.total, run.done)
        run.calls_still_unpriced = Call.objects.filter(
            model=run.model, price_source=Source.UNPRICED
        ).count()
        audit_record(
            action="calls.reprice",
            target=run,
            actor=actor,
            reason=run.reason,
            after={
                "model": run.model,
                "calls_repriced": run.calls_repriced,
                "calls_still_unpriced": run.calls_still_unpriced,
            },
        )
        logger.info(
            "calls.repriced",
            extra={
                "model": run.model,
                "repriced": run.calls_repriced,
                "still_unpriced": run.calls_still_unpriced,
            },
        )

    return job_work(
        model=RepriceRun,
        job_id=job_id,
        holder=holder,
        batch=batch,
        start=start,
        finish=finish,
        seconds=seconds,
    )


def _reprice_batch(*, book: PriceBook, model: str, after_id: int) -> tuple[int, int, int]:
    """Re-price the next batch of `model`'s calls after `after_id`, inside the
    caller's transaction: (last id examined, calls examined, calls changed)."""
    batch = list(
        Call.objects.select_for_update()
        .filter(model=model, pk__gt=after_id)
        .order_by("pk")[: settings.GOVERNOR_REPRICE_BATCH]
    )
    if not batch:
        return after_id, 0, 0
    changed: list[Call] = []
    before: list[Call] = []
    costs: dict[int, tuple[Decimal | None, Decimal | None]] = {}
    for call in batch:
        cost, source = book.price_call(call)
        if cost == call.cost_usd and source == call.price_source:
            continue
        before.append(copy.copy(call))
        costs[call.pk] = (call.cost_usd, cost)
        call.cost_usd, call.price_source = cost, source
        changed.append(call)
    if changed:
        Call.objects.bulk_update(changed, ["cost_usd", "price_source"])
        # Every roll-up moves by the difference, and so does the cost per
        # passing test of runs linked to these calls (quality listens).
        rollups_calls_repriced(calls_old=before, calls_new=changed, changes=costs)
    return batch[-1].pk, len(batch), len(changed)


def calls_purge_request(*, older_than: datetime) -> PurgeRun | None:
    """The retention job for calls before `older_than`: the unfinished one if
    there is one (it carries on), else a new one when any call is that old."""
    with transaction.atomic():
        current = (
            PurgeRun.objects.select_for_update()
            .filter(status__in=(JobStatus.PENDING, JobStatus.RUNNING))
            .order_by("created_at")
            .first()
        )
        if current is not None:
            return current
        if not Call.objects.filter(timestamp__lt=older_than).exists():
            return None
        return PurgeRun.objects.create(older_than=older_than)


def calls_purge(
    *, older_than: datetime, batch_size: int = 2000, max_batches: int | None = None
) -> int:
    """Delete calls before `older_than` at once, in this process (commands,
    tests); returns how many. `max_batches` stops early (the job stays
    unfinished, to be carried on)."""
    run = calls_purge_request(older_than=older_than)
    if run is None:
        return 0
    before = run.done
    run = calls_purge_run(
        job_id=run.pk,
        holder=f"inline-{run.pk}",
        batch_size=batch_size,
        seconds=math.inf,
        max_batches=max_batches,
    )
    return run.done - before


def calls_purge_run(
    *,
    job_id: int,
    holder: str,
    batch_size: int,
    seconds: float | None = None,
    max_batches: int | None = None,
) -> PurgeRun:
    """Delete the run's calls, oldest first; their roll-ups stay, except the
    cost they gave test runs linked to them: the links lose their call
    (SET_NULL) and the quality roll-up follows, so that cost per passing test
    stays what the stored runs and calls say.

    In batches of `batch_size` rows, each in its own short transaction with
    the checkpoint, so the table is never locked for long, ingestion carries
    on meanwhile, and a run resumed after a lost worker counts every call
    once. One audit event records the run when it ends.
    """

    def start(run: PurgeRun) -> None:
        run.total = Call.objects.filter(timestamp__lt=run.older_than).count()

    def batch(run: PurgeRun) -> bool:
        # Oldest first, by the (timestamp) index; ids then delete by key.
        # Locked: their linked cost leaves the quality roll-up before they go.
        rows = list(
            Call.objects.select_for_update()
            .filter(timestamp__lt=run.older_than)
            .order_by("timestamp", "id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if rows:
            rollups_calls_deleted(call_ids=rows)
            Call.objects.filter(pk__in=rows).delete()
            run.checkpoint = {**run.checkpoint, "last_id": rows[-1]}
            run.done += len(rows)
            transaction.on_commit(lambda: CALLS_PURGED.inc(len(rows)))
        return len(rows) < batch_size

    def finish(run: PurgeRun) -> None:
        run.total = max(run.total, run.done)
        audit_record(
            action="calls.purge",
            target=run,
            actor="system:retention",
            after={"deleted": run.done, "older_than": run.older_than.isoformat()},
        )
        logger.info(
            "calls.purged",
            extra={"deleted": run.done, "older_than": run.older_than.isoformat()},
        )

    return job_work(
        model=PurgeRun,
        job_id=job_id,
        holder=holder,
        batch=batch,
        start=start,
        finish=finish,
        seconds=seconds,
        max_batches=max_batches,
    )
