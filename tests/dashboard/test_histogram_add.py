"""rollups_cost_histogram_add, the function the ingestion path calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.dashboard.models import CostHistogramRollup
from governance.dashboard.services import rollups_cost_histogram_add
from tests.accounts.factories import ClientFactory
from tests.dashboard.conftest import NOW
from tests.dashboard.factories import make_call

pytestmark = pytest.mark.django_db


def test_histogram_add__two_batches_in_one_bucket__counts_add_up_and_max_is_kept():
    client = ClientFactory()
    first = [
        make_call(client=client, timestamp=NOW, cost="0.0101"),
        make_call(client=client, timestamp=NOW, cost="0.0102"),
    ]
    second = [make_call(client=client, timestamp=NOW, cost="0.0100")]

    rollups_cost_histogram_add(calls=first)
    rollups_cost_histogram_add(calls=second)

    (cell,) = CostHistogramRollup.objects.all()
    assert cell.calls == 3
    assert cell.cost_usd == Decimal("0.0303")
    assert cell.max_cost_usd == Decimal("0.0102")


def test_histogram_add__unpriced_calls__not_counted():
    client = ClientFactory()

    touched = rollups_cost_histogram_add(calls=[make_call(client=client, timestamp=NOW, cost=None)])

    assert touched == 0
    assert not CostHistogramRollup.objects.exists()
