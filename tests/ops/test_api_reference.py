"""The API reference people read: Swagger UI drawn from the app's own files,
and examples that are true (each request example, sent to the endpoint,
gets the answer its response example shows)."""

from __future__ import annotations

import io
import random

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from governance.flags import demo as flags_demo

pytestmark = pytest.mark.django_db

# Sent in this order: the test run links to the call ingested before it.
DOCUMENTED = (
    ("calls_ingest", "/api/v1/calls"),
    ("test_runs_record", "/api/v1/test-runs"),
    ("api_v1_decide_create", "/api/v1/decide"),
    ("ofrep_evaluate_flag", "/ofrep/v1/evaluate/flags/mini-model-boilerplate-pilot"),
    ("ofrep_evaluate_flags", "/ofrep/v1/evaluate/flags"),
)


def test_api_reference__page__swagger_ui_from_the_apps_own_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    text = response.content.decode()
    sources = [part.split('"')[0] for part in text.split('<script src="')[1:]]
    assert sources[:2] == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    ]
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert "<script>" not in text  # the set-up script is a file too
    setup = client.get(sources[2])
    assert setup["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in setup.content


def _operations() -> dict[str, dict]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]: operation
        for methods in schema["paths"].values()
        for operation in methods.values()
    }


def test_api_reference__request_examples__answered_as_the_response_examples_show(key_client):
    flags_demo.load(rng=random.Random(7), now=timezone.now(), out=io.StringIO())
    operations = _operations()

    for operation_id, path in DOCUMENTED:
        operation = operations[operation_id]
        requests = operation["requestBody"]["content"]["application/json"]["examples"]
        answers = {
            status: example["value"]
            for status, response in operation["responses"].items()
            for example in response.get("content", {})
            .get("application/json", {})
            .get("examples", {})
            .values()
        }
        for example in requests.values():
            response = key_client.post(path, example["value"], format="json")

            assert str(response.status_code) in answers, (operation_id, response.content)
            assert response.json().keys() == answers[str(response.status_code)].keys()
