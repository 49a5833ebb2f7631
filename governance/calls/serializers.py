"""Call records: the one description of an ingested record, its validation,
and the serializers of the calls API.

Ingestion takes batches of thousands of records, so records are decoded and
type-checked by msgspec (in C) straight from the request bytes, one record at
a time so that one bad record is rejected alone, with its field named. The
same msgspec types describe the request body in the OpenAPI schema
(governance.core.rest.openapi_refs): what is documented is what is
validated. The rules msgspec cannot express (cross-field checks, the clock,
sizes) follow in `validate_record`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.calls.models import Call, Status
from governance.core.parsers import BodyError, json_problem
from governance.core.rest import openapi_refs

MAX_TOKENS = 10**12
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST_YEAR = 2000
MAX_TEXT_CHARS = 256_000
MAX_REPORTED_COST = Decimal(10**9)

Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]
Slug = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
Name = Annotated[str, msgspec.Meta(max_length=128)]


class CallRecord(msgspec.Struct, omit_defaults=True):
    """One model call, as a routing client reports it."""

    call_id: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=128, description="Client-chosen id, unique per client."
        ),
    ]
    timestamp: Annotated[
        datetime,
        msgspec.Meta(
            description="RFC 3339 with a UTC offset; at most 5 minutes in the future.",
            extra_json_schema={"format": "date-time"},
        ),
    ]
    model: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    provider: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    task_type: Slug | None = None
    risk: (
        Annotated[
            Literal["low", "medium", "high", "critical"],
            msgspec.Meta(description="Default medium."),
        ]
        | None
    ) = None
    environment: (
        Annotated[
            Literal["ci", "ide", "cli", "api", "other"], msgspec.Meta(description="Default other.")
        ]
        | None
    ) = None
    input_tokens: Count | None = None
    cached_input_tokens: (
        Annotated[Count, msgspec.Meta(description="Part of input_tokens.")] | None
    ) = None
    output_tokens: Count | None = None
    reasoning_tokens: (
        Annotated[Count, msgspec.Meta(description="Part of output_tokens.")] | None
    ) = None
    latency_ms: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] | None = None
    status: (
        Annotated[
            Literal["ok", "error", "timeout", "rate_limited", "cancelled"],
            msgspec.Meta(description="Default ok."),
        ]
        | None
    ) = None
    error_type: Name | None = None
    retries: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    fallback_from: Name | None = None
    decision_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    reported_cost_usd: (
        Annotated[Decimal, msgspec.Meta(description=f"USD, from 0 to {MAX_REPORTED_COST}.")] | None
    ) = None
    prompt: Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)] | None = None
    response: Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)] | None = None
    metadata: (
        Annotated[
            dict[str, Any],
            msgspec.Meta(
                description="At most GOVERNOR_MAX_METADATA_BYTES (4 KiB by default) of JSON."
            ),
        ]
        | None
    ) = None


[CALL_RECORD] = openapi_refs(CallRecord)


class CallBatch(msgspec.Struct):
    """A batch of call records. Each record is validated on its own: a bad one
    is rejected, its fields named, and the others are stored."""

    # Raw: each record is decoded later, alone (validate_record).
    calls: Annotated[
        list[Annotated[msgspec.Raw, msgspec.Meta(extra_json_schema=CALL_RECORD)]],
        msgspec.Meta(
            description="At most GOVERNOR_MAX_BATCH records (5,000 by default).",
            extra_json_schema={"minItems": 1},
        ),
    ]


[CALL_BATCH] = openapi_refs(CallBatch)


@dataclass(slots=True)
class ValidCall:
    """A record that passed every check, with defaults filled in.

    Its price is the one thing set later, once, by the plausibility check that
    computes it (calls.plausibility), so that ingestion does not price the
    call a second time; an empty price_source means not priced yet.
    """

    call_id: str
    timestamp: datetime
    model: str
    provider: str
    task_type: str
    risk: str
    environment: str
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    latency_ms: int | None
    status: str
    error_type: str
    retries: int
    fallback_from: str
    decision_id: str
    reported_cost_usd: Decimal | None
    prompt: str
    response: str
    metadata: dict[str, Any]
    metadata_json: str
    repo: str
    cost_usd: Decimal | None = field(default=None, compare=False)
    price_source: str = field(default="", compare=False)


@dataclass
class Rejection:
    index: int
    call_id: str | None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "call_id": self.call_id, "errors": self.errors}


_decode_batch = msgspec.json.Decoder(CallBatch).decode
_decode_record = msgspec.json.Decoder(CallRecord).decode
_decode_any = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_FIELD_IN_PATH = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def split_body(body: bytes, *, ndjson: bool, max_records: int) -> list[bytes | msgspec.Raw]:
    """The raw records of a body; raises BodyError for a body that is not a batch."""
    if ndjson:
        raws: list[bytes | msgspec.Raw] = [line for line in body.split(b"\n") if line.strip()]
    else:
        try:
            raws = list(_decode_batch(body).calls)
        except msgspec.ValidationError as exc:
            raise BodyError(400, f'Body must be an object {{"calls": [...]}}: {exc}') from None
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as exc:
            raise BodyError(400, json_problem(exc, body)) from None
    if not raws:
        raise BodyError(400, "calls: a batch must hold at least 1 record.")
    if len(raws) > max_records:
        raise BodyError(
            413, f"calls: a batch holds at most {max_records} records; this one has {len(raws)}."
        )
    return raws


def validate_record(
    raw: bytes | msgspec.Raw, *, index: int, now: datetime, max_metadata_bytes: int
) -> ValidCall | Rejection:
    try:
        rec = _decode_record(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        return Rejection(
            index=index, call_id=_best_effort_call_id(raw), errors=_errors_from_msgspec(exc)
        )
    except (RecursionError, UnicodeDecodeError) as exc:
        return Rejection(index=index, call_id=None, errors={"record": [json_problem(exc, raw)]})
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    # JSON can only carry a NUL as the escape \u0000: look for it once in the
    # record's bytes before looking at every string.
    if b"\\u0000" in (raw if isinstance(raw, bytes) else bytes(raw)):
        for name in rec.__struct_fields__:
            value = getattr(rec, name)
            problem = _text_problem(value) if isinstance(value, str) else None
            if problem:
                fail(name, problem)
        if rec.metadata and any(_text_problem(text) for text in _strings(rec.metadata)):
            fail("metadata", "Must not contain NUL characters.")
    if errors:
        # Only fields that are safe to echo back (and to store) are named.
        safe_id = None if "call_id" in errors else rec.call_id
        return Rejection(index=index, call_id=safe_id, errors=errors)

    if rec.timestamp.tzinfo is None:
        fail("timestamp", "Must be RFC 3339 with a UTC offset, e.g. 2026-01-31T12:00:00Z.")
    elif rec.timestamp.year < EARLIEST_YEAR:
        # Also keeps year-1 timestamps with an offset from overflowing in UTC.
        fail("timestamp", f"Must be in {EARLIEST_YEAR} or later.")
    elif rec.timestamp - now > FUTURE_TOLERANCE:
        fail("timestamp", "Is more than 5 minutes in the future.")
    input_tokens = rec.input_tokens or 0
    cached = rec.cached_input_tokens or 0
    output_tokens = rec.output_tokens or 0
    reasoning = rec.reasoning_tokens or 0
    if cached > input_tokens:
        fail(
            "cached_input_tokens",
            "Cannot exceed input_tokens (cached tokens are part of the input).",
        )
    if reasoning > output_tokens:
        fail(
            "reasoning_tokens",
            "Cannot exceed output_tokens (reasoning tokens are part of the output).",
        )
    metadata = rec.metadata or {}
    metadata_json = _encode(metadata).decode()
    if len(metadata_json) > max_metadata_bytes:
        fail(
            "metadata",
            f"Is {len(metadata_json)} bytes of JSON; at most {max_metadata_bytes} are allowed.",
        )
    cost = rec.reported_cost_usd
    if cost is not None and (not cost.is_finite() or not 0 <= cost <= MAX_REPORTED_COST):
        fail("reported_cost_usd", f"Must be between 0 and {MAX_REPORTED_COST}.")
    repo = metadata.get("repo")
    if errors:
        return Rejection(index=index, call_id=rec.call_id, errors=errors)
    return ValidCall(
        call_id=rec.call_id,
        timestamp=rec.timestamp,
        model=rec.model,
        provider=rec.provider or "",
        task_type=rec.task_type or "",
        risk=rec.risk or "medium",
        environment=rec.environment or "other",
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning,
        latency_ms=rec.latency_ms,
        status=rec.status or "ok",
        error_type=rec.error_type or "",
        retries=rec.retries or 0,
        fallback_from=rec.fallback_from or "",
        decision_id=rec.decision_id or "",
        reported_cost_usd=rec.reported_cost_usd,
        prompt=rec.prompt or "",
        response=rec.response or "",
        metadata=metadata,
        metadata_json=metadata_json,
        repo=repo[:255] if isinstance(repo, str) else "",
    )


def _text_problem(value: str) -> str | None:
    # PostgreSQL text and jsonb cannot hold NUL: refuse it here, naming the
    # field, rather than failing the whole batch in the database. (Unpaired
    # surrogate escapes never get this far: msgspec refuses the body.)
    if "\x00" in value:
        return "Must not contain NUL characters."
    return None


def _strings(value: object):
    """Every string in a JSON value, keys included (iteratively: no recursion limit)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _errors_from_msgspec(exc: Exception) -> dict[str, list[str]]:
    message = str(exc)
    missing = _MISSING_FIELD.search(message)
    if missing:
        return {missing.group(1): ["This field is required."]}
    found = _FIELD_IN_PATH.search(message)
    if found:
        return {found.group(1): [message.split(" - at ")[0] + "."]}
    if isinstance(exc, msgspec.DecodeError):
        return {"record": [f"Not valid JSON: {message}"]}
    return {"record": [f"Must be a JSON object: {message}"]}


