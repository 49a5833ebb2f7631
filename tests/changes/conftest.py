"""Admin-API clients: one per admin key, and a second admin for four-eyes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from governance.changes.services import four_eyes_set
from tests.accounts.factories import ClientFactory, TeamFactory, UserFactory
from tests.policies.conftest import (  # noqa: F401  # re-exported fixtures
    _fresh_snapshot_memory,
    catalog,
    payments_client,
    policy_client,
    published,
)


@pytest.fixture
def admin_key(issue_key):
    """(raw key, ApiKey) with the `admin` scope, for the platform team's CI."""
    return issue_key(
        scopes=("admin",), client=ClientFactory(team=TeamFactory(slug="platform"), name="ci")
    )


def client_with(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def admin_api(admin_key):
    return client_with(admin_key[0])


@pytest.fixture
def second_admin(db):
    """Bob, the admin who approves what Alice (or CI) asked for."""
    user = UserFactory(role="admin", username="bob-admin")
    client = APIClient()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def four_eyes(admin_user):
    four_eyes_set(on=True, actor=admin_user, reason="payments moves real money")
