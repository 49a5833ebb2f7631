from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from tests.accounts.factories import ClientFactory, TeamFactory
from tests.dashboard.factories import catalog_models, make_call, store_calls

# Noon UTC today: every call below lands on a whole day whatever the hour the
# suite runs (freezing the clock would also freeze the login sessions).
NOW = datetime.combine(datetime.now(UTC).date(), time(12), tzinfo=UTC)


@pytest.fixture
def org(db):
    """Two teams over the last ten days: payments (CI, full and mini model)
    and search (IDE, full model only), with one fallback and one unpriced call."""
    full, mini = catalog_models()
    payments = TeamFactory(slug="payments", name="Payments")
    search = TeamFactory(slug="search", name="Search")
    ci = ClientFactory(team=payments, name="ci-bot")
    ide = ClientFactory(team=search, name="ide-plugin")
    calls = []
    for d in range(10):
        day = NOW - timedelta(days=d)
        calls.append(
            make_call(client=ci, timestamp=day, model="gpt-5-codex", cost="0.0200", repo="pay/api")
        )
        calls.append(
            make_call(
                client=ci, timestamp=day, model="gpt-5-codex-mini", cost="0.0040", repo="pay/api"
            )
        )
        calls.append(
            make_call(
                client=ide,
                timestamp=day,
                model="gpt-5-codex",
                cost="0.0500",
                task_type="refactor",
                environment="ide",
                repo="search/core",
            )
        )
    calls.append(
        make_call(
            client=ci,
            timestamp=NOW - timedelta(hours=1),
            model="gpt-5-codex-mini",
            cost="0.0100",
            fallback_from="gpt-5-codex",
        )
    )
    calls.append(
        make_call(
            client=ide,
            timestamp=NOW - timedelta(hours=2),
            model="unknown-model",
            cost=None,
            environment="ide",
        )
    )
    store_calls(calls)
    return {
        "payments": payments,
        "search": search,
        "ci": ci,
        "ide": ide,
        "calls": calls,
        "full": full,
        "mini": mini,
    }


def login(client, user):
    # UserFactory sets the password after its save(), so the in-memory user's
    # session hash differs from the stored one: log in as the stored user.
    user.refresh_from_db()
    client.force_login(user)
    return client
