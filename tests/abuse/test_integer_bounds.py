"""Every integer a client sends is bounded by what its column can hold: an
out-of-range number is a 400 naming the field, never a database error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _integer_properties(schema: dict, node: dict, path: str):
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        yield from _integer_properties(schema, schema["components"]["schemas"][name], name)
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for i, child in enumerate(node.get(key, [])):
            yield from _integer_properties(schema, child, f"{path}.{key}[{i}]")
    if node.get("type") == "integer":
        yield path, node
    for name, child in node.get("properties", {}).items():
        yield from _integer_properties(schema, child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from _integer_properties(schema, node["items"], f"{path}[]")


def test_openapi__every_integer_a_client_sends__declares_a_maximum(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    unbounded = []
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            params = [p["schema"] | {"name": p["name"]} for p in operation.get("parameters", [])]
            nodes = [(f"{method} {route} body", media["schema"]) for media in body.values()]
            nodes += [(f"{method} {route} ?{p['name']}", p) for p in params]
            for where, node in nodes:
                for path, prop in _integer_properties(schema, node, where):
                    if "maximum" not in prop:
                        unbounded.append(path)

    assert unbounded == []


def test_test_runs__attempt_beyond_any_column__400_naming_attempt(key_client):
    response = key_client.post(
        "/api/v1/test-runs",
        {
            "run_id": "r-1",
            "model": "gpt-5-codex-mini",
            "job": "pr-9",
            "attempt": 4077451943,
            "total": 1,
            "passed": 1,
            "failed": 0,
            "errored": 0,
            "skipped": 0,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "attempt" in response.json()
