"""API keys: shown once, stored hashed, scoped, revocable, expiring."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from governance.accounts.models import ApiKey
from governance.accounts.services import api_key_lookup, api_key_revoke
from governance.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_api_key_issue__stored__only_prefix_and_hash_are_kept(issue_key):
    raw, key = issue_key(scopes=["ingest"])

    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in (stored.hashed_key, stored.prefix)
    assert raw.startswith(f"gov_{stored.prefix}_")
    assert api_key_lookup(raw_key=raw) == stored
    assert AuditEvent.objects.filter(action="api_key.issue", target_id=str(key.pk)).exists()


def test_api_key_lookup__tampered_secret__finds_nothing(issue_key):
    raw, _ = issue_key()

    assert api_key_lookup(raw_key=raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert api_key_lookup(raw_key="not-a-key") is None


def test_create_client_command__prints_a_working_key_alone_on_the_last_line(capsys):
    call_command("create_client", team="payments", name="ci-runner", scopes="ingest,policy:read")

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    key = api_key_lookup(raw_key=last_line)
    assert key is not None
    assert key.client.team.slug == "payments"
    assert key.scopes == ["ingest", "policy:read"]


@pytest.mark.parametrize(
    ("headers", "expected_detail"),
    [
        ({"HTTP_AUTHORIZATION": "Bearer gov_nope_nope"}, "Invalid API key."),
        ({"HTTP_AUTHORIZATION": "Basic abc"}, "Malformed Authorization header"),
    ],
)
def test_api__bad_key__401_names_the_problem(api_client, headers, expected_detail):
    response = api_client.get("/api/v1/calls", **headers)

    assert response.status_code == 401
    assert expected_detail in response.json()["detail"]


def test_api__revoked_key__401(api_client, issue_key):
    raw, key = issue_key()
    api_key_revoke(api_key=key, reason="leaked in a log")

    response = api_client.get("/api/v1/calls", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_api__expired_key__401(api_client, issue_key):
    raw, _ = issue_key(expires_at=timezone.now() - timedelta(seconds=1))

    response = api_client.get("/api/v1/calls", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_api__key_without_scope__403_names_the_scope(api_client, issue_key):
    raw, _ = issue_key(scopes=["policy:read"])

    response = api_client.post(
        "/api/v1/calls", {"calls": []}, format="json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )

    assert response.status_code == 403
    assert "'ingest'" in response.json()["detail"]


def test_api__x_api_key_header__is_accepted(api_client, issue_key):
    raw, _ = issue_key(scopes=["ingest"])

    response = api_client.get("/api/v1/calls", HTTP_X_API_KEY=raw)

    assert response.status_code == 200
