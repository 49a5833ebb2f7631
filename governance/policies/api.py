"""The decision API (both endpoints answer from the in-memory snapshot: no
query touches calls, budgets or flags on a request), and the status of a
replay job for its page."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import HasPolicyReadScope, IsAdmin, key_has_scope
from governance.core.freshness import etag_matches
from governance.core.parsers import BodyError, json_parse
from governance.engine.context import (
    ENVIRONMENTS,
    MAX_TASK_TYPE,
    MAX_TEXT,
    RISKS,
    ContextInvalid,
    context_parse,
)
from governance.engine.policy_document import DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY
from governance.policies.authentication import CachedApiKeyAuthentication
from governance.policies.selectors import replay_job_get
from governance.policies.services import policy_view_ensure


class DecideInput(serializers.Serializer):
    """For the schema only: the view validates by hand, on the hot path."""

    task_type = serializers.CharField(max_length=MAX_TASK_TYPE, required=False)
    risk = serializers.ChoiceField(choices=RISKS, required=False, default="medium")
    environment = serializers.ChoiceField(choices=ENVIRONMENTS, required=False, default="other")
    targeting_key = serializers.CharField(max_length=MAX_TEXT, required=False)
    attributes = serializers.DictField(required=False)


DecisionOutput = inline_serializer(
    "Decision",
    {
        "model": serializers.CharField(allow_null=True),
        "fallbacks": serializers.ListField(child=serializers.CharField()),
        "escalate_to": serializers.CharField(allow_null=True),
        "timeout_ms": serializers.IntegerField(),
        "retry": serializers.DictField(),
        "circuit_breaker": serializers.DictField(),
        "blocked": serializers.BooleanField(),
        "rule": serializers.CharField(allow_null=True),
        "reason": serializers.CharField(),
        "policy_version": serializers.IntegerField(),
        "decision_id": serializers.CharField(),
    },
)


class _DecisionAPIView(APIView):
    """Both endpoints answer raw JSON bytes themselves, so DRF's content
    negotiation, a real share of such small requests' work, is skipped.

    A request with a valid key that has the scope takes a shorter way still:
    the key is checked on Django's request and the handler called directly,
    without DRF's request wrapper, authenticator and permission loop. (How
    much each shortcut saves is measured by benchmarks/policy.py and
    recorded in benchmarks/RESULTS.md.) Everything else (no key, a bad or revoked
    key, a missing scope, another method) goes through DRF's dispatch and is
    answered exactly as on every other endpoint; an exception in a handler
    reaches RequestContextMiddleware, which answers a database outage with
    the same 503 as DRF's handler.
    """

    authentication_classes = [CachedApiKeyAuthentication]
    permission_classes = [HasPolicyReadScope]
    throttle_classes: list = []
    _renderer = JSONRenderer()
    _authenticator = CachedApiKeyAuthentication()

    def perform_content_negotiation(self, request, force=False):
        return self._renderer, self._renderer.media_type

    def dispatch(self, request, *args, **kwargs):
        method = request.method.lower()
        handler = getattr(self, method, None) if method in ("get", "post") else None
        if handler is not None:
            try:
                result = self._authenticator.authenticate(request)
            except exceptions.AuthenticationFailed:
                result = None
            if result is not None and key_has_scope(result[1], HasPolicyReadScope.scope):
                request.user, request.auth = result
                return handler(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


def _json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), status=status, content_type="application/json")


class DecideView(_DecisionAPIView):
    @extend_schema(
        request=DecideInput,
        responses={
            200: DecisionOutput,
            400: OpenApiResponse(description="A field is invalid; the body names it."),
        },
        summary="Decide which model handles a job",
        examples=[
            OpenApiExample(
                "A unit-test draft",
                value={
                    "task_type": "unit_test_draft",
                    "risk": "low",
                    "environment": "ci",
                    "targeting_key": "pipeline-4711",
                    "attributes": {"repo": "acme/payments-api"},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Sent to the mini model: the team's budget is over its threshold",
                value={
                    "model": "gpt-5-codex-mini",
                    "fallbacks": [],
                    "escalate_to": "gpt-5-codex",
                    "timeout_ms": 60000,
                    "retry": DEFAULT_RETRY,
                    "circuit_breaker": DEFAULT_CIRCUIT_BREAKER,
                    "blocked": False,
                    "rule": "budget-fallback",
                    "reason": "budget of team payments at 93 %, over the 90 % threshold: "
                    "non-critical work goes to gpt-5-codex-mini",
                    "policy_version": 1,
                    "decision_id": "1.5.00b6dcd7d5467a75",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request):
        try:
            data = json_parse(request.body or b"{}")
        except BodyError as exc:
            return _json({"non_field_errors": [exc.message]}, status=400)
        try:
            context = context_parse(data)
        except ContextInvalid as exc:
            return _json(exc.errors, status=400)
        view = policy_view_ensure(client=request.user.client)
        return _json(view.compiled.decide(context).to_dict())


class PolicySnapshotView(_DecisionAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)
        ],
        responses={
            200: OpenApiResponse(
                description="The snapshot (rules, flags, budget states, model health)."
            ),
            304: None,
        },
        summary="The published policy snapshot, for deciding locally",
    )
    def get(self, request):
        view = policy_view_ensure(client=request.user.client)
        if etag_matches(request.headers.get("If-None-Match", ""), view.etag):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(view.body, content_type="application/json")
        response["ETag"] = view.etag
        response["Cache-Control"] = "no-cache"
        return response


class ReplayJobApi(APIView):
    """How far a replay job got, polled by its page's progress bar. Admins
    only, like the editor: the job holds a draft policy."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="policy_replay_status",
        responses=inline_serializer(
            "ReplayJobStatus",
            {
                "id": serializers.CharField(),
                "status": serializers.CharField(),
                "days": serializers.IntegerField(),
                "total": serializers.IntegerField(),
                "done": serializers.IntegerField(),
                "percent": serializers.IntegerField(),
                "error": serializers.CharField(allow_blank=True),
            },
        ),
    )
    def get(self, request, pk):
        job = replay_job_get(job_id=pk)
        if job is None:
            raise NotFound("No such replay.")
        return Response(
            {
                "id": str(job.pk),
                "status": job.status,
                "days": job.days,
                "total": job.total,
                "done": job.done,
                "percent": job.percent,
                "error": job.error,
            }
        )
