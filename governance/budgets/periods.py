"""Budget periods in a time zone, as UTC instants (no Django).

Spend is summed from hourly roll-up buckets, each keyed by the start of a UTC
hour. A bucket counts towards a period when its start lies inside the period.
For zones whose offset is a whole number of hours (almost all) that is exact;
in zones with a half- or quarter-hour offset (Asia/Kolkata, Australia/Adelaide,
Asia/Kathmandu) a period boundary falls inside a bucket, and the calls of that
one straddling hour count wholly towards the period that holds the bucket's
start. Periods there are approximate by at most one hour at each end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class PeriodBounds:
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # Midnight may not exist on a DST day in a few zones; fold=0 and the
    # normalisation through UTC pick the first instant of the local day.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_bounds(*, period: str, tz: str, now: datetime) -> PeriodBounds:
    """The period of kind `period` ('day', 'week', 'month') in zone `tz` that holds `now`."""
    zone = ZoneInfo(tz)
    local_day = now.astimezone(zone).date()
    if period == "day":
        first, following = local_day, local_day + timedelta(days=1)
    elif period == "week":
        first = local_day - timedelta(days=local_day.weekday())
        following = first + timedelta(days=7)
    elif period == "month":
        first = local_day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown period {period!r}")
    return PeriodBounds(start=_local_midnight(first, zone), end=_local_midnight(following, zone))
