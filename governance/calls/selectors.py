"""Reads of calls. Pages and charts read the roll-ups; only the call list
and exports read raw calls, always by an indexed range."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from governance.calls.models import CALL_DIMENSIONS, Call


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
