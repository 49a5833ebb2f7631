"""Writes of the roll-ups: the one path by which calls enter (or leave) every
call-level aggregate, and the hooks by which other aggregates hear of it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, TypeAlias

from django.db import transaction

from governance.calls.selectors import calls_in_range
from governance.catalog.pricing import usd_to_e10
from governance.rollups.histogram import cost_bin
from governance.rollups.models import (
    MEASURES,
    CallRollup,
    CostHistogramRollup,
    DailyRollup,
    RepoRollup,
    TeamHourRollup,
)
from governance.rollups.upsert import rollup_upsert, statements_pipelined

if TYPE_CHECKING:
    from governance.calls.models import Call


@dataclass(slots=True)
class CallSample:
    """What the roll-ups read of a call, for callers that hold no Call
    instance yet (ingestion, before the rows exist). A stored Call has the
    same attributes, so either can be applied."""

    timestamp: datetime
    team_id: int
    client_id: int
    model: str
    task_type: str
    environment: str
    status: str
    risk: str
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    latency_ms: int | None
    retries: int
    fallback_from: str
    cost_usd: Decimal | None
    repo: str = ""


_measures_of = attrgetter(*MEASURES)


CallFacts: TypeAlias = "CallSample | Call"


class Measures:
    """The running sums of one roll-up cell, one attribute per column of
    CallMeasures. The only place a call is turned into measures."""

    __slots__ = MEASURES
    calls: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd_e10: int
    unpriced_calls: int
    error_calls: int
    latency_ms_sum: int
    latency_count: int
    retries: int
    fallback_calls: int
    fallback_cost_usd_e10: int

    def __init__(self) -> None:
        for name in MEASURES:
            setattr(self, name, 0)

    def call_add(self, call: CallFacts, cost_e10: int, sign: int) -> None:
        self.calls += sign
        self.input_tokens += sign * call.input_tokens
        self.cached_input_tokens += sign * call.cached_input_tokens
        self.output_tokens += sign * call.output_tokens
        self.reasoning_tokens += sign * call.reasoning_tokens
        self.cost_usd_e10 += sign * cost_e10
        if call.cost_usd is None:
            self.unpriced_calls += sign
        if call.status != "ok":
            self.error_calls += sign
        if call.latency_ms is not None:
            self.latency_ms_sum += sign * call.latency_ms
            self.latency_count += sign
        self.retries += sign * call.retries
        if call.fallback_from:
            self.fallback_calls += sign
            self.fallback_cost_usd_e10 += sign * cost_e10

    def merge(self, other: Measures) -> None:
        for name in MEASURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def values(self) -> tuple[int, ...]:
        return _measures_of(self)


class _Spend:
    """What budgets (per team and hour) and the repository table count."""

    __slots__ = ("calls", "tokens", "cost_usd_e10")

    def __init__(self) -> None:
        self.calls = self.tokens = self.cost_usd_e10 = 0


class _Bin:
    """One cost-histogram cell: its calls, their cost and the largest one."""

    __slots__ = ("calls", "cost_usd_e10", "max_cost_usd_e10")

    def __init__(self) -> None:
        self.calls = self.cost_usd_e10 = self.max_cost_usd_e10 = 0


CALL_KEY = ("bucket", "team_id", "client_id", "model", "task_type", "environment", "status", "risk")
DAILY_KEY = ("bucket", "team_id", "client_id", "model", "task_type", "environment")


def _hour(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def rollups_apply(*, calls: Iterable[CallFacts], sign: int) -> int:
    """Count calls into every call-level roll-up (sign=1), or take them out
    (sign=-1, re-pricing takes the old prices out before adding the new).

    Call it inside the transaction that writes the calls, with exactly the
    calls written (not the duplicates a retried batch skipped), so that the
    roll-ups stay what the stored calls sum to. Each call is read once into
    its hourly cell; the coarser tables are sums of those cells. Sums move
    exactly either way; a histogram cell's max cannot be taken back and may
    stay at a removed price until `rollups_rebuild`. Returns the calls counted.
    """
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    hourly: dict[tuple, Measures] = {}
    bins: dict[tuple, _Bin] = {}
    repos: dict[tuple, _Spend] = {}
    counted = 0
    for call in calls:
        counted += 1
        hour = _hour(call.timestamp)
        cost = call.cost_usd
        cost_e10 = 0 if cost is None else usd_to_e10(cost)
        key = (hour, call.team_id, call.client_id, call.model, call.task_type, call.environment,
               call.status, call.risk)  # fmt: skip
        cell = hourly.get(key)
        if cell is None:
            cell = hourly[key] = Measures()
        cell.call_add(call, cost_e10, sign)
        if cost is not None:
            hist = bins.get(
                hist_key := (hour.replace(hour=0), call.team_id, call.model, cost_bin(cost))
            )
            if hist is None:
                hist = bins[hist_key] = _Bin()
            hist.calls += sign
            hist.cost_usd_e10 += sign * cost_e10
            # Only an addition can raise the stored max (the upsert keeps the larger).
            if sign > 0 and cost_e10 > hist.max_cost_usd_e10:
                hist.max_cost_usd_e10 = cost_e10
        if call.repo:
            repo = repos.get(repo_key := (hour.date(), call.team_id, call.repo))
            if repo is None:
                repo = repos[repo_key] = _Spend()
            repo.calls += sign
            repo.cost_usd_e10 += sign * cost_e10
    if not counted:
        return 0
    daily: dict[tuple, Measures] = {}
    team_hours: dict[tuple, _Spend] = {}
    for (
        hour,
        team_id,
        client_id,
        model,
        task_type,
        environment,
        _status,
        _risk,
    ), cell in hourly.items():
        day = daily.get(
            day_key := (hour.replace(hour=0), team_id, client_id, model, task_type, environment)
        )
        if day is None:
            day = daily[day_key] = Measures()
        day.merge(cell)
        spend = team_hours.get(spend_key := (hour, team_id))
        if spend is None:
            spend = team_hours[spend_key] = _Spend()
        spend.calls += cell.calls
        # What a token budget counts: input (cached included) plus output (reasoning included).
        spend.tokens += cell.input_tokens + cell.output_tokens
        spend.cost_usd_e10 += cell.cost_usd_e10
    # No savepoint: a failed upsert fails the caller's transaction anyway. On
    # PostgreSQL the statements go in one pipeline: one round trip, not five.
    with transaction.atomic(savepoint=False), statements_pipelined():
        rollup_upsert(
            table=CallRollup._meta.db_table,
            key_cols=CALL_KEY,
            sum_cols=MEASURES,
            cells={key: cell.values() for key, cell in hourly.items()},
        )
        rollup_upsert(
            table=DailyRollup._meta.db_table,
            key_cols=DAILY_KEY,
            sum_cols=MEASURES,
            cells={key: cell.values() for key, cell in daily.items()},
        )
        rollup_upsert(
            table=TeamHourRollup._meta.db_table,
            key_cols=("bucket", "team_id"),
            sum_cols=_Spend.__slots__,
            cells={key: (s.calls, s.tokens, s.cost_usd_e10) for key, s in team_hours.items()},
        )
        rollup_upsert(
            table=RepoRollup._meta.db_table,
            key_cols=("day", "team_id", "repo"),
            sum_cols=("calls", "cost_usd_e10"),
            cells={key: (r.calls, r.cost_usd_e10) for key, r in repos.items()},
        )
        rollup_upsert(
            table=CostHistogramRollup._meta.db_table,
            key_cols=("bucket", "team_id", "model", "bin"),
            sum_cols=("calls", "cost_usd_e10"),
            max_cols=("max_cost_usd_e10",),
            cells={key: (b.calls, b.cost_usd_e10, b.max_cost_usd_e10) for key, b in bins.items()},
        )
    return counted


def _day_start(value: datetime | date) -> datetime:
    day = value.astimezone(UTC).date() if isinstance(value, datetime) else value
    return datetime.combine(day, time.min, tzinfo=UTC)


def rollups_rebuild(*, start: datetime, end: datetime, chunk_size: int = 5000) -> int:
    """Recompute every call-level roll-up for the whole UTC days from `start`
    to before `end` from the stored calls (data loaded around the ingestion
    path, or a histogram max left by a re-pricing). Roll-ups of calls that
    retention has deleted are lost for those days. Returns the calls counted."""
    start, end = _day_start(start), _day_start(end)
    counted = 0
    with transaction.atomic():
        for rollup in (CallRollup, DailyRollup, TeamHourRollup, CostHistogramRollup):
            rollup.objects.filter(bucket__gte=start, bucket__lt=end).delete()
        RepoRollup.objects.filter(day__gte=start.date(), day__lt=end.date()).delete()
        batch: list[CallFacts] = []
        for call in calls_in_range(start=start, end=end).iterator(chunk_size=chunk_size):
            batch.append(call)
            if len(batch) >= chunk_size:
                counted += rollups_apply(calls=batch, sign=1)
                batch = []
        counted += rollups_apply(calls=batch, sign=1)
    return counted


# ---------------------------------------------------------------- hooks

# {call pk: (old cost, new cost)}, None meaning unpriced.
PriceChanges = dict[int, tuple[Decimal | None, Decimal | None]]
# Listeners take keyword arguments: changes=PriceChanges, and call_ids=[pk, ...].
_on_repriced: list[Callable[..., None]] = []
_on_deleted: list[Callable[..., None]] = []


def rollups_listen(
    *,
    repriced: Callable[..., None] | None = None,
    deleted: Callable[..., None] | None = None,
) -> None:
    """Register an aggregate kept outside this app that counts calls' cost
    (quality's, by the test runs linked to calls): it is told of re-priced
    and deleted calls inside the transaction that changes them, with the
    calls locked. Register once, from an AppConfig.ready()."""
    if repriced is not None and repriced not in _on_repriced:
        _on_repriced.append(repriced)
    if deleted is not None and deleted not in _on_deleted:
        _on_deleted.append(deleted)


def rollups_calls_repriced(*, calls_old: Sequence[CallFacts], calls_new: Sequence[CallFacts],
                           changes: PriceChanges) -> None:  # fmt: skip
    """Move every roll-up from the calls' old prices to their new ones, and
    tell the registered listeners. Inside the re-pricing transaction."""
    rollups_apply(calls=calls_old, sign=-1)
    rollups_apply(calls=calls_new, sign=1)
    for listener in _on_repriced:
        listener(changes=changes)


def rollups_calls_deleted(*, call_ids: Sequence[int]) -> None:
    """Retention is about to delete these calls (locked by the caller). The
    call-level roll-ups keep them: they outlive the raw calls on purpose, so
    that a year of spend stays on the pages after the calls are gone. The
    registered listeners, whose aggregates follow the stored calls, are told."""
    for listener in _on_deleted:
        listener(call_ids=call_ids)
