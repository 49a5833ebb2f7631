"""The dashboard's demo loader: safe to run again."""

from __future__ import annotations

import io
import random

import pytest

from governance.dashboard import demo
from governance.dashboard.models import CostHistogramRollup, DailyRollup
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db


def test_demo_load__run_twice__same_rollups(org):
    def snapshot():
        return (
            sorted(
                DailyRollup.objects.values_list(
                    "bucket", "client_id", "model", "task_type", "calls", "cost_usd_e10"
                )
            ),
            sorted(
                CostHistogramRollup.objects.values_list(
                    "bucket", "team_id", "model", "bin", "calls"
                )
            ),
        )

    before = snapshot()
    demo.load(rng=random.Random(7), now=NOW, out=io.StringIO())
    demo.load(rng=random.Random(7), now=NOW, out=io.StringIO())

    assert snapshot() == before
    assert sum(row[4] for row in before[0]) == 32
