"""A revoked API key is refused on its very next request to the decision
endpoints, which remember keys in process memory: revocation does not wait
for that memory to lapse, in this process or any other."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from governance.accounts.services import api_key_revoke
from governance.policies.authentication import CachedApiKeyAuthentication
from governance.policies.services import policy_default_publish


@pytest.fixture(autouse=True)
def _long_key_memory(settings):
    # Far longer than any test: only revocation itself can make a key go.
    settings.GOVERNOR_DECISION_KEY_CACHE_SECONDS = 3600
    CachedApiKeyAuthentication.forget_all()
    yield
    CachedApiKeyAuthentication.forget_all()


def _ask(client: APIClient, endpoint: str):
    if endpoint == "decide":
        return client.post("/api/v1/decide", {"risk": "low"}, format="json")
    return client.get("/api/v1/policy")


def _key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["decide", "policy"])
def test_revoked_key__next_request_within_the_memory_window__401(issue_key, endpoint):
    policy_default_publish()
    raw, key = issue_key(scopes=("policy:read",))
    client = _key_client(raw)
    assert _ask(client, endpoint).status_code == 200  # the key is now remembered

    api_key_revoke(api_key=key, reason="leaked")

    response = _ask(client, endpoint)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


@pytest.mark.django_db
def test_another_key_revoked__remembered_key_still_decides(issue_key):
    policy_default_publish()
    raw, _ = issue_key(scopes=("policy:read",))
    _, other = issue_key(scopes=("policy:read",))
    client = _key_client(raw)
    assert _ask(client, "decide").status_code == 200

    api_key_revoke(api_key=other, reason="leaked")

    assert _ask(client, "decide").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("endpoint", ["decide", "policy"])
def test_key_revoked_and_committed_by_another_connection__next_request_401(issue_key, endpoint):
    """Revoked elsewhere, as an admin's request in another web process would:
    this process learns it from the shared cache (or the database), not from
    its own memory."""
    policy_default_publish()
    raw, key = issue_key(scopes=("policy:read",))
    client = _key_client(raw)
    assert _ask(client, endpoint).status_code == 200

    def revoke_elsewhere() -> None:
        try:
            api_key_revoke(api_key=key, reason="leaked")
        finally:
            connection.close()

    elsewhere = threading.Thread(target=revoke_elsewhere)
    elsewhere.start()
    elsewhere.join()

    assert _ask(client, endpoint).status_code == 401
