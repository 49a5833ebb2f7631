from __future__ import annotations

from rest_framework import serializers


class BudgetStatusOutput(serializers.Serializer):
    """One budget as GET /api/v1/budgets shows it."""

    id = serializers.IntegerField(source="budget.pk")
    name = serializers.CharField(source="budget.name")
    team = serializers.SerializerMethodField()
    unit = serializers.CharField(source="budget.unit")
    period = serializers.CharField(source="budget.period")
    timezone = serializers.CharField(source="budget.timezone")
    period_start = serializers.DateTimeField(source="bounds.start")
    period_end = serializers.DateTimeField(source="bounds.end")
    limit = serializers.DecimalField(source="budget.limit", max_digits=20, decimal_places=4)
    spend = serializers.DecimalField(max_digits=24, decimal_places=10)
    remaining = serializers.DecimalField(max_digits=24, decimal_places=10)
    percent = serializers.DecimalField(max_digits=9, decimal_places=2)
    state = serializers.CharField()
    fallback_threshold_pct = serializers.DecimalField(
        source="budget.fallback_threshold_pct", max_digits=5, decimal_places=2
    )
    reserve_pct = serializers.DecimalField(
        source="budget.reserve_pct", max_digits=5, decimal_places=2
    )
    hard_limit = serializers.CharField(source="budget.hard_limit")
    forecast_exhausted_at = serializers.DateTimeField(allow_null=True)

    def get_team(self, status) -> str | None:
        return status.budget.team.slug if status.budget.team_id else None
