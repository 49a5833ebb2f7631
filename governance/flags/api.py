"""The OpenFeature Remote Evaluation Protocol (OFREP), so any OpenFeature SDK with
an OFREP provider reads Governor's flags with no Governor-specific code.

    POST /ofrep/v1/evaluate/flags/{key}   one flag
    POST /ofrep/v1/evaluate/flags         every flag (strong ETag, If-None-Match -> 304)

The request body is {"context": {...}}. The API key's team slug and client name are
set as the context's "team" and "client" (a key cannot speak for another team).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.authentication import ApiKeyAuthentication
from governance.accounts.permissions import HasPolicyReadScope
from governance.accounts.throttling import ApiKeyRateThrottle
from governance.core.freshness import canonical_json, etag_for, etag_matches
from governance.core.parsers import BodyError, json_parse
from governance.engine.flags import Resolution, evaluate_flag
from governance.flags.selectors import flags_snapshot_current
from governance.flags.services import flags_mark_evaluated
from governance.flags.throttles import OfrepKeyThrottle


class _ContextError(Exception):
    def __init__(self, code: str, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def _request_context(request) -> dict[str, Any]:
    raw = request.body
    try:
        document = json_parse(raw) if raw.strip() else {}
    except BodyError as exc:
        raise _ContextError("PARSE_ERROR", exc.message) from None
    if not isinstance(document, dict):
        raise _ContextError("INVALID_CONTEXT", 'The body must be a JSON object {"context": {...}}.')
    context = document.get("context", {})
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise _ContextError("INVALID_CONTEXT", "'context' must be a JSON object.")
    principal = request.user
    return {**context, "team": principal.team.slug, "client": principal.client.name}


def _success(key: str, resolution: Resolution, version: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {"flagsVersion": version}
    if resolution.rule:
        metadata["rule"] = resolution.rule
    return {
        "key": key,
        "value": resolution.value,
        "reason": resolution.reason.value,
        "variant": resolution.variant,
        "metadata": metadata,
    }


def _failure(key: str | None, code: str, details: str) -> dict[str, Any]:
    body: dict[str, Any] = {"errorCode": code, "errorDetails": details}
    if key is not None:
        body = {"key": key, **body}
    return body


class _OfrepView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasPolicyReadScope]
    # The key's overall limit and the tighter evaluation limit both apply.
    throttle_classes = [ApiKeyRateThrottle, OfrepKeyThrottle]


_REQUEST = inline_serializer(
    "OfrepEvaluationRequest",
    {"context": serializers.DictField(required=False, help_text="targetingKey and attributes")},
)
_SUCCESS = inline_serializer(
    "OfrepEvaluationSuccess",
    {
        "key": serializers.CharField(),
        "value": serializers.JSONField(),
        "reason": serializers.ChoiceField(
            choices=["STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "DEFAULT"]
        ),
        "variant": serializers.CharField(),
        "metadata": serializers.DictField(),
    },
)
_FAILURE = inline_serializer(
    "OfrepEvaluationFailure",
    {
        # Absent when the bulk evaluation fails as a whole (no single flag).
        "key": serializers.CharField(required=False),
        "errorCode": serializers.CharField(),
        "errorDetails": serializers.CharField(),
    },
)


_CONTEXT_EXAMPLE = OpenApiExample(
    "A pipeline's context",
    value={"context": {"targetingKey": "pipeline-4711", "task_type": "boilerplate"}},
    request_only=True,
)
_PILOT = {
    "key": "mini-model-boilerplate-pilot",
    "value": False,
    "reason": "SPLIT",
    "variant": "off",
    "metadata": {"flagsVersion": 5, "rule": "boilerplate pilot"},
}


class EvaluateFlagView(_OfrepView):
    @extend_schema(
        operation_id="ofrep_evaluate_flag",
        tags=["ofrep"],
        examples=[
            _CONTEXT_EXAMPLE,
            OpenApiExample(
                "Outside the 10 % pilot", value=_PILOT, response_only=True, status_codes=["200"]
            ),
            OpenApiExample(
                "No such flag",
                value={
                    "key": "nope",
                    "errorCode": "FLAG_NOT_FOUND",
                    "errorDetails": "No flag has the key 'nope'.",
                },
                response_only=True,
                status_codes=["404"],
            ),
        ],
        request=_REQUEST,
        responses={
            200: _SUCCESS,
            400: _FAILURE,
            404: _FAILURE,
            401: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request, key: str) -> Response:
        try:
            context = _request_context(request)
        except _ContextError as exc:
            return Response(
                _failure(key, exc.code, exc.details), status=status.HTTP_400_BAD_REQUEST
            )
        snapshot = flags_snapshot_current()
        spec = snapshot.specs.get(key)
        if spec is None:
            return Response(
                _failure(key, "FLAG_NOT_FOUND", f"No flag has the key {key!r}."),
                status=status.HTTP_404_NOT_FOUND,
            )
        now = timezone.now()
        resolution = evaluate_flag(spec, context, now=now)
        flags_mark_evaluated(keys=[key], now=now)
        if resolution.error_code is not None:
            return Response(
                _failure(key, resolution.error_code.value, resolution.error_details or ""),
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(_success(key, resolution, snapshot.version))


class EvaluateFlagsView(_OfrepView):
    @extend_schema(
        operation_id="ofrep_evaluate_flags",
        tags=["ofrep"],
        examples=[
            _CONTEXT_EXAMPLE,
            OpenApiExample(
                "Every flag for this context",
                value={
                    "flags": [
                        _PILOT,
                        {
                            "key": "mini-model-flows",
                            "value": True,
                            "reason": "STATIC",
                            "variant": "on",
                            "metadata": {"flagsVersion": 5},
                        },
                    ]
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
        request=_REQUEST,
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)
        ],
        responses={
            200: inline_serializer(
                "OfrepBulkEvaluation",
                {"flags": serializers.ListField(child=serializers.DictField())},
            ),
            304: None,
            400: _FAILURE,
            401: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request) -> Response:
        try:
            context = _request_context(request)
        except _ContextError as exc:
            return Response(
                _failure(None, exc.code, exc.details), status=status.HTTP_400_BAD_REQUEST
            )
        snapshot = flags_snapshot_current()
        now = timezone.now()
        flags = []
        for key, spec in snapshot.specs.items():
            resolution = evaluate_flag(spec, context, now=now)
            if resolution.error_code is not None:
                flags.append(
                    _failure(key, resolution.error_code.value, resolution.error_details or "")
                )
            else:
                flags.append(_success(key, resolution, snapshot.version))
        flags_mark_evaluated(keys=list(snapshot.specs), now=now)
        body = {"flags": flags}
        # The ETag covers the evaluated values, not only the definitions: a
        # schedule can change a value while the definitions stay the same.
        etag = etag_for(canonical_json(body))
        if etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(body)
        response["ETag"] = etag
        return response
