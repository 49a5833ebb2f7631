"""GET /api/v1/calls: a team's calls with their computed cost, filtered and paginated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.accounts.factories import TeamFactory
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


def test_calls_list__key_of_one_team__never_sees_another_teams_calls(api_client, issue_key):
    raw_a, _ = issue_key(team=TeamFactory(slug="payments"))
    raw_b, _ = issue_key(team=TeamFactory(slug="search"))
    post_calls(api_client, [call_record(call_id="pay-1")], HTTP_AUTHORIZATION=f"Bearer {raw_a}")
    post_calls(api_client, [call_record(call_id="search-1")], HTTP_AUTHORIZATION=f"Bearer {raw_b}")

    body = api_client.get("/api/v1/calls?team=search", HTTP_AUTHORIZATION=f"Bearer {raw_a}").json()

    assert [c["call_id"] for c in body["results"]] == ["pay-1"]
    assert body["results"][0]["team"] == "payments"
    assert body["results"][0]["cost_usd"] == "0.0060250000"


def test_calls_list__filters__only_matching_calls_newest_first(key_client):
    now = timezone.now()
    post_calls(
        key_client,
        [
            call_record(call_id="old", ts=now - timedelta(days=3)),
            call_record(call_id="mini", ts=now - timedelta(hours=2), model="gpt-5-codex-mini"),
            call_record(call_id="err", ts=now - timedelta(hours=1), status="error"),
            call_record(call_id="new", ts=now - timedelta(minutes=30)),
        ],
    )
    since = (now - timedelta(days=1)).isoformat()

    recent = key_client.get("/api/v1/calls", {"since": since}).json()["results"]
    by_model = key_client.get("/api/v1/calls", {"model": "gpt-5-codex-mini"}).json()["results"]
    errors = key_client.get("/api/v1/calls", {"status": "error"}).json()["results"]

    assert [c["call_id"] for c in recent] == ["new", "err", "mini"]
    assert [c["call_id"] for c in by_model] == ["mini"]
    assert [c["call_id"] for c in errors] == ["err"]


def test_calls_list__bad_filter__400_names_it(key_client):
    response = key_client.get("/api/v1/calls", {"since": "last tuesday", "status": "on-fire"})

    assert response.status_code == 400
    assert set(response.json()) == {"since", "status"}


def test_calls_list__cursor_pagination__walks_every_call_once(key_client):
    now = timezone.now()
    post_calls(
        key_client,
        [call_record(call_id=f"p-{i}", ts=now - timedelta(minutes=i + 1)) for i in range(25)],
    )

    seen, url = [], "/api/v1/calls?page_size=10"
    while url:
        body = key_client.get(url).json()
        seen += [c["call_id"] for c in body["results"]]
        url = body["next"]

    assert seen == [f"p-{i}" for i in range(25)]


def test_calls_list__manager_session__sees_every_team_and_can_narrow_to_one(
    api_client, manager_user, issue_key
):
    raw_a, _ = issue_key(team=TeamFactory(slug="payments"))
    raw_b, _ = issue_key(team=TeamFactory(slug="search"))
    post_calls(api_client, [call_record(call_id="pay-1")], HTTP_AUTHORIZATION=f"Bearer {raw_a}")
    post_calls(api_client, [call_record(call_id="search-1")], HTTP_AUTHORIZATION=f"Bearer {raw_b}")
    api_client.force_authenticate(manager_user)

    everything = api_client.get("/api/v1/calls").json()["results"]
    one_team = api_client.get("/api/v1/calls", {"team": "search"}).json()["results"]

    assert {c["call_id"] for c in everything} == {"pay-1", "search-1"}
    assert [c["call_id"] for c in one_team] == ["search-1"]


def test_calls_list__manager_names_no_such_team__400_naming_team(api_client, manager_user):
    api_client.force_authenticate(manager_user)

    response = api_client.get("/api/v1/calls", {"team": "nobody"})

    assert response.status_code == 400
    assert response.json() == {"team": ["no team 'nobody'"]}


def test_calls_list__anonymous__401(api_client):
    assert api_client.get("/api/v1/calls").status_code == 401
