"""The one strict reader of request bodies, used by every endpoint that reads one.

Two steps, each written once:

- `body_refusal` judges a body by its headers before anything reads it:
  compressed bodies are refused (decompressing is how a small request becomes
  a memory bomb), and so is a Content-Length that is not a number or is over
  the limit. BodyLimitMiddleware applies it to every request with the global
  limit (GOVERNOR_MAX_BODY_BYTES); `body_read` applies it again only where an
  endpoint takes less (a JUnit report), and inflates gzip under a hard cap
  for the endpoints that take it (OTLP).
- `json_parse` decodes JSON strictly: UTF-8 only, no NaN or Infinity and no
  number out of range (msgspec refuses what `json` would turn into a float
  infinity), and at most GOVERNOR_MAX_JSON_DEPTH levels of nesting, with
  hostile nesting answered as the client's error rather than a RecursionError.
  `json_problem` words what msgspec refused, for the endpoints that decode
  with their own typed msgspec decoders (call ingestion).

Every refusal is a BodyError holding the HTTP status and a message naming
the problem; each endpoint answers it in its own error shape.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import msgspec
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


class BodyError(Exception):
    """A body that will not be read: answer `status` with `message`; `field`
    names the header or the body."""

    def __init__(self, status: int, message: str, *, field: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def body_refusal(
    meta: Mapping[str, Any], *, limit: int, inflates_itself: bool = False
) -> BodyError | None:
    """Why a request's body must not be read (from its headers), or None.

    A compressed body is refused unless the endpoint `inflates_itself` under a
    hard cap (OTLP exporters compress): decompressing is how a small request
    becomes a memory bomb."""
    encoding = str(meta.get("HTTP_CONTENT_ENCODING", "")).strip().lower()
    if encoding and encoding != "identity" and not inflates_itself:
        return BodyError(
            415,
            f"Content-Encoding '{encoding[:32]}' is not accepted; send the body uncompressed.",
            field="Content-Encoding",
        )
    raw_length = meta.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw_length)
    except ValueError:
        return BodyError(400, "Content-Length must be an integer.", field="Content-Length")
    if length < 0:
        return BodyError(400, "Content-Length must not be negative.", field="Content-Length")
    if length > limit:
        return BodyError(413, f"The request body is {length} bytes; the limit is {limit}.")
    return None


def body_read(
    meta: Mapping[str, Any],
    stream: _Readable,
    *,
    limit: int | None = None,
    inflate: bool = False,
) -> bytes:
    """The body's bytes. Without `limit`, the global limit BodyLimitMiddleware
    already applied holds; with one, a tighter limit for this endpoint, checked
    on the headers and again on what is read (a Content-Length can lie).

    With `inflate` (OTLP exporters compress), a gzip body is inflated a chunk
    at a time and never past `limit`: a bomb costs the limit and no more."""
    encoding = str(meta.get("HTTP_CONTENT_ENCODING", "")).strip().lower()
    if inflate and encoding not in ("", "identity"):
        if encoding not in ("gzip", "x-gzip"):
            raise BodyError(
                415,
                f"Content-Encoding '{encoding[:32]}' is not accepted; use gzip or none.",
                field="Content-Encoding",
            )
        return _inflate(stream, limit or settings.GOVERNOR_MAX_BODY_BYTES)
    if limit is None:
        return stream.read()
    refusal = body_refusal(meta, limit=limit)
    if refusal is not None:
        raise refusal
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise BodyError(413, f"The request body exceeds the limit of {limit} bytes.")
    return body


READ_CHUNK = 64 * 1024


def _inflate(stream: _Readable, limit: int) -> bytes:
    out = bytearray()
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    fed = 0
    while chunk := stream.read(READ_CHUNK):
        fed += len(chunk)
        if fed > limit:
            raise BodyError(413, f"The compressed body exceeds {limit} bytes.")
        data = chunk
        while data:
            try:
                # Never more than one byte past the cap: a bomb is stopped there.
                out += inflater.decompress(data, limit + 1 - len(out))
            except zlib.error as exc:
                raise BodyError(400, f"The gzip body is corrupt: {exc}.") from None
            if len(out) > limit:
                raise BodyError(413, f"The body inflates past {limit} bytes; send smaller batches.")
            if inflater.eof:
                # Concatenated gzip members are one body (RFC 1952).
                data = inflater.unused_data
                if data:
                    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            else:
                data = inflater.unconsumed_tail
    if not inflater.eof:
        raise BodyError(400, "The gzip body is empty or truncated.")
    return bytes(out)


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


def _too_deep() -> str:
    return f"JSON is nested too deeply: at most {settings.GOVERNOR_MAX_JSON_DEPTH} levels."


_decode = msgspec.json.Decoder().decode
_AT_BYTE = re.compile(r"\(byte (\d+)\)")
_NOT_NUMBERS = (b"NaN", b"Infinity", b"-Infinity")


def json_problem(exc: Exception, raw: bytes | msgspec.Raw) -> str:
    """What is wrong with a JSON document msgspec refused, in words a client
    can act on."""
    if isinstance(exc, RecursionError):
        return _too_deep()
    if isinstance(exc, UnicodeDecodeError):
        return f"This is not valid UTF-8 (byte {exc.start})."
    message = str(exc)
    if "UTF-8" in message:
        return "This is not valid UTF-8."
    at = _AT_BYTE.search(message)
    if at is not None:
        position = int(at.group(1))
        text = bytes(raw)
        if text[position:].startswith(_NOT_NUMBERS) or text[position - 1 :].startswith(
            b"-Infinity"
        ):
            return f"NaN and Infinity are not JSON numbers (byte {position})."
    return f"This is not valid JSON: {message}."


def json_parse(raw: bytes) -> Any:
    """A JSON document from a body, strictly (see the module docstring);
    raises BodyError (400) naming what is wrong."""
    try:
        value = _decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise BodyError(400, json_problem(exc, raw)) from None
    if json_depth_exceeds(value, settings.GOVERNOR_MAX_JSON_DEPTH):
        raise BodyError(400, _too_deep())
    return value


class StrictJSONParser(BaseParser):
    """The JSON parser of every DRF endpoint: `json_parse`, as a ParseError (400)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        charset = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        if charset.lower().replace("-", "") != "utf8":
            raise ParseError("JSON bodies must be UTF-8.")
        try:
            return json_parse(stream.read() if stream is not None else b"")
        except BodyError as exc:
            raise ParseError(exc.message) from None
