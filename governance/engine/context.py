"""The request context a decision is made for, and the one parser of it.
Plain Python, no Django.

`POST /api/v1/decide`, the policy editor's dry run and the routing client
read a context through `context_parse`, so a value one of them refuses is
refused by all, with the same message naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

RISKS = ("low", "medium", "high", "critical")
ENVIRONMENTS = ("ci", "ide", "cli", "api", "other")
# The fields a caller sends; team and client come from who is asking.
CONTEXT_FIELDS = ("task_type", "risk", "environment", "targeting_key")
MAX_TASK_TYPE = 64
MAX_TEXT = 256
MAX_ATTRIBUTES = 64

_NO_ATTRIBUTES: Mapping[str, Any] = MappingProxyType({})
_RISKS = frozenset(RISKS)
_ENVIRONMENTS = frozenset(ENVIRONMENTS)
_FIELDS = frozenset((*CONTEXT_FIELDS, "attributes"))
_RISK_ERROR = f"Must be one of {', '.join(RISKS)}."
_ENVIRONMENT_ERROR = f"Must be one of {', '.join(ENVIRONMENTS)}."


# NamedTuples rather than frozen dataclasses: as immutable and cheaper to
# build, and a routing client builds one for every decision.
class Context(NamedTuple):
    task_type: str = ""
    risk: str = "medium"
    environment: str = "other"
    targeting_key: str = ""
    team: str | None = None
    client: str | None = None
    attributes: Mapping[str, Any] = _NO_ATTRIBUTES


class ContextInvalid(ValueError):
    """A context that cannot be decided on: `errors` names each offending
    field with what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def context_parse(data: Any) -> Context:
    """A Context from a caller's fields (JSON values): task_type, risk,
    environment, targeting_key and attributes, each optional. Raises
    ContextInvalid naming every field that is wrong: a bad value is never
    replaced by a default, only an absent field is (and a null text or
    attributes field)."""
    # The routing client parses every decision's context: a valid one, the
    # usual case, takes this short way; anything else the checks below.
    if type(data) is dict and _FIELDS.issuperset(data):
        get = data.get
        task_type = get("task_type", "")
        targeting_key = get("targeting_key", "")
        risk = get("risk", "medium")
        environment = get("environment", "other")
        attributes = get("attributes") or _NO_ATTRIBUTES
        if (
            type(task_type) is str
            and len(task_type) <= MAX_TASK_TYPE
            and type(targeting_key) is str
            and len(targeting_key) <= MAX_TEXT
            and type(risk) is str
            and risk in _RISKS
            and type(environment) is str
            and environment in _ENVIRONMENTS
            and (attributes is _NO_ATTRIBUTES or _attributes_plain(attributes))
        ):
            return Context(task_type, risk, environment, targeting_key, None, None, attributes)
    return _context_checked(data)


_PLAIN = frozenset((int, float, bool, type(None)))


def _attributes_plain(attributes: Any) -> bool:
    """The short way's check of attributes: a dict of short text and plain values."""
    if type(attributes) is not dict or len(attributes) > MAX_ATTRIBUTES:
        return False
    for value in attributes.values():
        if type(value) is str:
            if len(value) > MAX_TEXT:
                return False
        elif type(value) not in _PLAIN:
            return False
    return True


def _context_checked(data: Any) -> Context:
    if not isinstance(data, Mapping):
        raise ContextInvalid({"non_field_errors": ["The body must be a JSON object."]})
    errors: dict[str, list[str]] = {}
    if not _FIELDS.issuperset(data):
        expected = f"Unknown field; expected one of {', '.join(sorted(_FIELDS))}."
        errors.update({key: [expected] for key in data if key not in _FIELDS})
    task_type = _text(data, "task_type", MAX_TASK_TYPE, errors)
    targeting_key = _text(data, "targeting_key", MAX_TEXT, errors)
    risk = data.get("risk", "medium")
    if not isinstance(risk, str) or risk not in _RISKS:
        errors["risk"] = [_RISK_ERROR]
    environment = data.get("environment", "other")
    if not isinstance(environment, str) or environment not in _ENVIRONMENTS:
        errors["environment"] = [_ENVIRONMENT_ERROR]
    attributes = data.get("attributes") or _NO_ATTRIBUTES
    if attributes is not _NO_ATTRIBUTES:
        problems = _attribute_problems(attributes)
        if problems:
            errors["attributes"] = problems
    if errors:
        raise ContextInvalid(errors)
    return Context(
        task_type=task_type,
        risk=risk,
        environment=environment,
        targeting_key=targeting_key,
        attributes=attributes,
    )


def _text(data: Mapping[str, Any], name: str, limit: int, errors: dict[str, list[str]]) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        errors[name] = [f"Must be text of at most {limit} characters."]
        return ""
    return value


def _attribute_problems(attributes: Any) -> list[str]:
    if not isinstance(attributes, Mapping):
        return ["Must be an object of names to text, numbers, booleans or null."]
    if len(attributes) > MAX_ATTRIBUTES:
        return [f"At most {MAX_ATTRIBUTES} attributes."]
    bad = [name for name, value in attributes.items() if not _is_attribute_value(value)]
    return [
        f"Attribute '{name}' must be text (at most {MAX_TEXT}), a number, a boolean or null."
        for name in sorted(bad, key=str)
    ]


def _is_attribute_value(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    return value is None or isinstance(value, (int, float, bool))
