"""What load balancers and Prometheus see: /healthz, /readyz, /metrics."""

import socket

import pytest

from governance.celery import app as celery_app
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz__process_up__answers_ok_without_credentials(api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readyz__database_reachable_and_eager__is_ready(api_client):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True
    assert response.json()["checks"]["broker"]["ok"] is True


@pytest.fixture
def unreachable_broker(settings, monkeypatch):
    url = f"redis://127.0.0.1:{_closed_port()}/2"
    settings.CELERY_BROKER_URL = url
    # Celery reads CELERY_BROKER_URL from the environment before its own conf.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    previous = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    yield url
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous


def test_readyz__broker_unreachable__503_with_retry_after(api_client, unreachable_broker):
    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
        if not labels and line.startswith(f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{wanted}}} not in /metrics")


def test_metrics__after_requests__counts_them_by_route_and_status(api_client):
    before = api_client.get("/metrics").content.decode()
    start = (
        _sample(
            before, "governor_http_requests_total", route="/healthz", status="200", method="GET"
        )
        if 'route="/healthz"' in before
        else 0.0
    )

    api_client.get("/healthz")
    api_client.get("/healthz")
    text = api_client.get("/metrics").content.decode()

    assert (
        _sample(text, "governor_http_requests_total", route="/healthz", status="200", method="GET")
        == start + 2
    )
    assert "governor_http_request_duration_seconds_bucket" in text


def test_metrics__after_ingestion__counts_stored_duplicate_and_rejected_calls(
    api_client, key_client
):
    def counts():
        text = api_client.get("/metrics").content.decode()
        return {
            outcome: (
                _sample(text, "governor_calls_ingested_total", outcome=outcome)
                if f'outcome="{outcome}"' in text
                else 0.0
            )
            for outcome in ("stored", "duplicate", "rejected")
        }

    before = counts()
    good = call_record()
    post_calls(key_client, [good, call_record(), call_record(input_tokens=-1)])
    post_calls(key_client, [good])

    after = counts()
    assert after["stored"] - before["stored"] == 2
    assert after["duplicate"] - before["duplicate"] == 1
    assert after["rejected"] - before["rejected"] == 1


def test_metrics__token_configured__refuses_scrapes_without_it(api_client, settings):
    settings.GOVERNOR_METRICS_TOKEN = "scrape-token-123"

    assert api_client.get("/metrics").status_code == 401
    assert api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert (
        api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-123").status_code == 200
    )


def test_metrics__flags_changed__snapshot_version_follows(api_client):
    from tests.flags.factories import make_flag

    before = _sample(api_client.get("/metrics").content.decode(), "governor_flags_snapshot_version")
    make_flag(key="metrics-flag")

    text = api_client.get("/metrics").content.decode()
    assert _sample(text, "governor_flags_snapshot_version") > before
    assert _sample(text, "governor_flags") == 1


def test_metrics__policy_published_and_budget_saved__version_and_budget_states_shown(
    api_client, admin_user
):
    from decimal import Decimal

    from governance.budgets.services import budget_save
    from governance.policies.services import policy_default_publish

    version = policy_default_publish(actor=admin_user)
    budget_save(team=None, actor=admin_user, name="Organisation", limit=Decimal("100"))

    text = api_client.get("/metrics").content.decode()
    assert _sample(text, "governor_policy_version") == version.number
    assert _sample(text, "governor_budgets", state="normal") == 1
    assert _sample(text, "governor_budgets", state="exhausted") == 0


def test_metrics__database_unavailable_for_state__process_metrics_still_served(
    api_client, monkeypatch
):
    from django.db import OperationalError

    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setattr("governance.flags.selectors.flags_snapshot_current", broken)
    monkeypatch.setattr("governance.policies.selectors.policy_current", broken)
    monkeypatch.setattr("governance.budgets.selectors.budgets_visible", broken)

    response = api_client.get("/metrics")

    assert response.status_code == 200
    text = response.content.decode()
    assert "governor_http_requests_total" in text
    assert "governor_policy_version" not in text


def test_not_found__api_path__json_for_api_clients_and_html_for_pages(api_client):
    api = api_client.get("/api/v1/no-such-thing")
    page = api_client.get("/no-such-page/")

    assert api.status_code == page.status_code == 404
    assert api.json() == {"detail": "Not found."}
    assert page["Content-Type"].startswith("text/html")
