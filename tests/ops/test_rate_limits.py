"""Per-key rate limits: shared through the cache, 429 with an integer Retry-After."""

import pytest
import time_machine
from rest_framework.test import APIClient

from governance.core.rates import parse_rate

pytestmark = pytest.mark.django_db


def _client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_api_key__over_its_rate__429_with_integer_retry_after(issue_key, settings):
    settings.GOVERNOR_API_KEY_RATE = "3/min"
    raw, _ = issue_key()
    client = _client_with(raw)

    with time_machine.travel("2026-03-02 10:00:15Z", tick=False):
        statuses = [client.get("/api/v1/calls").status_code for _ in range(4)]
        refused = client.get("/api/v1/calls")

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"


def test_api_key__limit_reached__other_keys_are_not_limited(issue_key, settings):
    settings.GOVERNOR_API_KEY_RATE = "2/min"
    noisy = _client_with(issue_key()[0])
    quiet = _client_with(issue_key()[0])

    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        for _ in range(3):
            noisy.get("/api/v1/calls")
        assert noisy.get("/api/v1/calls").status_code == 429
        assert quiet.get("/api/v1/calls").status_code == 200


def test_api_key__next_window__allowed_again(issue_key, settings):
    settings.GOVERNOR_API_KEY_RATE = "1/min"
    client = _client_with(issue_key()[0])

    with time_machine.travel("2026-03-02 10:00:59Z", tick=False) as clock:
        assert client.get("/api/v1/calls").status_code == 200
        assert client.get("/api/v1/calls").status_code == 429
        clock.shift(2)
        assert client.get("/api/v1/calls").status_code == 200


def test_api_key__limit_counts_every_endpoint_together(issue_key, settings):
    settings.GOVERNOR_API_KEY_RATE = "2/min"
    client = _client_with(issue_key(scopes=["ingest"])[0])

    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        client.get("/api/v1/calls")
        client.post("/api/v1/calls", {"calls": []}, format="json")
        assert client.get("/api/v1/calls").status_code == 429


def test_session_user__many_requests__not_limited_by_the_key_limit(admin_user, settings):
    settings.GOVERNOR_API_KEY_RATE = "1/min"
    client = APIClient()
    client.force_login(admin_user)

    assert [client.get("/api/v1/calls").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.parametrize("rate", ["ten/min", "0/min", "5/fortnight", "5"])
def test_rate_setting__malformed__refused_naming_the_problem(rate):
    with pytest.raises(ValueError, match="rate"):
        parse_rate(rate)
