"""The dashboard's filter bar: the URL's query string <-> a RollupFilter.

Every page reads the same parameters (start, end or range, team, model,
task_type, environment), so a link copied from one page opens the same view
on another. Bad values are a 400 that names the parameter, never a 500.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.utils import timezone

from governance.dashboard.selectors import RollupFilter

RANGES = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_RANGE = "30d"
MAX_DAYS = 400
_MULTI = {"team": 64, "model": 128, "task_type": 64, "environment": 8}


class FilterError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _get_list(query, key: str) -> list[str]:
    if hasattr(query, "getlist"):
        values = query.getlist(key)
    else:
        raw = query.get(key, [])
        values = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return out


def _date(query, key: str) -> date | None:
    raw = query.get(key)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise FilterError(key, "must be a date such as 2026-11-01") from None


def filter_from_query(query, *, today: date | None = None) -> RollupFilter:
    """Parse a QueryDict (or a plain dict) into a RollupFilter."""
    today = today or timezone.now().date()
    start, end = _date(query, "start"), _date(query, "end")
    range_key = query.get("range") or ""
    if range_key and range_key not in RANGES and range_key != "mtd":
        raise FilterError("range", f"must be one of {', '.join([*RANGES, 'mtd'])}")
    if start is None and end is None:
        if range_key == "mtd":
            start, end = today.replace(day=1), today
        else:
            end = today
            start = today - timedelta(days=RANGES[range_key or DEFAULT_RANGE] - 1)
    elif start is None or end is None:
        raise FilterError(
            "start" if start is None else "end", "give both start and end, or neither"
        )
    if end < start:
        raise FilterError("end", "must not be before start")
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError("start", f"a range may cover at most {MAX_DAYS} days")
    lists = {}
    for key, max_len in _MULTI.items():
        values = _get_list(query, key)
        if any(len(v) > max_len for v in values):
            raise FilterError(key, f"values are at most {max_len} characters")
        lists[key] = tuple(sorted(set(values)))
    return RollupFilter(
        start=start,
        end=end,
        teams=lists["team"],
        models=lists["model"],
        task_types=lists["task_type"],
        environments=lists["environment"],
    )


def filter_querystring(filters: RollupFilter, **extra: str) -> str:
    query = filters.as_query()
    query.update(extra)
    return urlencode(query, doseq=True)
