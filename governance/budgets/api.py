from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import IsReaderOrApiKey
from governance.accounts.selectors import team_scope
from governance.budgets.selectors import budgets_status
from governance.budgets.serializers import BudgetStatusOutput


class BudgetsView(APIView):
    """A key reads its own team's budgets and the organisation's; managers and admins read all."""

    permission_classes = [IsReaderOrApiKey]

    @extend_schema(
        # The list is wrapped in {"budgets": [...]}; the schema says so.
        responses=inline_serializer("BudgetList", {"budgets": BudgetStatusOutput(many=True)}),
        summary="Budgets with spend, state and forecast",
    )
    def get(self, request):
        scope = team_scope(auth=request.auth, team_slug=None)
        statuses = budgets_status(now=timezone.now(), team=scope.team)
        return Response({"budgets": BudgetStatusOutput(statuses, many=True).data})
