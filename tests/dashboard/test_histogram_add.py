"""rollups_dashboard_add, the function the ingestion path calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.dashboard.services import DashboardSample, rollups_dashboard_add
from governance.rollups.models import CostHistogramRollup, DailyRollup
from tests.accounts.factories import ClientFactory
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db


def _sample(client, cost):
    team = client.team
    return DashboardSample(
        timestamp=NOW, team_id=team.pk, client_id=client.pk, model="gpt-5-codex", task_type="review",
        environment="ci", cost_usd=Decimal(cost) if cost is not None else None,
    )  # fmt: skip


def test_histogram_add__two_batches_in_one_bucket__counts_add_up_and_max_is_kept():
    client = ClientFactory()

    rollups_dashboard_add(calls=[_sample(client, "0.0101"), _sample(client, "0.0102")])
    rollups_dashboard_add(calls=[_sample(client, "0.0100")])

    (cell,) = CostHistogramRollup.objects.all()
    assert cell.calls == 3
    assert cell.cost_usd_e10 == 303_000_000
    assert cell.max_cost_usd_e10 == 102_000_000


def test_histogram_add__unpriced_call__counted_as_a_call_but_not_in_the_histogram():
    rollups_dashboard_add(calls=[_sample(ClientFactory(), None)])

    (day,) = DailyRollup.objects.all()
    assert (day.calls, day.unpriced_calls, day.cost_usd_e10) == (1, 1, 0)
    assert not CostHistogramRollup.objects.exists()


def test_dashboard_add__repriced_call__old_price_taken_away_new_one_counted():
    client = ClientFactory()
    old, new = _sample(client, "0.0100"), _sample(client, "0.0500")
    rollups_dashboard_add(calls=[old])

    rollups_dashboard_add(calls=[old], sign=-1)
    rollups_dashboard_add(calls=[new])

    (day,) = DailyRollup.objects.all()
    assert (day.calls, day.cost_usd_e10) == (1, 500_000_000)
    counts = dict(CostHistogramRollup.objects.values_list("bin", "calls"))
    assert sorted(counts.values()) == [0, 1]
