from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import HasIngestScope, IsReaderOrApiKey
from governance.accounts.selectors import team_scope
from governance.calls.selectors import calls_list
from governance.calls.serializers import (
    BodyError,
    CallBatchDoc,
    CallListQuery,
    CallOutputSerializer,
    CallRecordDoc,
    IngestResultDoc,
    Rejection,
    ValidCall,
    split_body,
    validate_record,
)
from governance.calls.services import calls_ingest
from governance.core import metrics

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


def read_limited_body(request, *, limit: int) -> bytes:
    """The request body, refusing (413) more than `limit` bytes before reading them."""
    django_request = request._request
    declared = django_request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(declared)
    except ValueError:
        raise BodyError(400, "Content-Length is not a number.") from None
    if length > limit:
        raise BodyError(413, f"Body is {length} bytes; at most {limit} are accepted.")
    body = django_request.read(limit + 1)
    if len(body) > limit:
        raise BodyError(413, f"Body exceeds {limit} bytes.")
    return body


def media_type(request) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


class CallsView(APIView):
    """POST a batch of call logs (scope `ingest`); GET your team's calls."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [HasIngestScope()]
        return [IsReaderOrApiKey()]

    @extend_schema(
        operation_id="calls_ingest",
        request={"application/json": CallBatchDoc, "application/x-ndjson": CallRecordDoc},
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
        encoding = request._request.META.get("HTTP_CONTENT_ENCODING", "identity").strip().lower()
        if encoding not in ("", "identity"):
            return _error(
                415, f"Content-Encoding {encoding!r} is not accepted; send the body uncompressed."
            )
        try:
            body = read_limited_body(request, limit=settings.GOVERNOR_MAX_BODY_BYTES)
            raws = split_body(
                body, ndjson=kind in NDJSON_TYPES, max_records=settings.GOVERNOR_MAX_BATCH
            )
        except BodyError as exc:
            return _error(exc.status, exc.message)
        now = timezone.now()
        valid: list[ValidCall] = []
        rejected: list[Rejection] = []
        for index, raw in enumerate(raws):
            result = validate_record(
                raw, index=index, now=now, max_metadata_bytes=settings.GOVERNOR_MAX_METADATA_BYTES
            )
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
