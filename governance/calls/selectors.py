"""Reads of calls. Pages and charts read the roll-ups; only the call list
and exports read raw calls, always by an indexed range."""

from __future__ import annotations

from datetime import datetime

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
