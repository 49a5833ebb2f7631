"""Where background work stands, as JSON."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import IsAdmin
from governance.core.jobs import JobState, jobs_overview


class JobsApi(APIView):
    """Queued, running, stalled and recently failed background jobs. Admins
    only, like the jobs page: exports and replays hold filters and drafts."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="jobs_list",
        description=(
            "Background work that is queued, running, stalled (its worker was lost; beat "
            "requeues it) or failed in the last 7 days, oldest first, with its progress, "
            "age and last error."
        ),
        responses=inline_serializer(
            "JobList",
            {
                "jobs": inline_serializer(
                    "Job",
                    {
                        "kind": serializers.CharField(),
                        "id": serializers.CharField(),
                        "subject": serializers.CharField(allow_blank=True),
                        "state": serializers.ChoiceField(choices=JobState.values),
                        "done": serializers.IntegerField(),
                        "total": serializers.IntegerField(),
                        "percent": serializers.IntegerField(),
                        "created_at": serializers.DateTimeField(),
                        "age_seconds": serializers.IntegerField(),
                        "heartbeat_at": serializers.DateTimeField(allow_null=True),
                        "requeues": serializers.IntegerField(),
                        "error": serializers.CharField(allow_blank=True),
                    },
                    many=True,
                )
            },
        ),
    )
    def get(self, request):
        rows = jobs_overview(now=timezone.now())
        return Response(
            {
                "jobs": [
                    {
                        "kind": row.kind,
                        "id": row.id,
                        "subject": row.subject,
                        "state": row.state,
                        "done": row.done,
                        "total": row.total,
                        "percent": row.percent,
                        "created_at": row.created_at.isoformat(),
                        "age_seconds": row.age_seconds,
                        "heartbeat_at": row.heartbeat_at.isoformat() if row.heartbeat_at else None,
                        "requeues": row.requeues,
                        "error": row.error,
                    }
                    for row in rows
                ]
            }
        )
