"""Mini vs full per task type: difference, interval, test and a plain verdict."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from governance.catalog.models import Model, Tier
from governance.quality import selectors
from tests.accounts.factories import ClientFactory
from tests.quality.factories import NOW, CallFactory, catalog_pair, record_run

pytestmark = pytest.mark.django_db

START, END = NOW - timedelta(days=30), NOW + timedelta(days=1)


def runs(client, *, model, task_type, passed, failed, call_cost=None):
    call_ids = ()
    if call_cost is not None:
        call_ids = (
            CallFactory(
                client=client, model=model, task_type=task_type, cost_usd=Decimal(call_cost)
            ).call_id,
        )
    record_run(
        client=client,
        model=model,
        task_type=task_type,
        passed=passed,
        failed=failed,
        call_ids=call_ids,
    )


def compare(**kwargs):
    return {c.task_type: c for c in selectors.model_comparisons(start=START, end=END, **kwargs)}


def test_model_comparisons__mini_clearly_worse__verdict_names_the_gap():
    catalog_pair()
    client = ClientFactory()
    runs(client, model="gpt-5-codex", task_type="refactor", passed=180, failed=20)
    runs(client, model="gpt-5-codex-mini", task_type="refactor", passed=150, failed=50)
    result = compare()["refactor"]
    assert result.verdict == "mini_worse"
    assert result.verdict_text == "mini is worse by 15.0 pp"
    assert result.difference_ci_low_pp < -15 < result.difference_ci_high_pp < 0
    assert result.p_value < 0.001


def test_model_comparisons__small_gap_on_moderate_sample__no_significant_difference():
    catalog_pair()
    client = ClientFactory()
    runs(client, model="gpt-5-codex", task_type="unit-tests", passed=90, failed=10)
    runs(client, model="gpt-5-codex-mini", task_type="unit-tests", passed=87, failed=13)
    result = compare()["unit-tests"]
    assert result.verdict_text == "no significant difference at this sample size"
    assert result.difference_ci_low_pp < 0 < result.difference_ci_high_pp


def test_model_comparisons__few_tests__not_enough_data_yet():
    catalog_pair()
    client = ClientFactory()
    runs(client, model="gpt-5-codex", task_type="docs", passed=10, failed=0)
    runs(client, model="gpt-5-codex-mini", task_type="docs", passed=2, failed=8)
    assert compare()["docs"].verdict_text == "not enough data yet"


def test_model_comparisons__costs__each_side_has_cost_per_call_and_per_passing_test():
    catalog_pair()
    client = ClientFactory()
    runs(client, model="gpt-5-codex", task_type="unit-tests", passed=40, failed=0, call_cost="0.80")
    runs(
        client,
        model="gpt-5-codex-mini",
        task_type="unit-tests",
        passed=40,
        failed=0,
        call_cost="0.20",
    )
    result = compare()["unit-tests"]
    assert (result.full.cost_per_call_usd, result.full.cost_per_passing_test_usd) == (
        Decimal("0.800000"),
        Decimal("0.020000"),
    )
    assert result.mini.cost_per_passing_test_usd == Decimal("0.005000")


def test_model_comparisons__mini_without_counterpart__is_compared_with_every_full_model():
    catalog_pair(link=False)
    Model.objects.create(name="gpt-5", tier=Tier.FULL)
    client = ClientFactory()
    for model in ("gpt-5", "gpt-5-codex", "gpt-5-codex-mini"):
        runs(client, model=model, task_type="unit-tests", passed=50, failed=0)
    pairs = [
        (c.mini.model, c.full.model) for c in selectors.model_comparisons(start=START, end=END)
    ]
    assert pairs == [("gpt-5-codex-mini", "gpt-5"), ("gpt-5-codex-mini", "gpt-5-codex")]


def test_model_comparisons__task_type_only_one_side_ran__is_not_compared():
    catalog_pair()
    runs(ClientFactory(), model="gpt-5-codex", task_type="migration", passed=50, failed=0)
    assert compare() == {}


def test_comparisons_api__manager__gets_verdicts_with_decimal_strings(manager_client):
    catalog_pair()
    client = ClientFactory()
    runs(client, model="gpt-5-codex", task_type="refactor", passed=180, failed=20, call_cost="1.00")
    runs(
        client,
        model="gpt-5-codex-mini",
        task_type="refactor",
        passed=150,
        failed=50,
        call_cost="0.25",
    )
    response = manager_client.get(
        "/api/v1/quality/comparisons", {"start": "2026-11-01", "end": "2026-11-30"}
    )
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["verdict_text"] == "mini is worse by 15.0 pp"
    assert row["mini"]["cost_per_passing_test_usd"] == "0.001667"
    assert row["full"]["model"] == "gpt-5-codex"
