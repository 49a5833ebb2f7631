from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts import roles
from governance.accounts.models import ApiKey
from governance.budgets.selectors import budgets_status
from governance.budgets.serializers import BudgetStatusOutput


class CanReadBudgets(BasePermission):
    """A key reads its own team's (and the organisation's) budgets; managers and admins read all."""

    message = "Sign in as a manager or admin, or use an API key."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey) or roles.is_reader(request.user)


class BudgetsView(APIView):
    permission_classes = [CanReadBudgets]

    @extend_schema(
        responses=BudgetStatusOutput(many=True), summary="Budgets with spend, state and forecast"
    )
    def get(self, request):
        team = request.user.team if isinstance(request.auth, ApiKey) else None
        statuses = budgets_status(now=timezone.now(), team=team)
        return Response({"budgets": BudgetStatusOutput(statuses, many=True).data})
