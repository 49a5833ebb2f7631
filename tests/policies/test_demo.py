"""The demo organisation shows the fallback in action."""

from __future__ import annotations

import io
import random

import pytest
from django.utils import timezone

from governance.accounts.models import Client
from governance.budgets.models import Budget
from governance.engine.context import Context
from governance.engine.default_policy import FULL_MODEL, MINI_MODEL
from governance.policies.models import PolicyVersion
from governance.policies.selectors import policy_decide

# The demo sizes each budget from the spend of its current period: early on
# the first of a month that period would hold almost none.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mid_month")]


def load_demo() -> None:
    from governance.accounts import demo as accounts
    from governance.budgets import demo as budgets
    from governance.calls import demo as calls
    from governance.policies import demo as policies

    rng, now = random.Random(7), timezone.now()
    for module in (accounts, calls, budgets, policies):
        module.load(rng=rng, now=now, out=io.StringIO())


def test_demo__loaded__payments_over_its_threshold_and_decide_falls_back():
    load_demo()

    states = dict(Budget.objects.filter(team__isnull=False).values_list("team__slug", "state"))
    assert states == {
        "payments": "fallback",
        "search": "normal",
        "platform": "normal",
        "mobile": "normal",
    }
    assert PolicyVersion.objects.get().number == 1
    payments = Client.objects.filter(team__slug="payments").first()
    search = Client.objects.filter(team__slug="search").first()
    high = Context(task_type="refactor", risk="high")
    fallback = policy_decide(client=payments, context=high)
    assert fallback.model == MINI_MODEL and fallback.rule == "budget-fallback"
    assert "budget of team payments at" in fallback.reason
    assert policy_decide(client=search, context=high).model == FULL_MODEL


def test_demo__loaded_twice__budgets_and_policy_left_in_place(monkeypatch):
    from governance.calls import demo as calls

    # Loading again is what is tested here, not the quarter of history.
    monkeypatch.setattr(calls, "DAYS", 14)
    load_demo()
    limits = dict(Budget.objects.values_list("name", "limit"))

    load_demo()

    assert dict(Budget.objects.values_list("name", "limit")) == limits
    assert PolicyVersion.objects.count() == 1
