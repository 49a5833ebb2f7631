"""Deeply nested JSON (100,000 levels) sent to every endpoint that reads
JSON: a 400 naming the nesting, never a 500 from a RecursionError, and
nothing stored. The API's endpoints are those whose request body the
OpenAPI schema documents as JSON, so a new one is covered without editing
this file; the pages that read JSON from a form field are listed."""

from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from governance.audit.models import AuditEvent
from governance.calls.models import Call
from governance.policies.models import PolicyVersion
from governance.policies.services import policy_default_publish
from governance.quality.models import SuiteRun

pytestmark = pytest.mark.django_db

LEVELS = 100_000
DEEP_ARRAYS = b"[" * LEVELS + b"]" * LEVELS
DEEP_OBJECTS = b'{"a": ' * LEVELS + b"1" + b"}" * LEVELS
# Inside a field each endpoint reads, so that no endpoint can refuse the body
# for its shape before meeting the nesting.
BODIES = {
    "arrays-in-calls": b'{"calls": ' + DEEP_ARRAYS + b"}",
    "objects-in-context": b'{"context": ' + DEEP_OBJECTS + b"}",
    "objects-in-attributes": b'{"attributes": ' + DEEP_OBJECTS + b"}",
}
# Known JSON endpoints: the schema must still list each of them.
KNOWN = {
    ("post", "/api/v1/calls"),
    ("post", "/api/v1/test-runs"),
    ("post", "/api/v1/decide"),
    ("post", "/ofrep/v1/evaluate/flags"),
    ("post", "/ofrep/v1/evaluate/flags/{key}"),
}


def json_operations() -> list[tuple[str, str]]:
    """Every operation whose request body the schema documents as JSON (NDJSON
    bodies are records read one line at a time: see the NDJSON test)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "application/json" in (operation.get("requestBody") or {}).get("content", {})
    )


OPERATIONS = json_operations()


@pytest.fixture
def published():
    return policy_default_publish()


def test_json_operations__found_in_the_schema__every_known_one_listed():
    assert set(OPERATIONS) >= KNOWN


@pytest.mark.parametrize("shape", BODIES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api__nested_json__400_naming_the_nesting_and_nothing_stored(
    key_client, issue_key, method, path, shape
):
    if path.startswith("/api/v1/admin/"):
        key_client = APIClient()
        key_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_key(scopes=('admin',))[0]}")
    stored_before = (Call.objects.count(), SuiteRun.objects.count(), AuditEvent.objects.count())

    response = key_client.generic(
        method.upper(),
        path.replace("{key}", "any-flag").replace("{id}", "1").replace("{slug}", "any-team"),
        BODIES[shape],
        content_type="application/json",
    )

    assert response.status_code == 400, response.content[:300]
    assert "nested too deeply" in response.content.decode()
    assert (Call.objects.count(), SuiteRun.objects.count(), AuditEvent.objects.count()) == (
        stored_before
    )


def test_ndjson_ingest__nested_lines__each_record_rejected_naming_the_nesting(key_client):
    deep = b'{"metadata": ' + DEEP_OBJECTS + b"}"

    response = key_client.generic(
        "POST", "/api/v1/calls", deep + b"\n" + deep, content_type="application/x-ndjson"
    )

    assert response.status_code == 207
    assert [r["errors"]["record"] for r in response.json()["rejected"]] == [
        ["JSON is nested too deeply: at most 32 levels."]
    ] * 2
    assert not Call.objects.exists()


@pytest.mark.parametrize("field", ["document", "attributes"])
def test_policy_editor__nested_json_in_a_field__400_naming_the_field_and_nothing_published(
    client, admin_user, published, field
):
    client.force_login(admin_user)
    form = {"document": json.dumps(published.document), "attributes": "{}", "action": "dry_run"}
    form[field] = DEEP_ARRAYS.decode()

    response = client.post("/policies/", form)

    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    assert "nested too deeply" in response.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_flag_form__nested_json_in_variants__400_naming_the_nesting_and_no_flag(client, admin_user):
    client.force_login(admin_user)
    form = {
        "key": "deep",
        "flag_type": "boolean",
        "variants": DEEP_OBJECTS.decode(),
        "default_variant": "on",
        "reason": "abuse test",
    }

    response = client.post("/flags/new/", form)

    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()
    assert not AuditEvent.objects.filter(action="flag.created").exists()
