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


def mini_vs_full(task_type, *, full, mini, costs=(None, None)):
    """The catalog pair, and one run each: `full` and `mini` are (passed, failed)."""
    catalog_pair()
    client = ClientFactory()
    for model, (passed, failed), cost in zip(
        ("gpt-5-codex", "gpt-5-codex-mini"), (full, mini), costs, strict=True
    ):
        runs(client, model=model, task_type=task_type, passed=passed, failed=failed, call_cost=cost)


def compare(**kwargs):
    return {c.task_type: c for c in selectors.model_comparisons(start=START, end=END, **kwargs)}


def test_model_comparisons__mini_clearly_worse__verdict_names_the_gap():
    mini_vs_full("refactor", full=(180, 20), mini=(150, 50))
    result = compare()["refactor"]
    assert result.verdict == "mini_worse"
    assert result.verdict_text == "mini is worse by 15.0 pp"
    assert result.difference_ci_low_pp < -15 < result.difference_ci_high_pp < 0
    assert result.p_value < 0.001


def test_model_comparisons__small_gap_on_moderate_sample__no_significant_difference():
    mini_vs_full("unit-tests", full=(90, 10), mini=(87, 13))
    result = compare()["unit-tests"]
    assert result.verdict_text == "no significant difference at this sample size"
    assert result.difference_ci_low_pp < 0 < result.difference_ci_high_pp


def test_model_comparisons__few_tests__not_enough_data_yet():
    mini_vs_full("docs", full=(10, 0), mini=(2, 8))
    assert compare()["docs"].verdict_text == "not enough data yet"


def test_model_comparisons__costs__each_side_has_cost_per_call_and_per_passing_test():
    mini_vs_full("unit-tests", full=(40, 0), mini=(40, 0), costs=("0.80", "0.20"))
    result = compare()["unit-tests"]
    assert (result.full.cost_per_call_usd, result.full.cost_per_passing_test_usd) == (
        Decimal("0.800000"),
        Decimal("0.020000"),
    )
    assert result.mini.cost_per_passing_test_usd == Decimal("0.005000")


def test_model_comparisons__mini_without_counterpart__is_compared_with_every_full_model():
    # The catalog ships gpt-5 and gpt-5-codex as full-tier models.
    Model.objects.create(name="acme-coder-mini", tier=Tier.MINI)
    client = ClientFactory()
    for model in ("gpt-5", "gpt-5-codex", "acme-coder-mini"):
        runs(client, model=model, task_type="unit-tests", passed=50, failed=0)
    pairs = [
        (c.mini.model, c.full.model) for c in selectors.model_comparisons(start=START, end=END)
    ]
    assert pairs == [("acme-coder-mini", "gpt-5"), ("acme-coder-mini", "gpt-5-codex")]


def test_model_comparisons__task_type_only_one_side_ran__is_not_compared():
    catalog_pair()
    runs(ClientFactory(), model="gpt-5-codex", task_type="migration", passed=50, failed=0)
    assert compare() == {}


def test_comparisons_api__manager__gets_verdicts_with_decimal_strings(manager_client):
    mini_vs_full("refactor", full=(180, 20), mini=(150, 50), costs=("1.00", "0.25"))
    response = manager_client.get(
        "/api/v1/quality/comparisons", {"start": "2026-11-01", "end": "2026-11-30"}
    )
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["verdict_text"] == "mini is worse by 15.0 pp"
    assert row["mini"]["cost_per_passing_test_usd"] == "0.001667"
    assert row["full"]["model"] == "gpt-5-codex"
