from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from tests.accounts.factories import ClientFactory, TeamFactory
from tests.dashboard.factories import catalog_models, make_call, store_calls

# Noon UTC today: every call below lands on a whole day whatever the hour the
# suite runs (freezing the clock would also freeze the login sessions).
NOW = datetime.combine(datetime.now(UTC).date(), time(12), tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_price_book():
    # The price book is cached per process by catalog version; versions
    # restart with every test's rolled-back database, so forget it.
    from governance.catalog import selectors

    selectors._cached = None
    yield
    selectors._cached = None


@pytest.fixture
def org(db):
    """Two teams over the last ten days: payments (CI, full and mini model:
    $0.02 and $0.004 a call) and search (IDE, refactoring on the full model:
    $0.05 a call), with one fallback ($0.01) and one unpriced call today."""
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
    # UserFactory sets the password after its save(), so the in-memory user's
    # session hash differs from the stored one: log in as the stored user.
    user.refresh_from_db()
    client.force_login(user)
    return client
