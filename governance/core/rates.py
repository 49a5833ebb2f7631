"""Rate strings ('600/min'), parsed once. Plain Python: settings validates with it."""

from __future__ import annotations

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """'600/min' -> (600, 60). Raises ValueError naming the bad part."""
    count, _, period = rate.partition("/")
    if not count.strip().isdigit() or int(count) < 1:
        raise ValueError(f"rate {rate!r}: the request count must be a positive integer")
    seconds = _PERIODS.get(period.strip().lower())
    if seconds is None:
        raise ValueError(f"rate {rate!r}: the period must be one of {sorted(_PERIODS)}")
    return int(count), seconds
