"""Quality API: test-run ingestion (JSON or JUnit XML) and the read API."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.models import ApiKey
from governance.accounts.permissions import HasIngestScope, IsReaderOrApiKey
from governance.accounts.selectors import team_scope
from governance.core.parsers import BodyError, StrictJSONParser, body_read
from governance.quality import selectors, stats
from governance.quality.junit import JUnitReportError, junit_parse
from governance.quality.models import Source
from governance.quality.serializers import (
    AlertSerializer,
    ComparisonSerializer,
    JUnitQuerySerializer,
    PassRateSerializer,
    SuiteRunCountsSerializer,
    SuiteRunRecordedSerializer,
)
from governance.quality.services import SuiteRunInput, suite_run_record, suite_runs_batch_record


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class JUnitXMLParser(BaseParser):
    """Hands the raw report to the view, refusing oversized bodies before reading them whole."""

    media_type = "*/xml"

    # The view wants the report's bytes as request.data, not a mapping.
    def parse(self, stream, media_type=None, parser_context=None) -> bytes:  # type: ignore[override]
        if stream is None:
            return b""
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        try:
            return body_read(meta, stream, limit=settings.GOVERNOR_JUNIT_MAX_BYTES)
        except BodyError as exc:
            if exc.status == 413:
                raise PayloadTooLarge(f"report: {exc.message}") from None
            raise exceptions.ParseError(exc.message) from None


TEST_RUN_EXAMPLES = [
    OpenApiExample(
        "The tests a mini-model call generated",
        value={
            "run_id": "ci-4711-generate-tests",
            "model": "gpt-5-codex-mini",
            "task_type": "test_generation",
            "repo": "acme/payments-api",
            "commit": "9f2c1e7",
            "pull_request": "812",
            "job": "generate-tests",
            "outcome": "promoted",
            "passed": 14,
            "failed": 1,
            "skipped": 1,
            "call_ids": ["job-4711-step-3"],
        },
        request_only=True,
        media_type="application/json",
    ),
    OpenApiExample(
        "Recorded and linked to its call",
        value={
            "run_id": "ci-4711-generate-tests",
            "replaced": False,
            "model": "gpt-5-codex-mini",
            "task_type": "test_generation",
            "outcome": "promoted",
            "total": 16,
            "passed": 14,
            "failed": 1,
            "errored": 0,
            "skipped": 1,
            "flaky": 0,
            "pass_rate": 0.9333333333333333,
            "linked_calls": 1,
            "unknown_call_ids": [],
        },
        response_only=True,
        status_codes=["201"],
    ),
]


class SuiteRunIngestView(APIView):
    """POST /api/v1/test-runs: JSON counts, or a JUnit XML report with the run fields in the query string."""

    permission_classes = [HasIngestScope]
    # The project's JSON parser: bounded nesting and strict UTF-8 (DRF's own
    # lets a deeply nested body through as a RecursionError, a 500).
    parser_classes = [StrictJSONParser, JUnitXMLParser]

    @extend_schema(
        operation_id="test_runs_record",
        examples=TEST_RUN_EXAMPLES,
        parameters=[
            OpenApiParameter(
                name,
                str,
                description="with a JUnit XML body: the run's fields (call_ids comma-separated)",
            )
            for name in JUnitQuerySerializer().fields.keys()
        ],
        request={
            "application/json": SuiteRunCountsSerializer,
            "application/xml": OpenApiTypes.BINARY,
            "text/xml": OpenApiTypes.BINARY,
        },
        responses={
            207: OpenApiResponse(
                description='A batch ({"runs": [...]}, up to 1,000) with some runs rejected: '
                '{"accepted", "replaced", "rejected": [{"index", "run_id", "errors"}]}; the '
                "others are stored. A batch with none rejected answers 200 with the same body."
            ),
            201: SuiteRunRecordedSerializer,
            200: OpenApiResponse(
                SuiteRunRecordedSerializer, description="The run replaced an earlier upload."
            ),
            400: OpenApiResponse(
                description="A field (named) is invalid, or the report is not acceptable JUnit XML."
            ),
            413: OpenApiResponse(
                description="The JUnit report is larger than GOVERNOR_JUNIT_MAX_BYTES."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict) and "runs" in data:
            return _batch_record(request, data["runs"])
        if isinstance(data, bytes):
            run = self._from_junit(request, data)
        else:
            serializer = SuiteRunCountsSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            run = _run_input(serializer.validated_data, source=Source.JSON)
        key: ApiKey = request.auth  # type: ignore[assignment]  # HasIngestScope admits API keys only
        client = key.client
        recorded = suite_run_record(client=client, run=run, actor=f"client:{client.name}")
        suite_run = recorded.suite_run
        body: dict = {
            "run_id": suite_run.run_id,
            "replaced": recorded.replaced,
            "model": suite_run.model,
            "task_type": suite_run.task_type,
            "outcome": suite_run.outcome,
            "total": suite_run.total,
            "passed": suite_run.passed,
            "failed": suite_run.failed,
            "errored": suite_run.errored,
            "skipped": suite_run.skipped,
            "flaky": suite_run.flaky,
            "pass_rate": stats.pass_rate(
                passed=suite_run.passed, failed=suite_run.failed, errored=suite_run.errored
            ),
            "linked_calls": recorded.linked_calls,
            "unknown_call_ids": recorded.unknown_call_ids,
        }
        return Response(
            body, status=status.HTTP_200_OK if recorded.replaced else status.HTTP_201_CREATED
        )

    def _from_junit(self, request: Request, body: bytes) -> SuiteRunInput:
        serializer = JUnitQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        try:
            counts = junit_parse(body, max_bytes=settings.GOVERNOR_JUNIT_MAX_BYTES)
        except JUnitReportError as exc:
            if exc.code == "too_large":
                raise PayloadTooLarge(f"report: {exc}") from None
            raise exceptions.ValidationError({"report": [str(exc)]}, code=exc.code) from None
        return _run_input(
            {**serializer.validated_data, **dataclasses.asdict(counts)}, source=Source.JUNIT
        )


MAX_BATCH_RUNS = 1000


def _batch_record(request: Request, raws: object) -> Response:
    """`{"runs": [...]}`: every valid run is stored (new ones in bulk, a run
    sent before replaced as one upload would be); each invalid one is named by
    its index with its fields' errors, in a 207, like POST /api/v1/calls. A
    batch sent again stores nothing twice."""
    if not isinstance(raws, list):
        raise exceptions.ValidationError({"runs": ["must be a list of test runs"]})
    if len(raws) > MAX_BATCH_RUNS:
        raise exceptions.ValidationError({"runs": [f"at most {MAX_BATCH_RUNS} runs per batch"]})
    valid: dict[str, SuiteRunInput] = {}
    rejected: list[dict] = []
    for index, raw in enumerate(raws):
        serializer = SuiteRunCountsSerializer(data=raw)
        run_id = raw.get("run_id") if isinstance(raw, dict) else None
        if not serializer.is_valid():
            rejected.append({"index": index, "run_id": run_id, "errors": serializer.errors})
        elif serializer.validated_data["run_id"] in valid:
            rejected.append(
                {"index": index, "run_id": run_id, "errors": {"run_id": ["repeated in this batch"]}}
            )
        else:
            valid[serializer.validated_data["run_id"]] = _run_input(
                serializer.validated_data, source=Source.JSON
            )
    key: ApiKey = request.auth  # type: ignore[assignment]  # HasIngestScope admits API keys only
    outcome = suite_runs_batch_record(
        client=key.client, runs=list(valid.values()), actor=f"client:{key.client.name}"
    )
    body = {"accepted": outcome.added, "replaced": outcome.replaced, "rejected": rejected}
    return Response(body, status=status.HTTP_207_MULTI_STATUS if rejected else status.HTTP_200_OK)


def _run_input(values: dict, *, source: str) -> SuiteRunInput:
    values = dict(values)
    values["timestamp"] = values.get("timestamp") or timezone.now()
    values["call_ids"] = tuple(values.get("call_ids") or ())
    return SuiteRunInput(source=source, **values)


# --- read API ----------------------------------------------------------------


class _QualityReadView(APIView):
    permission_classes = [IsReaderOrApiKey]

    def team_id(self, request: Request) -> int | None:
        """The one team read (None: every team): see accounts.selectors.team_scope."""
        return team_scope(auth=request.auth, team_slug=_param(request, "team")).team_id

    def period(self, request: Request) -> tuple[datetime, datetime]:
        start, end = selectors.period_default(
            start=_moment(request, "start"), end=_moment(request, "end"), now=timezone.now()
        )
        if start >= end:
            raise exceptions.ValidationError({"start": ["start must be before end"]})
        return start, end


def _param(request: Request, name: str) -> str | None:
    """A query parameter, stripped; None when absent. NUL characters are refused
    (PostgreSQL cannot compare text with them)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if "\x00" in raw:
        raise exceptions.ValidationError({name: ["must not contain NUL characters"]})
    return raw.strip()


