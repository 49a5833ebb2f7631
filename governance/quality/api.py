"""Quality API: test-run ingestion (JSON or JUnit XML) and the read API."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts import roles
from governance.accounts.models import ApiKey, Team
from governance.accounts.permissions import HasIngestScope
from governance.quality import selectors, stats
from governance.quality.conf import junit_max_bytes
from governance.quality.junit import JUnitReportError, junit_parse
from governance.quality.models import Source
from governance.quality.serializers import JUnitQuerySerializer, TestRunCountsSerializer
from governance.quality.services import TestRunInput, test_run_record

DEFAULT_PERIOD = timedelta(days=30)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class JUnitXMLParser(BaseParser):
    """Hands the raw report to the view, refusing oversized bodies before reading them whole."""

    media_type = "*/xml"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = junit_max_bytes()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(
                f"report: the JUnit report is larger than the limit of {limit} bytes"
            )
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(
                f"report: the JUnit report is larger than the limit of {limit} bytes"
            )
        return body


class TestRunIngestView(APIView):
    """POST /api/v1/test-runs: JSON counts, or a JUnit XML report with the run fields in the query string."""

    __test__ = False

    permission_classes = [HasIngestScope]
    parser_classes = [JSONParser, JUnitXMLParser]

    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, bytes):
            run = self._from_junit(request, data)
        else:
            serializer = TestRunCountsSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            run = _run_input(serializer.validated_data, source=Source.JSON)
        client = request.user.client
        recorded = test_run_record(client=client, run=run, actor=f"client:{client.name}")
        test_run = recorded.test_run
        body = {
            "run_id": test_run.run_id,
            "replaced": recorded.replaced,
            "model": test_run.model,
            "task_type": test_run.task_type,
            "outcome": test_run.outcome,
            "total": test_run.total,
            "passed": test_run.passed,
            "failed": test_run.failed,
            "errored": test_run.errored,
            "skipped": test_run.skipped,
            "flaky": test_run.flaky,
            "pass_rate": stats.pass_rate(
                passed=test_run.passed, failed=test_run.failed, errored=test_run.errored
            ),
            "linked_calls": recorded.linked_calls,
            "unknown_call_ids": recorded.unknown_call_ids,
        }
        return Response(
            body, status=status.HTTP_200_OK if recorded.replaced else status.HTTP_201_CREATED
        )

    def _from_junit(self, request: Request, body: bytes) -> TestRunInput:
        serializer = JUnitQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        try:
            counts = junit_parse(body, max_bytes=junit_max_bytes())
        except JUnitReportError as exc:
            if exc.code == "too_large":
                raise PayloadTooLarge(f"report: {exc}") from None
            raise exceptions.ValidationError({"report": [str(exc)]}, code=exc.code) from None
        return _run_input(
            {**serializer.validated_data, **dataclasses.asdict(counts)}, source=Source.JUNIT
        )


def _run_input(values: dict, *, source: str) -> TestRunInput:
    values = dict(values)
    values["timestamp"] = values.get("timestamp") or timezone.now()
    values["call_ids"] = tuple(values.get("call_ids") or ())
    return TestRunInput(source=source, **values)


# --- read API ----------------------------------------------------------------


class IsReaderOrApiKey(BasePermission):
    """Any valid API key (its own team's data only) or a signed-in manager/admin."""

    message = "Use an API key, or sign in as a Governor manager or admin."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey) or roles.is_reader(request.user)


class _QualityReadView(APIView):
    permission_classes = [IsReaderOrApiKey]

    def team_id(self, request: Request) -> int | None:
        """The team whose data may be read: an API key's own, or the reader's `team` choice."""
        slug = request.query_params.get("team", "").strip()
        if isinstance(request.auth, ApiKey):
            own = request.auth.client.team
            if slug and slug != own.slug:
                raise exceptions.PermissionDenied("team: an API key reads only its own team's data")
            return own.pk
        if not slug:
            return None
        team_id = Team.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if team_id is None:
            raise exceptions.ValidationError({"team": [f"no team {slug!r}"]})
        return team_id

    def period(self, request: Request) -> tuple[datetime, datetime]:
        end = _moment(request, "end") or timezone.now()
        start = _moment(request, "start") or end - DEFAULT_PERIOD
        if start >= end:
            raise exceptions.ValidationError({"start": ["start must be before end"]})
        return start, end


def _moment(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name, "").strip()
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


def _plain(value):
    """Dataclasses to JSON-ready values: money as a decimal string, times as ISO 8601."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


class PassRatesView(_QualityReadView):
    """GET /api/v1/quality/pass-rates?group_by=model,task_type,team,day&start=&end=&team=&model=&task_type="""

    def get(self, request: Request) -> Response:
        group_by = [
            g.strip() for g in request.query_params.get("group_by", "model").split(",") if g.strip()
        ]
        start, end = self.period(request)
        params = request.query_params
        try:
            rows = selectors.pass_rates(
                group_by=group_by,
                start=start,
                end=end,
                team_id=self.team_id(request),
                model=params.get("model") or None,
                task_type=params.get("task_type"),
            )
        except ValueError as exc:
            raise exceptions.ValidationError({"group_by": [str(exc)]}) from None
        return Response(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "group_by": group_by,
                "results": _plain(rows),
            }
        )


class ComparisonsView(_QualityReadView):
    """GET /api/v1/quality/comparisons?start=&end=&team="""

    def get(self, request: Request) -> Response:
        start, end = self.period(request)
        rows = selectors.model_comparisons(start=start, end=end, team_id=self.team_id(request))
        return Response(
            {"start": start.isoformat(), "end": end.isoformat(), "results": _plain(rows)}
        )


class AlertsView(_QualityReadView):
    """GET /api/v1/quality/alerts?state=open|cleared&team="""

    def get(self, request: Request) -> Response:
        try:
            rows = selectors.quality_alerts(
                team_id=self.team_id(request), state=request.query_params.get("state")
            )
        except ValueError as exc:
            raise exceptions.ValidationError({"state": [str(exc)]}) from None
        return Response({"results": _plain(rows)})
