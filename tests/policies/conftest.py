from __future__ import annotations

import pytest

from governance.catalog.models import Model
from governance.catalog.services import model_upsert
from governance.engine.policy import FULL_MODEL, MINI_MODEL
from governance.policies.authentication import CachedApiKeyAuthentication
from governance.policies.services import policy_default_publish
from governance.policies.snapshots import memory_reset
from tests.accounts.factories import ClientFactory, TeamFactory


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
