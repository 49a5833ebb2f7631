"""The cost buckets of the cost-per-call histogram."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from governance.rollups import histogram


def test_cost_bin__zero_cost__bucket_zero():
    assert histogram.cost_bin(Decimal(0)) == 0


def test_cost_bin__edges__a_decade_is_ten_buckets():
    assert histogram.cost_bin(Decimal("0.000001")) == 1
    assert histogram.cost_bin(Decimal("0.00001")) == 11
    assert histogram.cost_bin(Decimal("0.01")) == 41


def test_cost_bin__huge_cost__last_bucket():
    assert histogram.cost_bin(Decimal("1000000")) == histogram.MAX_BIN


@given(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("999"), places=10))
def test_cost_bin__any_cost__lies_inside_its_bucket(cost):
    k = histogram.cost_bin(cost)
    assert (
        histogram.bin_lower(k) <= cost.quantize(Decimal("0.0000000001")) <= histogram.bin_upper(k)
    )


def test_percentile_bin__nearest_rank():
    counts = {3: 50, 7: 45, 9: 5}
    assert histogram.percentile_bin(counts, Decimal("0.5")) == 3
    assert histogram.percentile_bin(counts, Decimal("0.95")) == 7
    assert histogram.percentile_bin(counts, Decimal("0.96")) == 9
    assert histogram.percentile_bin({}, Decimal("0.5")) is None
