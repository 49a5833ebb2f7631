"""OTLP/HTTP receivers: POST /otlp/v1/logs and POST /otlp/v1/traces (scope `ingest`).

An exporter's `headers` setting is all the authentication needed (Bearer or
X-API-Key). Answers follow the OTLP/HTTP specification and are encoded like
the request: 200 with an Export*ServiceResponse (partial_success counts and
explains rejected records), 400 for a body that cannot be decoded, 401/403,
413, 415, and 429/503 with Retry-After so that exporters retry. Records that
are not model calls are accepted and ignored.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from governance.accounts.permissions import HasIngestScope
from governance.calls.otlp import wire
from governance.calls.otlp.decoding import decode
from governance.calls.otlp.mapping import Intake, calls_from_records
from governance.calls.otlp.wire import JSON, LOGS, PROTOBUF, TRACES
from governance.calls.plausibility import plausibility_current
from governance.calls.services import calls_ingest
from governance.core import metrics
from governance.core.parsers import BodyError, body_read

logger = logging.getLogger("governance.calls.otlp")

MAX_REASONS = 5
MAX_MESSAGE_CHARS = 2000
# Headers a refusal must keep: how to authenticate, and when to retry.
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After")


STATUS_DOC = inline_serializer(
    "OtlpStatus",
    {
        "code": serializers.IntegerField(help_text="google.rpc.Code"),
        "message": serializers.CharField(help_text="What was wrong, naming where."),
    },
)


def _response_doc(signal: str):
    rejected = "rejectedLogRecords" if signal == LOGS else "rejectedSpans"
    name = "ExportLogsPartialSuccess" if signal == LOGS else "ExportTracePartialSuccess"
    return inline_serializer(
        "ExportLogsServiceResponse" if signal == LOGS else "ExportTraceServiceResponse",
        {
            "partialSuccess": inline_serializer(
                name,
                {
                    rejected: serializers.CharField(help_text="A 64-bit count, as a string."),
                    "errorMessage": serializers.CharField(),
                },
                required=False,
            )
        },
    )


def _schema(signal: str):
    what = "log records" if signal == LOGS else "spans"
    request_name = "ExportLogsServiceRequest" if signal == LOGS else "ExportTraceServiceRequest"
    binary = OpenApiTypes.BINARY
    refusals = {
        400: "The body cannot be decoded (the message names where), or an id has the wrong length.",
        401: "No credentials, or an unknown, revoked or expired API key.",
        403: "The key lacks the `ingest` scope.",
        413: f"The body (inflated) exceeds GOVERNOR_OTLP_MAX_BODY_BYTES, or holds more than GOVERNOR_OTLP_MAX_RECORDS {what}.",
        415: "A Content-Type other than application/x-protobuf or application/json, or a Content-Encoding other than gzip.",
        429: "Over the API key's rate limit; retry after `Retry-After` seconds.",
        503: "The database is unavailable; retry after `Retry-After` seconds.",
    }
    responses: dict = {
        (200, JSON): OpenApiResponse(
            _response_doc(signal),
            description=f"Accepted; partialSuccess counts the {what} rejected and says why.",
        ),
        (200, PROTOBUF): OpenApiResponse(
            binary, description=f"A protobuf {request_name[:-7]}Response."
        ),
    }
    for code, description in refusals.items():
        responses[(code, JSON)] = OpenApiResponse(STATUS_DOC, description=description)
        responses[(code, PROTOBUF)] = OpenApiResponse(
            binary, description=description + " (a protobuf google.rpc.Status)"
        )
    return extend_schema(
        operation_id=f"otlp_{signal}_export",
        summary=f"OTLP/HTTP {signal} receiver",
        description=(
            f"An OTLP/HTTP {request_name}, protobuf or OTLP/JSON, optionally gzip-compressed "
            "(Content-Encoding: gzip). Model calls among the records are stored like "
            "POST /api/v1/calls; other records are ignored. See docs/otlp.md."
        ),
        request={PROTOBUF: binary, JSON: OpenApiTypes.OBJECT},
        responses=responses,
        parameters=[
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[429, 503],
                description="Seconds to wait before retrying.",
            )
        ],
    )


class OtlpReceiver(APIView):
    signal: ClassVar[str]
    permission_classes = [HasIngestScope]

    def perform_content_negotiation(self, request, force=False):
        # Answers are encoded like the request, whatever Accept asks for.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def post(self, request):
        media = wire.media_type(request.content_type)
        what = "log records" if self.signal == LOGS else "spans"
        try:
            if media is None:
                raise BodyError(
                    415,
                    f"Content-Type must be {PROTOBUF} or {JSON}, "
                    f"not {(request.content_type or 'missing')[:64]}.",
                )
            body = body_read(
                request.META,
                request._request,
                limit=settings.GOVERNOR_OTLP_MAX_BODY_BYTES,
                inflate=True,
            )
            records = decode(
                body,
                signal=self.signal,
                media=media,
                max_records=settings.GOVERNOR_OTLP_MAX_RECORDS,
            )
        except BodyError as exc:
            metrics.INGEST_REQUESTS_REJECTED.labels(status=str(exc.status)).inc()
            logger.info("otlp.refused", extra={"signal": self.signal, "status": exc.status})
            return _refusal(exc.status, exc.message, media or JSON)
        now = timezone.now()
        intake = calls_from_records(
            records,
            now=now,
            max_metadata_bytes=settings.GOVERNOR_MAX_METADATA_BYTES,
            limits=plausibility_current(),
        )
        outcome = calls_ingest(client=request.user.client, calls=intake.calls, received_at=now)
        metrics.record_ingest(
            stored=outcome.accepted, duplicates=outcome.duplicates, rejected=len(intake.rejected)
        )
        metrics.record_otlp(
            signal=self.signal,
            calls=len(intake.calls),
            ignored=intake.ignored,
            rejected=len(intake.rejected),
        )
        logger.info(
            "otlp.exported",
            extra={
                "signal": self.signal,
                "records": len(records),
                "calls": len(intake.calls),
                "stored": outcome.accepted,
                "duplicates": outcome.duplicates,
                "rejected": len(intake.rejected),
                "ignored": intake.ignored,
            },
        )
        answer = wire.export_response(
            signal=self.signal,
            rejected=len(intake.rejected),
            message=_rejections(intake, total=len(records), what=what),
            media=media,
        )
        return HttpResponse(answer, content_type=media)

    def handle_exception(self, exc):
        # Authentication, scope, rate limit, database outage: DRF decides the
        # status and headers; the body becomes a Status in the request's encoding.
        response = super().handle_exception(exc)
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        media = wire.media_type(self.request.content_type) or JSON
        refusal = _refusal(response.status_code, str(detail), media)
        for header in KEPT_HEADERS:
            if header in response:
                refusal[header] = response[header]
        return refusal


def _refusal(status: int, message: str, media: str) -> HttpResponse:
    return HttpResponse(
        wire.status_body(status=status, message=message, media=media),
        status=status,
        content_type=media,
    )


def _rejections(intake: Intake, *, total: int, what: str) -> str:
    if not intake.rejected:
        return ""
    reasons = "; ".join(r.describe() for r in intake.rejected[:MAX_REASONS])
    more = len(intake.rejected) - MAX_REASONS
    tail = f"; and {more} more" if more > 0 else ""
    message = f"{len(intake.rejected)} of {total} {what} rejected: {reasons}{tail}."
    return message[:MAX_MESSAGE_CHARS]


class OtlpLogsReceiver(OtlpReceiver):
    signal = LOGS

    @_schema(LOGS)
    def post(self, request):
        return super().post(request)


class OtlpTracesReceiver(OtlpReceiver):
    signal = TRACES

    @_schema(TRACES)
    def post(self, request):
        return super().post(request)
