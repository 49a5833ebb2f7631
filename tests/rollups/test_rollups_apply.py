"""rollups_apply, the one path by which calls enter or leave the roll-ups."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.rollups.models import CostHistogramRollup, DailyRollup
from governance.rollups.services import CallSample, rollups_apply
from tests.accounts.factories import ClientFactory
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db


def _sample(client, cost):
    team = client.team
    return CallSample(
        timestamp=NOW, team_id=team.pk, client_id=client.pk, model="gpt-5-codex", task_type="review",
        environment="ci", status="ok", risk="low", input_tokens=1000, cached_input_tokens=0,
        output_tokens=100, reasoning_tokens=0, latency_ms=None, retries=0, fallback_from="",
        cost_usd=Decimal(cost) if cost is not None else None,
    )  # fmt: skip


def test_rollups_apply__two_batches_in_one_bucket__counts_add_up_and_max_is_kept():
    client = ClientFactory()

    rollups_apply(sign=1, calls=[_sample(client, "0.0101"), _sample(client, "0.0102")])
    rollups_apply(sign=1, calls=[_sample(client, "0.0100")])

    (cell,) = CostHistogramRollup.objects.all()
    assert cell.calls == 3
    assert cell.cost_usd_e10 == 303_000_000
    assert cell.max_cost_usd_e10 == 102_000_000


def test_rollups_apply__unpriced_call__counted_as_a_call_but_not_in_the_histogram():
    rollups_apply(sign=1, calls=[_sample(ClientFactory(), None)])

    (day,) = DailyRollup.objects.all()
    assert (day.calls, day.unpriced_calls, day.cost_usd_e10) == (1, 1, 0)
    assert not CostHistogramRollup.objects.exists()


def test_rollups_apply__repriced_call__old_price_taken_away_new_one_counted():
    client = ClientFactory()
    old, new = _sample(client, "0.0100"), _sample(client, "0.0500")
    rollups_apply(sign=1, calls=[old])

    rollups_apply(calls=[old], sign=-1)
    rollups_apply(sign=1, calls=[new])

    (day,) = DailyRollup.objects.all()
    assert (day.calls, day.cost_usd_e10) == (1, 500_000_000)
    counts = dict(CostHistogramRollup.objects.values_list("bin", "calls"))
    assert sorted(counts.values()) == [0, 1]
