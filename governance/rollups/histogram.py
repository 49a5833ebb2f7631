"""The fixed, log-spaced cost buckets of the cost-per-call histogram.

Plain Python (no Django): the ingestion path, the selectors and the benchmark
loader all place a cost in a bucket with these functions, so they agree.

Bucket 0 holds calls that cost nothing; bucket k >= 1 holds costs in
[MIN_COST * 10^((k-1)/10), MIN_COST * 10^(k/10)), with everything below
MIN_COST in bucket 1 and everything above the last edge in MAX_BIN.
"""

from __future__ import annotations

import bisect
from decimal import Decimal

MIN_COST = Decimal("0.000001")
BINS_PER_DECADE = 10
DECADES = 9  # up to $1,000 for one call
MAX_BIN = BINS_PER_DECADE * DECADES
_Q = Decimal("0.0000000001")


# The upper edge of every bucket but the last. Placing a cost is a bisect
# over these rather than a Decimal.log10: ingestion places every call.
_UPPER_EDGES = [MIN_COST * Decimal(10) ** (Decimal(k) / BINS_PER_DECADE) for k in range(1, MAX_BIN)]


def cost_bin(cost: Decimal) -> int:
    if cost <= 0:
        return 0
    return bisect.bisect_right(_UPPER_EDGES, cost) + 1


def bin_lower(k: int) -> Decimal:
    if k <= 0:
        return Decimal(0)
    return (MIN_COST * Decimal(10) ** (Decimal(k - 1) / BINS_PER_DECADE)).quantize(_Q)


def bin_upper(k: int) -> Decimal:
    if k <= 0:
        return Decimal(0)
    return (MIN_COST * Decimal(10) ** (Decimal(k) / BINS_PER_DECADE)).quantize(_Q)


def bin_estimate(k: int) -> Decimal:
    """The value reported for a percentile that falls in bucket k: the
    geometric middle of the bucket, at most ~13 % from any cost in it."""
    if k <= 0:
        return Decimal(0)
    return (MIN_COST * Decimal(10) ** ((Decimal(k) - Decimal("0.5")) / BINS_PER_DECADE)).quantize(
        _Q
    )


def percentile_bin(counts: dict[int, int], q: Decimal) -> int | None:
    """The bucket holding the q-th quantile (0 < q <= 1) of a histogram
    {bucket: count}, by the nearest-rank definition."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, int((q * total).to_integral_value(rounding="ROUND_CEILING")))
    seen = 0
    for k in sorted(counts):
        seen += counts[k]
        if seen >= rank:
            return k
    return max(counts)
