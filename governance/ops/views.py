"""Endpoints for load balancers and Prometheus. Plain Django views: no API key,
no session, no throttle — they must answer even when everything else is busy."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.views import View, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from governance.accounts.permissions import AdminRequiredMixin
from governance.core import metrics
from governance.core.jobs import JobState, jobs_overview
from governance.ops.requestid import get_request_id
from governance.ops.selectors import readiness_checks

READINESS_RETRY_AFTER_SECONDS = 5


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness_checks()
    ready = all(check.ok for check in checks)
    response = JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        },
        status=200 if ready else 503,
    )
    if not ready:
        response["Retry-After"] = str(READINESS_RETRY_AFTER_SECONDS)
    return response


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.GOVERNOR_METRICS_TOKEN
    if token:
        supplied = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            response = JsonResponse({"detail": "A valid metrics token is required."}, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (JSON, the
    schema): send them to the app's icon instead of a 404 in the console."""
    response = HttpResponse(status=301)
    response["Location"] = static("governor/favicon.svg")
    return response


# Paths whose clients read JSON: an error there must be JSON too, not the HTML page.
API_PREFIXES = ("/api/", "/ofrep/", "/otlp/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIXES):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIXES):
        detail = str(exception) or "You do not have permission to perform this action."
        return JsonResponse({"detail": detail}, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page carries the request id, which the error's log line has too.
    Rendered without the request's context: whatever failed may fail again."""
    request_id = get_request_id()
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(
            {"detail": "Server error; it has been logged.", "request_id": request_id}, status=500
        )
    page = loader.get_template("500.html").render({"request_id": request_id})
    return HttpResponseServerError(page)


class JobsView(LoginRequiredMixin, AdminRequiredMixin, View):
    """Where background work stands, for admins."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = jobs_overview(now=timezone.now())
        counts = {state: 0 for state in JobState.values}
        for row in rows:
            counts[row.state] += 1
        context = {
            "jobs": rows,
            "counts": counts,
            "stall_seconds": settings.GOVERNOR_JOB_STALL_SECONDS,
        }
        return render(request, "ops/jobs.html", context)
