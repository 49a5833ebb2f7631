"""The quality roll-up that pages read stays equal to the raw test runs and
their linked calls, whatever writes reach them."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest

from governance.calls.models import Call, PriceSource
from governance.calls.services import calls_purge, calls_reprice
from governance.catalog.pricing import usd_to_e10
from governance.catalog.services import model_price_add, model_upsert
from governance.quality import selectors
from governance.quality.models import (
    QUALITY_ROLLUP_SUMS,
    QualityDailyRollup,
    SuiteRun,
    SuiteRunCall,
)
from governance.quality.services import (
    SuiteRunInput,
    quality_rollup_rebuild,
    suite_run_links_resolve,
    suite_runs_import,
)
from tests.accounts.factories import ClientFactory
from tests.quality.factories import NOW, CallFactory, record_run

pytestmark = pytest.mark.django_db


SUMS = QUALITY_ROLLUP_SUMS


def rollup_cells() -> dict[tuple, tuple]:
    """The stored roll-up, without cells that every write has netted to zero."""
    cells = {}
    for row in QualityDailyRollup.objects.all():
        values = tuple(getattr(row, name) for name in SUMS)
        if any(values):
            cells[(row.day, row.team_id, row.model, row.task_type)] = values
    return cells


def raw_cells() -> dict[tuple, tuple]:
    """The same sums computed from scratch, one run and one link at a time."""
    cells: dict[tuple, dict[str, int]] = {}

    def cell(run: SuiteRun) -> dict[str, int]:
        key = (run.timestamp.astimezone(UTC).date(), run.team_id, run.model, run.task_type)
        return cells.setdefault(key, dict.fromkeys(SUMS, 0))

    for run in SuiteRun.objects.all():
        acc = cell(run)
        acc["runs"] += 1
        for name in ("total", "passed", "failed", "errored", "skipped", "flaky"):
            acc[name] += getattr(run, name)
        acc["promoted_runs"] += run.outcome == "promoted"
        acc["escalated_runs"] += run.outcome == "escalated"
        acc["failing_runs"] += bool(run.failed or run.errored)
    for link in SuiteRunCall.objects.select_related("suite_run", "resolved_call"):
        acc = cell(link.suite_run)
        acc["linked_calls"] += 1
        if link.resolved_call is not None:
            acc["resolved_calls"] += 1
            if link.resolved_call.cost_usd is not None:
                acc["priced_calls"] += 1
                acc["cost_usd_e10"] += usd_to_e10(link.resolved_call.cost_usd)
    return {key: tuple(values[name] for name in SUMS) for key, values in cells.items()}


def unpriced_call(client, call_id: str, **fields) -> Call:
    return CallFactory(
        client=client,
        call_id=call_id,
        model="in-house-llm",
        cost_usd=None,
        price_source=PriceSource.UNPRICED,
        input_tokens=1_000_000,
        **fields,
    )


def price_in_house_model() -> None:
    """$0.30 per million input tokens: each unpriced call above costs $0.30."""
    model_price_add(
        model=model_upsert(name="in-house-llm", provider="acme", tier="mini"),
        effective_from=NOW - timedelta(days=30),
        input_per_mtok=Decimal("0.30"),
        cached_input_per_mtok=Decimal("0.03"),
        output_per_mtok=Decimal("1.20"),
    )


def test_quality_rollup__mix_of_writes__equals_the_raw_runs_and_a_rebuild():
    # Given two teams' clients, priced and unpriced calls, and an old call
    # that retention will delete.
    ci, ide = ClientFactory(), ClientFactory()
    priced = CallFactory(client=ci, call_id="c-priced", cost_usd=Decimal("0.0123456789"))
    unpriced = unpriced_call(ci, "c-unpriced")
    unpriced_call(ide, "c-ide-unpriced")
    CallFactory(
        client=ci, call_id="c-old", timestamp=NOW - timedelta(days=500), cost_usd=Decimal("0.5")
    )

    # When runs are recorded, one of them naming a call not logged yet ...
    record_run(client=ci, run_id="r1", passed=8, failed=2, call_ids=("c-priced", "c-late"))
    record_run(
        client=ci, run_id="r2", passed=5, errored=1, skipped=3, call_ids=("c-unpriced",),
        outcome="escalated",
    )  # fmt: skip
    record_run(client=ci, run_id="r-old", passed=4, call_ids=("c-old",), outcome="promoted")
    # ... one is uploaded again for another day, model and calls (its old cell empties) ...
    record_run(client=ide, run_id="r3", passed=3, failed=3, call_ids=("c-ide-unpriced",))
    record_run(
        client=ide, run_id="r3", passed=9, model="gpt-5-codex-mini",
        timestamp=NOW - timedelta(days=2), call_ids=("c-ide-late",), outcome="promoted",
    )  # fmt: skip
    # ... another is re-uploaded unchanged but for its outcome ...
    record_run(
        client=ci, run_id="r1", passed=8, failed=2, call_ids=("c-priced", "c-late"),
        outcome="escalated",
    )  # fmt: skip
    # ... runs are back-filled ...
    suite_runs_import(
        client=ide,
        runs=[
            SuiteRunInput(
                run_id=f"imp-{i}",
                timestamp=NOW - timedelta(hours=i * 20),
                model="gpt-5-codex",
                total=6,
                passed=5,
                failed=1,
                errored=0,
                skipped=0,
                flaky=i,
                call_ids=("c-ide-unpriced", "c-ide-late"),
            )  # fmt: skip
            for i in range(3)
        ],
    )
    # ... the late calls arrive and their links are resolved ...
    CallFactory(client=ci, call_id="c-late", cost_usd=Decimal("0.2"))
    CallFactory(client=ide, call_id="c-ide-late", cost_usd=None, price_source=PriceSource.UNPRICED)
    assert suite_run_links_resolve() == 5
    # ... the unpriced model gets a price and its calls are re-priced ...
    price_in_house_model()
    calls_reprice(model="in-house-llm")
    # ... and retention deletes the old call.
    assert calls_purge(older_than=NOW - timedelta(days=400)) == 1

    # Then the roll-up is what the raw runs and calls say, cell by cell ...
    unpriced.refresh_from_db()
    assert unpriced.cost_usd == Decimal("0.3")
    assert priced.cost_usd == Decimal("0.0123456789")
    expected = raw_cells()
    assert rollup_cells() == expected
    assert len(expected) == 5
    # ... and rebuilding it from scratch changes nothing.
    assert quality_rollup_rebuild() == SuiteRun.objects.count()
    assert rollup_cells() == expected


def test_quality_rollup__run_replaced_on_another_day__its_old_day_has_no_group():
    client = ClientFactory()
    record_run(client=client, run_id="r", passed=3, timestamp=NOW - timedelta(days=3))
    record_run(client=client, run_id="r", passed=5, timestamp=NOW)

    rows = selectors.pass_rates(
        group_by=["day"], start=NOW.replace(hour=0) - timedelta(days=7), end=NOW + timedelta(days=1)
    )

    assert [(row.day, row.runs, row.passed) for row in rows] == [(NOW.date(), 1, 5)]


def test_quality_rollup__call_repriced__cost_per_passing_test_follows(
    django_capture_on_commit_callbacks,
):
    client = ClientFactory()
    unpriced_call(client, "c-1")
    record_run(client=client, passed=10, call_ids=("c-1",))
    whole_days = {"start": NOW.replace(hour=0), "end": NOW.replace(hour=0) + timedelta(days=1)}
    [before] = selectors.pass_rates(group_by=["model"], **whole_days)
    assert (before.priced_calls, before.unpriced_calls) == (0, 1)
    assert before.cost_per_passing_test_usd is None

    with django_capture_on_commit_callbacks(execute=True):
        price_in_house_model()  # re-prices the stored calls after the commit

    [after] = selectors.pass_rates(group_by=["model"], **whole_days)
    assert (after.priced_calls, after.unpriced_calls) == (1, 0)
    assert after.cost_per_passing_test_usd == Decimal("0.030000")
