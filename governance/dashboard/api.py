"""The dashboard's numbers as JSON, for the same filter as the pages: built
from the same `Page` objects, so page, CSV and API agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import IsReader
from governance.dashboard.filters import FilterError, filter_from_query
from governance.dashboard.models import ExportJob
from governance.dashboard.views import PAGES, build_page


def _json_value(value: Any) -> Any:
    # Money travels as a decimal string so no client rounds it through a float.
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class DashboardPageApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsReader]

    @extend_schema(
        operation_id="dashboard_page",
        description="The numbers behind one dashboard page, for the same filters as the page's URL.",
        parameters=[
            OpenApiParameter("page", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(PAGES)),
            OpenApiParameter("range", OpenApiTypes.STR, description="e.g. 7d, 30d, 90d"),
            OpenApiParameter("team", OpenApiTypes.STR),
            OpenApiParameter("model", OpenApiTypes.STR),
            OpenApiParameter("task_type", OpenApiTypes.STR),
            OpenApiParameter("environment", OpenApiTypes.STR),
        ],
        responses=inline_serializer(
            "DashboardPage",
            {
                "page": serializers.CharField(),
                "filters": serializers.DictField(),
                "metrics": serializers.DictField(),
                "tables": serializers.DictField(
                    child=serializers.ListField(child=serializers.DictField())
                ),
            },
        ),
    )
    def get(self, request, page: str):
        if page not in PAGES:
            return Response(
                {"page": [f"unknown page {page!r}; one of {', '.join(PAGES)}"]}, status=404
            )
        try:
            filters = filter_from_query(request.query_params)
            built = build_page(page, request, filters)
        except FilterError as exc:
            return Response({exc.field: [exc.message]}, status=400)
        return Response(
            {
                "page": built.key,
                "filters": filters.as_query(),
                "metrics": {m.key: _json_value(m.value) for m in built.metrics},
                "tables": {
                    t.key: [{k: _json_value(row[k]) for k, _ in t.columns} for row in t.rows]
                    for t in built.tables
                },
            }
        )


class ExportJobApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsReader]

    @extend_schema(
        operation_id="dashboard_export_status",
        responses=inline_serializer(
            "ExportJobStatus",
            {
                "id": serializers.CharField(),
                "status": serializers.CharField(),
                "rows_total": serializers.IntegerField(allow_null=True),
                "rows_done": serializers.IntegerField(),
                "percent": serializers.IntegerField(),
                "error": serializers.CharField(allow_blank=True),
            },
        ),
    )
    def get(self, request, pk):
        job = get_object_or_404(ExportJob, pk=pk)
        return Response(
            {
                "id": str(job.pk),
                "status": job.status,
                "rows_total": job.total,
                "rows_done": job.done,
                "percent": job.percent,
                "error": job.error,
            }
        )
