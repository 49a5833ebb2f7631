"""Request context for every request: an id, a log line, metrics, and the
limits applied before any view reads the body."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject, empty

from governance.core import metrics
from governance.core.parsers import body_refusal
from governance.ops.requestid import new_request_id, reset_request_id, set_request_id
from governance.ops.views import API_PREFIXES

logger = logging.getLogger("governance.http")

DATABASE_RETRY_AFTER_SECONDS = 2


def _route(request: HttpRequest) -> str:
    # The URL pattern, not the path: ids in paths would make one time series
    # per object and leak identifiers into metrics.
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return "/" + (match.route or "").lstrip("^").rstrip("$")


def _principal(request: HttpRequest) -> dict[str, object]:
    auth = getattr(request, "auth", None)
    if auth is not None and hasattr(auth, "client_id"):
        return {"api_key_id": auth.pk, "client_id": auth.client_id}
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        # Never load the user just to log it: that is a database query, and the
        # database may be the reason this request failed.
        if user._wrapped is empty:
            return {}
        user = user._wrapped
    if user is not None and getattr(user, "is_authenticated", False) and hasattr(user, "pk"):
        return {"user_id": user.pk}
    return {}


class RequestContextMiddleware:
    """Outermost middleware: everything below it logs with the request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            route = _route(request)
            response["X-Request-ID"] = request_id
            metrics.HTTP_REQUESTS.labels(
                method=request.method, route=route, status=str(response.status_code)
            ).inc()
            metrics.HTTP_LATENCY.labels(route=route).observe(elapsed)
            # The path without its query string: query strings can carry tokens.
            logger.info(
                "http.request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                    **_principal(request),
                },
            )
            return response
        finally:
            reset_request_id(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Pages and plain views: a database outage is a 503 the client may
        # retry, never a 500 (DRF views get the same from governance.core.rest).
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("http.database_unavailable", extra={"error": type(exception).__name__})
            response = JsonResponse(
                {"detail": "The database is unavailable; retry shortly."}, status=503
            )
            response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
            return response
        return None


class BodyLimitMiddleware:
    """Refuses bodies the application will not read, before anything reads them
    (governance.core.parsers.body_refusal with the global limit).

    DRF's parsers read the WSGI stream directly, bypassing Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE, so the limit is enforced here, once, for
    every endpoint and page. Compressed bodies are refused except on
    GOVERNOR_SELF_INFLATING_PATHS, whose views inflate them under a hard cap.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.GOVERNOR_MAX_BODY_BYTES
        refusal = body_refusal(
            request.META,
            limit=limit,
            inflates_itself=request.path.startswith(settings.GOVERNOR_SELF_INFLATING_PATHS),
        )
        if refusal is None:
            return self.get_response(request)
        logger.info("http.refused", extra={"status": refusal.status, "field": refusal.field})
        response = JsonResponse(
            {"detail": refusal.message, "field": refusal.field}, status=refusal.status
        )
        if refusal.status == 413:
            response["X-Max-Body-Bytes"] = str(limit)
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's message storage, built only when a request uses it.

    Django builds it for every request (a cookie signer and two storage
    objects), a real share of the work of the decision API, which never
    shows a message. Left unbuilt, it has nothing to save: the storage
    writes only what a request read or added.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = request.__dict__.get("_messages")
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response
        return super().process_response(request, response)


class MethodNotAllowedPageMiddleware:
    """A page where Django answers 405 with an empty body: someone who opens
    the address a form posts to (a bookmark, a reload after a redirect) gets
    the site's layout and a way back instead of a blank page. API paths keep
    their own answers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or response.content:
            return response
        from_api = request.path.startswith(API_PREFIXES)
        if from_api or request.method not in ("GET", "HEAD"):
            return response
        page = TemplateResponse(
            request,
            "405.html",
            {"request_path": request.path, "allowed": response["Allow"]},
            status=405,
        )
        page["Allow"] = response["Allow"]
        return page.render()