def _best_effort_call_id(raw: bytes | msgspec.Raw) -> str | None:
    try:
        value = _decode_any(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    call_id = value.get("call_id") if isinstance(value, dict) else None
    return call_id if isinstance(call_id, str) else None


# --- the calls API's answers (DRF: its output and the OpenAPI description) ------------


class RejectionDoc(serializers.Serializer):
    index = serializers.IntegerField()
    call_id = serializers.CharField(allow_null=True)
    # The response's field is called "errors"; this serializer only documents
    # the schema and is never validated, so hiding Serializer.errors is harmless.
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]


class IngestResultDoc(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = RejectionDoc(many=True)


class CallOutputSerializer(serializers.ModelSerializer):
    team: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    client = serializers.CharField(source="client.name", read_only=True)
    cost_usd = serializers.DecimalField(
        max_digits=20, decimal_places=10, allow_null=True, read_only=True
    )
    reported_cost_usd = serializers.DecimalField(
        max_digits=20, decimal_places=10, allow_null=True, read_only=True
    )
    priced = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = (
            "call_id", "team", "client", "timestamp", "received_at", "model", "provider", "task_type", "risk",
            "environment", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens",
            "latency_ms", "status", "error_type", "retries", "fallback_from", "decision_id",
            "reported_cost_usd", "cost_usd", "price_source", "priced", "repo", "metadata",
        )  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField)
    def get_priced(self, obj: Call) -> bool:
        return obj.cost_usd is not None


class CallListQuery(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="Inclusive lower bound on timestamp."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Exclusive upper bound on timestamp."
    )
    model = serializers.CharField(required=False, max_length=128)
    task_type = serializers.CharField(required=False, max_length=64)
    status = serializers.ChoiceField(Status.choices, required=False)
    team = serializers.SlugField(
        required=False, help_text="Managers and admins only: one team's calls."
    )

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be later than since."]})
        return attrs
