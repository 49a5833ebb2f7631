"""The demo looks like a real quarter: ninety days of calls, growing, so the
month-over-month comparison and the forecasts have history."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.accounts import demo as accounts_demo
from governance.budgets import demo as budgets_demo
from governance.budgets.models import Budget
from governance.calls import demo as calls_demo
from governance.calls.models import Call

pytestmark = pytest.mark.django_db


def test_demo__loaded__a_quarter_of_growing_calls_and_round_realistic_budgets(client, manager_user):
    now = timezone.now()
    out = io.StringIO()
    for module in (accounts_demo, calls_demo, budgets_demo):
        module.load(rng=random.Random(7), now=now, out=out)

    oldest = Call.objects.order_by("timestamp").first().timestamp
    assert now - oldest > timedelta(days=88)
    last_30 = Call.objects.filter(timestamp__gte=now - timedelta(days=30)).count()
    before = Call.objects.filter(
        timestamp__gte=now - timedelta(days=60), timestamp__lt=now - timedelta(days=30)
    ).count()
    assert last_30 > before * 1.05

    client.force_login(manager_user)
    overview = client.get("/api/v1/dashboard/overview").json()["metrics"]
    assert overview["spend_change_pct"] is not None

    limits = dict(Budget.objects.values_list("name", "limit"))
    for name, limit in limits.items():
        # Round, as people set budgets: $800, $590, $2,200 (never $110.96).
        assert limit == int(limit) and len(str(int(limit)).rstrip("0")) <= 3, (name, limit)
    assert limits["organisation monthly"] >= 1000
    printed = out.getvalue()
    assert "budget payments: payments monthly: $" in printed
    assert f"spent of ${limits['payments monthly']:,.2f} (" in printed
