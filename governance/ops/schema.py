"""OpenAPI: the answers every endpoint can give, documented once.

Views document their own successes and domain errors; the answers that come
from the layers around them (authentication, permissions, the per-key rate
limit, body limits, a database outage) are the same everywhere, so this
drf-spectacular post-processing hook adds them wherever a view did not.
"""

from __future__ import annotations

ERROR_COMPONENT = "Error"

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "string",
            "description": "What went wrong, naming the field when there is one.",
        },
        "field": {"type": "string"},
    },
}

_SECURED = {
    "401": "No credentials, or an unknown, revoked or expired API key.",
    "403": "The key lacks the scope, or the user the role, this operation needs.",
    "429": "Over the API key's rate limit; retry after the `Retry-After` seconds.",
}
_WITH_BODY = {
    "400": "The body is not what this operation accepts (the detail names the field).",
    "413": "The body is larger than GOVERNOR_MAX_BODY_BYTES.",
    "415": "Unsupported Content-Type, or a compressed (Content-Encoding) body.",
}
_WITH_PATH_PARAMETER = {"404": "Nothing with that identifier is visible to this key or user."}
_ALWAYS = {"503": "The database is unavailable; retry after the `Retry-After` seconds."}
_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before retrying.",
    }
}


def add_standard_error_responses(result: dict, generator, request, public) -> dict:
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            standard = dict(_ALWAYS)
            if operation.get("security", [{}]) != [{}] and operation.get("security") != []:
                standard.update(_SECURED)
            if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
                standard.update(_WITH_PATH_PARAMETER)
            if "requestBody" in operation:
                standard.update(_WITH_BODY)
            if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
                standard["400"] = "A query parameter is not valid (the detail names it)."
            for code, description in standard.items():
                if code in operation["responses"]:
                    continue
                response = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
                        }
                    },
                }
                if code in {"429", "503"}:
                    response["headers"] = _RETRY_AFTER
                operation["responses"][code] = response
    return result


# What one answer lets a client ask next (OpenAPI links): the stateful fuzz
# (`make fuzz`) follows them, sending what one operation stored or answered
# to the next one.
_LINKS: dict[str, dict[tuple[str, ...], dict[str, dict]]] = {
    "calls_ingest": {
        ("200", "207"): {
            "CallsOfTheModelSent": {
                "operationId": "calls_list",
                "parameters": {"model": "$request.body#/calls/0/model"},
                "description": "The stored calls of the first record's model.",
            }
        }
    },
    "test_runs_record": {
        ("200", "201"): {
            "PassRatesOfTheRunsModel": {
                "operationId": "quality_pass_rates",
                "parameters": {"model": "$response.body#/model"},
                "description": "Pass rates of the model the run was made with.",
            }
        }
    },
    "ofrep_evaluate_flags": {
        ("200",): {
            "TheFirstFlagAlone": {
                "operationId": "ofrep_evaluate_flag",
                "parameters": {"key": "$response.body#/flags/0/key"},
                "description": "The first flag of the bulk answer, evaluated alone.",
            }
        }
    },
}


def add_links(result: dict, generator, request, public) -> dict:
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for codes, links in _LINKS.get(operation.get("operationId", ""), {}).items():
                for code in codes:
                    if code in operation.get("responses", {}):
                        operation["responses"][code].setdefault("links", {}).update(links)
    return result
