"""POST /api/v1/test-runs: JSON counts and JUnit XML reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.audit.models import AuditEvent
from governance.quality.models import SuiteRun, SuiteRunCall
from tests.quality.factories import CallFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/test-runs"
FIXTURES = Path(__file__).parent / "fixtures"


def post_json(client, **body):
    payload = {"run_id": "r-1", "model": "gpt-5-codex-mini", "passed": 8, "failed": 2, **body}
    return client.post(URL, payload, format="json")


def post_junit(
    client,
    fixture: str,
    query: str = "run_id=r-1&model=gpt-5-codex",
    content_type="application/xml",
):
    body = (FIXTURES / fixture).read_bytes()
    return client.generic("POST", f"{URL}?{query}", body, content_type=content_type)


def test_test_run_post__json_counts__is_stored_with_its_pass_rate(key_client):
    response = post_json(
        key_client,
        task_type="unit-tests",
        errored=1,
        skipped=4,
        total=15,
        repo="acme/payments",
        commit="3f2a9c1",
        pull_request="482",
        job="generate-tests",
        attempt=1,
        outcome="promoted",
        timestamp="2026-11-20T10:00:00Z",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["replaced"] is False
    assert body["pass_rate"] == pytest.approx(8 / 11)
    run = SuiteRun.objects.get(run_id="r-1")
    assert (run.total, run.passed, run.failed, run.errored, run.skipped) == (15, 8, 2, 1, 4)
    assert (run.outcome, run.pull_request, run.team_id) == (
        "promoted",
        "482",
        key_client.api_key.client.team_id,
    )


def test_test_run_post__total_does_not_add_up__400_names_total(key_client):
    response = post_json(key_client, total=11)
    assert response.status_code == 400
    assert "total" in response.json()
    assert not SuiteRun.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"run_id": ""}, "run_id"),
        ({"passed": -1}, "passed"),
        ({"failed": 2**40}, "failed"),
        ({"model": "m" * 129}, "model"),
        ({"run_id": "r\x00"}, "run_id"),
        ({"outcome": "merged"}, "outcome"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"call_ids": "c-1"}, "call_ids"),
        ({"attempt": 0}, "attempt"),
    ],
)
def test_test_run_post__bad_field__400_names_the_field(key_client, body, field):
    response = post_json(key_client, **body)
    assert response.status_code == 400
    assert field in response.json()


def test_test_run_post__same_run_id_again__replaces_the_run_instead_of_adding(key_client):
    team_client = key_client.api_key.client
    first, second = (CallFactory(client=team_client, call_id=c) for c in ("c-1", "c-2"))
    assert post_json(key_client, call_ids=["c-1", "c-2"]).status_code == 201
    response = post_json(key_client, passed=10, failed=0, call_ids=["c-2"])
    assert response.status_code == 200
    assert response.json()["replaced"] is True
    run = SuiteRun.objects.get()
    assert (run.passed, run.failed) == (10, 0)
    assert list(SuiteRunCall.objects.values_list("resolved_call_id", flat=True)) == [second.pk]
    run_events = AuditEvent.objects.filter(target_type="quality.suiterun").order_by("id")
    assert [e.action for e in run_events] == ["test_run.recorded", "test_run.replaced"]
    assert first.pk  # the earlier link is gone, the call itself stays


def test_test_run_post__same_run_id_from_another_client__is_a_separate_run(api_client, issue_key):
    for _ in range(2):
        raw, _key = issue_key(scopes=("ingest",))
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert post_json(api_client).status_code == 201
    assert SuiteRun.objects.count() == 2


def test_test_run_post__call_ids__links_known_calls_and_reports_unknown(key_client):
    CallFactory(client=key_client.api_key.client, call_id="c-known")
    CallFactory(call_id="c-other-client")
    response = post_json(key_client, call_ids=["c-known", "c-other-client", "c-known"])
    assert response.json()["linked_calls"] == 1
    assert response.json()["unknown_call_ids"] == ["c-other-client"]
    assert SuiteRunCall.objects.count() == 2


def test_test_run_post__key_without_ingest_scope__403(api_client, issue_key):
    raw, _ = issue_key(scopes=("policy:read",))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post_json(api_client).status_code == 403


@pytest.mark.parametrize(
    ("fixture", "counts"),
    [
        ("pytest.xml", (6, 3, 1, 1, 1)),
        ("surefire.xml", (6, 4, 1, 0, 1)),
        ("jest-junit.xml", (5, 3, 1, 0, 1)),
        ("go-junit-report.xml", (5, 2, 1, 1, 1)),
    ],
)
def test_test_run_post__junit_report__stores_its_counts(key_client, fixture, counts):
    response = post_junit(
        key_client, fixture, "run_id=r-9&model=gpt-5-codex&task_type=unit-tests&outcome=escalated"
    )
    assert response.status_code == 201, response.json()
    run = SuiteRun.objects.get(run_id="r-9")
    assert (run.total, run.passed, run.failed, run.errored, run.skipped) == counts
    assert (run.source, run.outcome, run.task_type) == ("junit", "escalated", "unit-tests")


def test_test_run_post__junit_as_text_xml_with_call_ids__links_calls(key_client):
    CallFactory(client=key_client.api_key.client, call_id="c-1")
    response = post_junit(
        key_client, "jest-junit.xml", "run_id=r-2&model=m&call_ids=c-1,c-2", content_type="text/xml"
    )
    assert response.status_code == 201
    assert response.json()["linked_calls"] == 1
    assert response.json()["unknown_call_ids"] == ["c-2"]


def test_test_run_post__junit_without_run_id__400_names_run_id(key_client):
    response = post_junit(key_client, "pytest.xml", "model=gpt-5-codex")
    assert response.status_code == 400
    assert "run_id" in response.json()


@pytest.mark.parametrize(
    "fixture", ["billion-laughs.xml", "external-entity.xml", "doctype-only.xml"]
)
def test_test_run_post__malicious_xml__400_and_nothing_stored(key_client, fixture):
    response = post_junit(key_client, fixture)
    assert response.status_code == 400
    assert "report" in response.json()
    assert not SuiteRun.objects.exists()


def test_test_run_post__report_over_the_size_cap__413(key_client, settings):
    settings.GOVERNOR_JUNIT_MAX_BYTES = 1024
    response = post_junit(key_client, "surefire.xml")
    assert response.status_code == 413
    assert "report" in response.json()["detail"]
    assert not SuiteRun.objects.exists()


def test_test_run_post__not_junit_xml__400_says_what_the_root_was(key_client):
    response = key_client.generic(
        "POST",
        f"{URL}?run_id=r&model=m",
        b"<coverage line-rate='1'/>",
        content_type="application/xml",
    )
    assert response.status_code == 400
    assert "<coverage>" in response.json()["report"][0]
