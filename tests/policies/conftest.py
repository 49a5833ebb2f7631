from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from governance.catalog.models import Model
from governance.catalog.services import model_upsert
from governance.engine.default_policy import FULL_MODEL, MINI_MODEL
from governance.policies.authentication import CachedApiKeyAuthentication
from governance.policies.services import policy_default_publish
from governance.policies.snapshots import memory_reset
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.budgets.helpers import ingest
from tests.calls.factories import call_record

# Mid-month, mid-day: see `mid_month`.
MID_MONTH = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def mid_month(time_machine):
    """The clock at mid-month, mid-day (and moving on from there), so that
    spend recorded minutes ago falls inside the current daily and monthly
    budget periods whatever day the suite runs on."""
    time_machine.move_to(MID_MONTH, tick=True)
    return MID_MONTH


@pytest.fixture(autouse=True)
def _fresh_snapshot_memory():
    memory_reset()
    CachedApiKeyAuthentication.forget_all()
    yield
    memory_reset()
    CachedApiKeyAuthentication.forget_all()


@pytest.fixture
def catalog(db):
    """The two models of the default policy, as the catalog ships them (with
    the mini model's pricing alias); created only if missing."""
    full = Model.objects.filter(name=FULL_MODEL).first() or model_upsert(
        name=FULL_MODEL, provider="openai", tier="full"
    )
    mini = Model.objects.filter(name=MINI_MODEL).first() or model_upsert(
        name=MINI_MODEL, provider="openai", tier="mini", full_counterpart=full
    )
    return full, mini


@pytest.fixture
def published(catalog):
    return policy_default_publish()


@pytest.fixture
def payments_client(db):
    return ClientFactory(team=TeamFactory(slug="payments"), name="ci-runner")


@pytest.fixture
def policy_client(api_client, issue_key, payments_client):
    raw, _ = issue_key(scopes=("policy:read",), client=payments_client)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api_client


@pytest.fixture
def recent_calls(published):
    """Over the last few days: low-risk boilerplate on the full model (the
    default policy moves it to the mini model), high-risk design work on the
    mini model (moved to the full model) and on the full model (stays)."""
    client = ClientFactory(team=TeamFactory(slug="payments"))
    now = timezone.now()
    ingest(
        client,
        [
            call_record(
                ts=now - timedelta(hours=3), model=FULL_MODEL, task_type="boilerplate", risk="low"
            )
            for _ in range(4)
        ]
        + [
            call_record(
                ts=now - timedelta(days=3), model=MINI_MODEL, task_type="design", risk="high"
            )
            for _ in range(3)
        ]
        + [
            call_record(
                ts=now - timedelta(days=5, hours=2),
                model=FULL_MODEL,
                task_type="design",
                risk="high",
            )
            for _ in range(2)
        ],
    )
    return client
