"""Reads of calls. Pages and charts read the roll-ups; only the call list
and exports read raw calls, always by an indexed range."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from governance.calls.models import CALL_DIMENSIONS, Call, Status


def calls_list(
    *,
    team_ids: list[int] | None,
    since: datetime | None = None,
    until: datetime | None = None,
    model: str | None = None,
    task_type: str | None = None,
    status: str | None = None,
) -> QuerySet[Call]:
    """Calls newest first; `team_ids=None` means every team (managers and admins)."""
    qs = Call.objects.all()
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    if since is not None:
        qs = qs.filter(timestamp__gte=since)
    if until is not None:
        qs = qs.filter(timestamp__lt=until)
    if model:
        qs = qs.filter(model=model)
    if task_type:
        qs = qs.filter(task_type=task_type)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("team", "client").order_by("-timestamp", "-id")


def _calls_between(*, start: datetime, end: datetime, team_id: int | None) -> QuerySet[Call]:
    calls = Call.objects.filter(timestamp__gte=start, timestamp__lt=end)
    return calls if team_id is None else calls.filter(team_id=team_id)


def calls_tokens(*, start: datetime, end: datetime, team_id: int | None) -> int:
    """Input plus output tokens of the calls with start <= timestamp < end."""
    calls = _calls_between(start=start, end=end, team_id=team_id)
    return calls.aggregate(total=Coalesce(Sum(F("input_tokens") + F("output_tokens")), 0))["total"]


def calls_cost(*, start: datetime, end: datetime, team_id: int | None) -> Decimal:
    """The exact cost of the priced calls with start <= timestamp < end,
    summed here: SQLite would add the decimals as floats."""
    calls = _calls_between(start=start, end=end, team_id=team_id)
    return sum((c for c in calls.values_list("cost_usd", flat=True) if c is not None), Decimal(0))


@dataclass(frozen=True)
class CallOutcomes:
    """How the calls of one model and team in a window ended, with their latencies."""

    model: str
    team_id: int
    calls: int
    errors: int
    timeouts: int
    latencies: list[int]


def call_outcomes(*, since: datetime, until: datetime, models: list[str]) -> list[CallOutcomes]:
    """Calls of `models` with since <= timestamp <= until, per model and team:
    two queries, the counts and every reported latency (for percentiles)."""
    calls = Call.objects.filter(timestamp__gte=since, timestamp__lte=until, model__in=models)
    rows = calls.values("model", "team_id").annotate(
        n=Count("id"),
        errors=Count("id", filter=Q(status=Status.ERROR)),
        timeouts=Count("id", filter=Q(status=Status.TIMEOUT)),
    )
    latencies: dict[tuple[str, int], list[int]] = {}
    for model, team_id, latency in calls.filter(latency_ms__isnull=False).values_list(
        "model", "team_id", "latency_ms"
    ):
        if latency is not None:  # filtered out above; for the type checker
            latencies.setdefault((model, team_id), []).append(latency)
    return [
        CallOutcomes(
            model=r["model"],
            team_id=r["team_id"],
            calls=r["n"],
            errors=r["errors"],
            timeouts=r["timeouts"],
            latencies=latencies.get((r["model"], r["team_id"]), []),
        )  # fmt: skip
        for r in rows
    ]


def calls_all() -> QuerySet[Call]:
    """Every stored call, unordered: the start of a filtered read (exports)."""
    return Call.objects.all()


def calls_in_range(*, start: datetime, end: datetime) -> QuerySet[Call]:
    """Calls with start <= timestamp < end, by the (timestamp) index, with only
    the fields the roll-ups read: for rebuilding them."""
    return (
        Call.objects.filter(timestamp__gte=start, timestamp__lt=end)
        .only(
            "timestamp",
            *CALL_DIMENSIONS,
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "reasoning_tokens",
            "latency_ms",
            "retries",
            "fallback_from",
            "cost_usd",
            "repo",
        )  # fmt: skip
        .order_by("pk")
    )


def call_pks(*, client_id: int, call_ids: Iterable[str]) -> dict[str, int]:
    """{call id: pk} of the named calls of one client that are logged."""
    return dict(
        Call.objects.filter(client_id=client_id, call_id__in=list(call_ids)).values_list(
            "call_id", "pk"
        )
    )


def calls_named(*, client_id, call_id) -> QuerySet[Call]:
    """The call a (client, call id) names: values or outer references, for an
    `Exists` in another app's query."""
    return Call.objects.filter(client_id=client_id, call_id=call_id)


def calls_locked(
    *, client_ids: Iterable[int], call_ids: Iterable[str]
) -> dict[tuple[int, str], tuple[int, Decimal | None]]:
    """{(client id, call id): (pk, cost)} of the named calls, locked FOR
    UPDATE in pk order until the transaction ends: their price (or
    existence) cannot change before the caller commits what it read."""
    return {
        (client_id, call_id): (pk, cost)
        for pk, client_id, call_id, cost in Call.objects.select_for_update()
        .filter(client_id__in=set(client_ids), call_id__in=set(call_ids))
        .order_by("pk")
        .values_list("pk", "client_id", "call_id", "cost_usd")
    }
