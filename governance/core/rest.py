"""Project-wide REST helpers: one error shape for every API response, and
OpenAPI components described by the msgspec types that validate requests."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from governance.core.errors import FieldError

logger = logging.getLogger("governance.api")


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry shortly."
    default_code = "service_unavailable"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # A database outage is the server's problem, not the client's: 503 with
    # Retry-After so that well-behaved clients back off and retry, never a 500.
    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and _connection_lost(exc)
    ):
        logger.warning("api.database_unavailable", extra={"error": type(exc).__name__})
        response = Response(
            {"detail": ServiceUnavailable.default_detail},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "2"
        return response
    if isinstance(exc, FieldError):
        # A service or selector refused one input: the answer names it, as a
        # serializer's validation error does.
        return Response({exc.field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def _connection_lost(exc: DatabaseError) -> bool:
    text = str(exc).lower()
    return "connection" in text and ("closed" in text or "terminat" in text or "lost" in text)


# --- OpenAPI from msgspec types -------------------------------------------------

_REF = "#/components/schemas/{name}"
_components: dict[str, dict] = {}


def openapi_refs(*types: Any) -> list[dict]:
    """OpenAPI references to msgspec types, whose schemas (and those of the
    types they hold) become components of the served schema: a request
    validated by a msgspec type is documented by that same type."""
    refs, components = msgspec.json.schema_components(types, ref_template=_REF)
    _components.update({name: _openapi_3_0(schema) for name, schema in components.items()})
    return list(refs)


def add_msgspec_components(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the components `openapi_refs` made."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(_components)
    return result


def _openapi_3_0(node: Any) -> Any:
    # msgspec writes JSON Schema 2020-12, where an optional value is anyOf
    # [schema, {"type": "null"}]; OpenAPI 3.0 says nullable instead.
    if isinstance(node, list):
        return [_openapi_3_0(item) for item in node]
    if not isinstance(node, dict):
        return node
    variants = node.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        rest = [v for v in variants if v != {"type": "null"}]
        base = rest[0] if len(rest) == 1 else {"anyOf": rest}
        if "$ref" in base:
            base = {"allOf": [base]}
        node = {**{k: v for k, v in node.items() if k != "anyOf"}, **base, "nullable": True}
    return {key: _openapi_3_0(value) for key, value in node.items()}
