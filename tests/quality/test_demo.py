"""The demo data set: test runs for the demo calls, showing both verdicts."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.accounts import demo as accounts_demo
from governance.calls import demo as calls_demo
from governance.quality import demo, selectors
from governance.quality.models import QualityAlert, SuiteRun, SuiteRunCall
from tests.accounts.factories import ClientFactory

pytestmark = pytest.mark.django_db


def load_quality(now):
    out = io.StringIO()
    demo.load(rng=random.Random(7), now=now, out=out)
    return out.getvalue()


def test_quality_demo__after_the_calls_demo__mini_worse_on_some_task_types_equal_on_others():
    now = timezone.now()
    for module in (accounts_demo, calls_demo):
        module.load(rng=random.Random(7), now=now, out=io.StringIO())
    load_quality(now)
    verdicts = {
        c.task_type: c.verdict
        for c in selectors.model_comparisons(
            start=now - timedelta(days=30), end=now + timedelta(hours=1)
        )
    }
    assert verdicts["refactor"] == verdicts["debug"] == "mini_worse"
    assert verdicts["boilerplate"] == verdicts["completion"] == "no_significant_difference"
    assert SuiteRunCall.objects.filter(resolved_call__isnull=True).count() == 0
    assert QualityAlert.objects.filter(team__slug="payments", task_type="refactor").exists()
    runs = SuiteRun.objects.count()
    assert "0 new test runs" in load_quality(now)
    assert SuiteRun.objects.count() == runs


def test_quality_demo__clients_but_no_calls__makes_unlinked_runs():
    ClientFactory()
    message = load_quality(timezone.now())
    assert "no calls to link" in message
    assert SuiteRun.objects.count() == 30 * 12
    assert not SuiteRunCall.objects.exists()
