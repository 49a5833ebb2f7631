"""The JSON parser for every API endpoint: strict UTF-8, bounded nesting."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_exceeds(value: object, limit: int) -> bool:
    # Iterative, so a hostile document cannot exhaust the interpreter stack here
    # or in any recursive code (redaction, serialisation) further down.
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[object]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        charset = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        if charset.lower().replace("-", "") != "utf8":
            raise ParseError("JSON bodies must be UTF-8.")
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not valid UTF-8 (byte {exc.start}).") from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError("JSON nesting is too deep.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(data, settings.GOVERNOR_MAX_JSON_DEPTH):
            raise ParseError(
                f"JSON nesting is deeper than {settings.GOVERNOR_MAX_JSON_DEPTH} levels."
            )
        return data


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON; accepting them would put them in Decimals.
    raise ValueError(f"{name} is not a valid JSON value")
