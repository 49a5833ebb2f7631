"""`GET /api/v1/recommendations`: the routing advisor's plan."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import IsReaderOrApiKey
from governance.accounts.selectors import team_scope
from governance.advisor import selectors
from governance.advisor.present import recommendation_document
from governance.advisor.services import AdvisorError, tolerance_parse

MAX_DAYS = 365


def query_param(query, name: str) -> str | None:
    raw = query.get(name)
    if raw is None:
        return None
    if "\x00" in raw:
        raise AdvisorError(name, "must not contain NUL characters")
    return raw.strip() or None


def recommendation_for(*, query, auth) -> selectors.Recommendation:
    """The recommendation a request asks for (the API's and the page's
    parameters: tolerance_pp, team, days). AdvisorError names a bad one."""
    scope = team_scope(auth=auth, team_slug=query_param(query, "team"))
    raw_days = query_param(query, "days")
    days = selectors.DEFAULT_DAYS
    if raw_days is not None:
        if not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_DAYS:
            raise AdvisorError("days", f"must be a whole number from 1 to {MAX_DAYS}")
        days = int(raw_days)
    raw_tolerance = query_param(query, "tolerance_pp")
    tolerance = (
        tolerance_parse(raw_tolerance)
        if raw_tolerance is not None
        else selectors.tolerance_pp(team_id=scope.team_id)
    )
    start, end = selectors.window(days=days, today=timezone.now().date())
    return selectors.recommendation(
        tolerance_pp=tolerance,
        team_id=scope.team_id,
        team_slug=scope.team.slug if scope.team is not None else None,
        start=start,
        end=end,
    )


class RecommendationQuery(serializers.Serializer):
    """The query parameters, for the schema (the view parses them with
    `recommendation_for`, which the Savings page's forms share)."""

    tolerance_pp = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=50,
        required=False,
        help_text="accepted loss of pass rate in percentage points (default: the team's "
        "tolerance, else the organisation's)",
    )
    team = serializers.CharField(
        required=False, help_text="team slug; an API key always reads its own team"
    )
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_DAYS, required=False,
        help_text="days of data, today included (default 30)",
    )  # fmt: skip


_ROW: dict[str, serializers.Field] = {
    "task_type": serializers.CharField(),
    "option": serializers.ChoiceField(choices=list(selectors.OPTION_LABELS)),
    "option_label": serializers.CharField(),
    "model": serializers.CharField(),
    "escalate_to": serializers.CharField(allow_null=True),
    "monthly_jobs": serializers.DecimalField(max_digits=16, decimal_places=2),
    "monthly_saving_usd": serializers.DecimalField(max_digits=16, decimal_places=2),
    "pass_change_pp": serializers.DecimalField(max_digits=8, decimal_places=2),
    "pass_change_low_pp": serializers.DecimalField(max_digits=8, decimal_places=2),
    "pass_change_high_pp": serializers.DecimalField(max_digits=8, decimal_places=2),
    "escalation_rate": serializers.FloatField(allow_null=True),
    "note": serializers.CharField(),
    "current_mini_share": serializers.FloatField(),
    "current_monthly_cost_usd": serializers.DecimalField(max_digits=16, decimal_places=2),
    "current_saving_usd": serializers.DecimalField(max_digits=16, decimal_places=2),
    "current_change_pp": serializers.DecimalField(max_digits=8, decimal_places=2),
}


class RecommendationsView(APIView):
    permission_classes = [IsReaderOrApiKey]

    @extend_schema(
        operation_id="recommendations",
        parameters=[RecommendationQuery],
        responses={
            200: inline_serializer(
                "Recommendation",
                {
                    "start": serializers.DateField(),
                    "end": serializers.DateField(),
                    "team": serializers.CharField(allow_null=True),
                    "tolerance_pp": serializers.DecimalField(max_digits=5, decimal_places=2),
                    "monthly_saving_usd": serializers.DecimalField(max_digits=16, decimal_places=2),
                    "pass_change_pp": serializers.DecimalField(max_digits=8, decimal_places=2),
                    "pass_change_lower_bound_pp": serializers.DecimalField(
                        max_digits=8, decimal_places=2
                    ),
                    "bound": serializers.CharField(),
                    "current_monthly_cost_usd": serializers.DecimalField(
                        max_digits=16, decimal_places=2
                    ),
                    "current_saving_usd": serializers.DecimalField(max_digits=16, decimal_places=2),
                    "current_change_pp": serializers.DecimalField(max_digits=8, decimal_places=2),
                    "plan": inline_serializer("PlanRow", _ROW, many=True),
                    "needs_more_runs": inline_serializer(
                        "ThinEvidence",
                        {
                            "task_type": serializers.CharField(),
                            "option": serializers.CharField(),
                            "option_label": serializers.CharField(),
                            "runs": serializers.IntegerField(),
                            "runs_needed": serializers.IntegerField(),
                            "pass_change_pp": serializers.DecimalField(
                                max_digits=8, decimal_places=2
                            ),
                            "pass_change_low_pp": serializers.DecimalField(
                                max_digits=8, decimal_places=2
                            ),
                            "pass_change_high_pp": serializers.DecimalField(
                                max_digits=8, decimal_places=2
                            ),
                        },
                        many=True,
                    ),
                },
            ),
            400: OpenApiResponse(description="A query parameter (named in the body) is invalid."),
            401: OpenApiResponse(description="No valid API key or session."),
            403: OpenApiResponse(description="Signed in, but not as a manager or admin."),
        },
    )
    def get(self, request: Request) -> Response:
        try:
            rec = recommendation_for(query=request.query_params, auth=request.auth)
        except AdvisorError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        return Response(recommendation_document(rec))
