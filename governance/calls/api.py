from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import HasIngestScope, IsReaderOrApiKey
from governance.accounts.selectors import team_scope
from governance.calls.plausibility import call_plausible, plausibility_current
from governance.calls.selectors import calls_list
from governance.calls.serializers import (
    CALL_BATCH,
    CALL_RECORD,
    CallListQuery,
    CallOutputSerializer,
    IngestResultDoc,
    Rejection,
    ValidCall,
    split_body,
    validate_record,
)
from governance.calls.services import calls_ingest
from governance.core import metrics
from governance.core.parsers import BodyError, body_read

JSON_TYPES = {"application/json"}
NDJSON_TYPES = {
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
}


class CallCursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-timestamp", "-id")


def media_type(request) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


_CALL = {
    "call_id": "job-4711-step-3",
    "timestamp": "2026-11-25T10:00:00Z",
    "model": "gpt-5-codex-mini",
    "task_type": "test_generation",
    "risk": "low",
    "environment": "ci",
    "input_tokens": 42000,
    "cached_input_tokens": 30000,
    "output_tokens": 1800,
    "latency_ms": 5200,
    "status": "ok",
    "metadata": {"repo": "acme/payments-api", "pull_request": 812},
}
INGEST_EXAMPLES = [
    OpenApiExample(
        "A batch of one call",
        value={"calls": [_CALL]},
        request_only=True,
        media_type="application/json",
    ),
    OpenApiExample(
        "Every record stored",
        value={"accepted": 1, "duplicates": 0, "rejected": []},
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "One record rejected, one sent again",
        summary="The rejected record names its field; the repeated call_id is not stored twice.",
        value={
            "accepted": 0,
            "duplicates": 1,
            "rejected": [
                {
                    "index": 0,
                    "call_id": "job-4711-step-4",
                    "errors": {"input_tokens": ["Expected `int` >= 0."]},
                }
            ],
        },
        response_only=True,
        status_codes=["207"],
    ),
]


class CallsView(APIView):
    """POST a batch of call logs (scope `ingest`); GET your team's calls."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [HasIngestScope()]
        return [IsReaderOrApiKey()]

    @extend_schema(
        operation_id="calls_ingest",
        examples=INGEST_EXAMPLES,
        request={"application/json": CALL_BATCH, "application/x-ndjson": CALL_RECORD},
        responses={
            200: IngestResultDoc,
            207: OpenApiResponse(
                IngestResultDoc, description="Some records were rejected; the others are stored."
            ),
            400: OpenApiResponse(description='Not JSON, or not the {"calls": [...]} envelope.'),
            413: OpenApiResponse(description="Body or batch over the limits."),
            415: OpenApiResponse(description="Content type other than JSON or NDJSON."),
        },
    )
    def post(self, request):
        kind = media_type(request)
        if kind not in JSON_TYPES | NDJSON_TYPES:
            return _error(
                415,
                f"Content-Type must be application/json or application/x-ndjson, not {kind or 'missing'}.",
            )
        try:
            body = body_read(request.META, request._request)
            raws = split_body(
                body, ndjson=kind in NDJSON_TYPES, max_records=settings.GOVERNOR_MAX_BATCH
            )
        except BodyError as exc:
            return _error(exc.status, exc.message)
        now = timezone.now()
        valid: list[ValidCall] = []
        rejected: list[Rejection] = []
        limits = plausibility_current()
        for index, raw in enumerate(raws):
            result = validate_record(
                raw, index=index, now=now, max_metadata_bytes=settings.GOVERNOR_MAX_METADATA_BYTES
            )
            if isinstance(result, ValidCall):
                result = call_plausible(result, index=index, limits=limits)
            (rejected if isinstance(result, Rejection) else valid).append(result)
        outcome = calls_ingest(client=request.user.client, calls=valid, received_at=now)
        metrics.record_ingest(
            stored=outcome.accepted, duplicates=outcome.duplicates, rejected=len(rejected)
        )
        payload = {
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "rejected": [r.as_dict() for r in rejected],
        }
        return Response(
            payload, status=status.HTTP_207_MULTI_STATUS if rejected else status.HTTP_200_OK
        )

    @extend_schema(
        operation_id="calls_list",
        parameters=[CallListQuery],
        # The cursor paginator wraps the list; say so, or clients expect a bare array.
        responses=inline_serializer(
            "CallPage",
            {
                "next": drf_serializers.URLField(allow_null=True),
                "previous": drf_serializers.URLField(allow_null=True),
                "results": CallOutputSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        query = CallListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        scope = team_scope(auth=request.auth, team_slug=filters.pop("team", None))
        paginator = CallCursor()
        page = paginator.paginate_queryset(
            calls_list(team_ids=scope.team_ids, **filters), request, view=self
        )
        return paginator.get_paginated_response(CallOutputSerializer(page, many=True).data)


def _error(status_code: int, message: str) -> Response:
    metrics.INGEST_REQUESTS_REJECTED.labels(status=str(status_code)).inc()
    return Response({"detail": message}, status=status_code)
