from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.accounts.factories import ClientFactory, TeamFactory
from tests.dashboard.factories import catalog_models, make_call, store_calls

# Noon UTC today: every call below lands on a whole day whatever the hour the
# suite runs (freezing the clock would also freeze the login sessions).
NOW = datetime.combine(datetime.now(UTC).date(), time(12), tzinfo=UTC)


@pytest.fixture
def org(db):
    """Two teams over the last ten days: payments (CI, full and mini model:
    $0.02 and $0.004 a call) and search (IDE, refactoring on the full model:
    $0.05 a call), with one fallback ($0.01) and one unpriced call today,
    and their generated-test runs."""
    full, mini = catalog_models(since=NOW - timedelta(days=30))
    payments = TeamFactory(slug="payments", name="Payments")
    search = TeamFactory(slug="search", name="Search")
    ci = ClientFactory(team=payments, name="ci-bot")
    ide = ClientFactory(team=search, name="ide-plugin")
    calls = []
    for d in range(10):
        day = NOW - timedelta(days=d)
        calls.append(make_call(client=ci, timestamp=day, model="gpt-5-codex", repo="pay/api"))
        calls.append(make_call(client=ci, timestamp=day, model="gpt-5-codex-mini", repo="pay/api"))
        calls.append(
            make_call(client=ide, timestamp=day, model="gpt-5-codex", input_tokens=2500, output_tokens=1250,
                      task_type="refactor", environment="ide", repo="search/core")
        )  # fmt: skip
    calls.append(
        make_call(client=ci, timestamp=NOW - timedelta(hours=1), model="gpt-5-codex-mini", input_tokens=2500,
                  output_tokens=1250, fallback_from="gpt-5-codex")
    )  # fmt: skip
    calls.append(
        make_call(
            client=ide, timestamp=NOW - timedelta(hours=2), model="unknown-model", environment="ide"
        )
    )
    stored = store_calls(calls)
    # the three calls of each day, in the order made above: full, mini, refactor
    per_day = [[c.call_id for _, c in calls[3 * d : 3 * d + 3]] for d in range(10)]
    _test_runs(ci=ci, ide=ide, call_ids=per_day)
    _budgets(payments=payments, search=search)
    return {
        "payments": payments,
        "search": search,
        "ci": ci,
        "ide": ide,
        "calls": stored,
        "full": full,
        "mini": mini,
    }


def login(client, user):
    client.force_login(user)
    return client


def _test_runs(*, ci, ide, call_ids: list[list[str]]) -> None:
    """Generated-test runs over the same ten days: the mini model passes 80 %
    of unit tests, the full model 90 %; refactoring tests pass 70 %."""
    from tests.quality.factories import record_run

    for d in range(10):
        day = NOW - timedelta(days=d, hours=1)
        full, mini, refactor = call_ids[d]
        record_run(
            client=ci,
            model="gpt-5-codex-mini",
            task_type="unit_tests",
            passed=8,
            failed=2,
            timestamp=day,
            outcome="promoted" if d % 3 else "escalated",
            call_ids=(mini,),
        )
        record_run(
            client=ci,
            model="gpt-5-codex",
            task_type="unit_tests",
            passed=9,
            failed=1,
            timestamp=day,
            call_ids=(full,),
        )
        record_run(client=ide, model="gpt-5-codex", task_type="refactor", passed=7, failed=3, timestamp=day,
                   call_ids=(refactor,))  # fmt: skip


def _budgets(*, payments, search) -> None:
    """Monthly budgets: payments has spent most of its $0.30, search little of $10."""
    from governance.budgets.services import budget_save

    budget_save(team=payments, name="Monthly", limit=Decimal("0.30"), reason="demo")
    budget_save(team=search, name="Monthly", limit=Decimal("10"), reason="demo")
