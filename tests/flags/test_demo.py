from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import pytest

from governance.engine.flags import Reason
from governance.flags import demo
from governance.flags.models import Flag
from governance.flags.selectors import flag_evaluate

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)  # Wednesday 11:00 in Paris


def test_demo__loaded_twice__same_flags():
    demo.load(rng=random.Random(7), now=NOW, out=io.StringIO())
    demo.load(rng=random.Random(7), now=NOW, out=io.StringIO())
    assert Flag.objects.count() == 5


def test_demo__peak_hours_flag__on_for_ci_tests_only_in_paris_working_hours():
    demo.load(rng=random.Random(7), now=NOW, out=io.StringIO())
    context = {"task_type": "test_generation", "risk": "low"}
    assert (
        flag_evaluate(key="mini-model-for-ci-test-generation", context=context, now=NOW).value
        is True
    )
    evening = datetime(2026, 1, 14, 19, 0, tzinfo=UTC)
    assert (
        flag_evaluate(key="mini-model-for-ci-test-generation", context=context, now=evening).value
        is False
    )


def test_demo__pilot__about_ten_percent_of_pipelines():
    demo.load(rng=random.Random(7), now=NOW, out=io.StringIO())
    results = [
        flag_evaluate(
            key="mini-model-boilerplate-pilot",
            context={"task_type": "boilerplate", "targetingKey": f"p-{i}"},
            now=NOW,
        )
        for i in range(2000)
    ]
    assert {r.reason for r in results} == {Reason.SPLIT}
    assert 140 < sum(r.value for r in results) < 260