def _moment(request: Request, name: str) -> datetime | None:
    raw = _param(request, name) or ""
    if not raw:
        return None
    try:
        parsed = parse_datetime(raw)
        if parsed is None:
            day = parse_date(raw)
            parsed = datetime.combine(day, time.min) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise exceptions.ValidationError({name: [f"{raw!r} is not an ISO 8601 date or date-time"]})
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "start", str, description="ISO 8601 date or date-time (default: 30 days before end)"
    ),
    OpenApiParameter(
        "end", str, description="ISO 8601 date or date-time, exclusive (default: now)"
    ),
    OpenApiParameter(
        "team",
        str,
        description="team slug, for managers and admins; an API key always reads its own team",
    ),
]


READ_ERRORS = {
    400: OpenApiResponse(description="A query parameter (named in the body) is invalid."),
    401: OpenApiResponse(description="No valid API key or session."),
    403: OpenApiResponse(description="Signed in, but not as a manager or admin."),
}


def _period_page(start: datetime, end: datetime, results: object, **extra) -> dict:
    return {"start": start.isoformat(), "end": end.isoformat(), **extra, "results": results}


class PassRatesView(_QualityReadView):
    @extend_schema(
        operation_id="quality_pass_rates",
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                description="comma-separated: model, task_type, team, day (default: model)",
            ),
            *PERIOD_PARAMETERS,
            OpenApiParameter("model", str),
            OpenApiParameter("task_type", str),
        ],
        responses={
            200: inline_serializer(
                "PassRatesPage",
                {
                    "start": serializers.DateTimeField(),
                    "end": serializers.DateTimeField(),
                    "group_by": serializers.ListField(child=serializers.CharField()),
                    "results": PassRateSerializer(many=True),
                },
            ),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        group_by = [
            g.strip() for g in (_param(request, "group_by") or "model").split(",") if g.strip()
        ]
        start, end = self.period(request)
        team_id = self.team_id(request)
        try:
            rows = selectors.pass_rates(
                group_by=group_by,
                start=start,
                end=end,
                team_id=team_id,
                model=_param(request, "model") or None,
                task_type=_param(request, "task_type"),
            )
        except ValueError as exc:
            raise exceptions.ValidationError({"group_by": [str(exc)]}) from None
        data = PassRateSerializer(rows, many=True).data
        return Response(_period_page(start, end, data, group_by=group_by))


class ComparisonsView(_QualityReadView):
    @extend_schema(
        operation_id="quality_comparisons",
        parameters=PERIOD_PARAMETERS,
        responses={
            200: inline_serializer(
                "ComparisonsPage",
                {
                    "start": serializers.DateTimeField(),
                    "end": serializers.DateTimeField(),
                    "results": ComparisonSerializer(many=True),
                },
            ),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        start, end = self.period(request)
        rows = selectors.model_comparisons(start=start, end=end, team_id=self.team_id(request))
        return Response(_period_page(start, end, ComparisonSerializer(rows, many=True).data))


class AlertsView(_QualityReadView):
    @extend_schema(
        operation_id="quality_alerts",
        parameters=[
            OpenApiParameter("state", str, enum=["open", "cleared"]),
            PERIOD_PARAMETERS[2],
        ],
        responses={
            200: inline_serializer("AlertsPage", {"results": AlertSerializer(many=True)}),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        team_id = self.team_id(request)
        try:
            rows = selectors.quality_alerts(team_id=team_id, state=_param(request, "state"))
        except ValueError as exc:
            raise exceptions.ValidationError({"state": [str(exc)]}) from None
        return Response({"results": AlertSerializer(rows, many=True).data})
