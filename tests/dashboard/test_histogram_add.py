"""rollups_cost_histogram_add, the function the ingestion path calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.dashboard.models import CostHistogramRollup
from governance.dashboard.services import CostSample, rollups_cost_histogram_add
from tests.accounts.factories import TeamFactory
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db


def _sample(team, cost):
    return CostSample(
        timestamp=NOW, team_id=team.pk, model="gpt-5-codex", task_type="review", environment="ci",
        cost_usd=Decimal(cost) if cost is not None else None,
    )  # fmt: skip


def test_histogram_add__two_batches_in_one_bucket__counts_add_up_and_max_is_kept():
    team = TeamFactory()

    rollups_cost_histogram_add(calls=[_sample(team, "0.0101"), _sample(team, "0.0102")])
    rollups_cost_histogram_add(calls=[_sample(team, "0.0100")])

    (cell,) = CostHistogramRollup.objects.all()
    assert cell.calls == 3
    assert cell.cost_usd_e10 == 303_000_000
    assert cell.max_cost_usd_e10 == 102_000_000


def test_histogram_add__unpriced_calls__not_counted():
    touched = rollups_cost_histogram_add(calls=[_sample(TeamFactory(), None)])

    assert touched == 0
    assert not CostHistogramRollup.objects.exists()
