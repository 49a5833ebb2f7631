"""Project-wide REST helpers: one error shape for every API response."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from governance.core.errors import FieldError

logger = logging.getLogger("governance.api")


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry shortly."
    default_code = "service_unavailable"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # A database outage is the server's problem, not the client's: 503 with
    # Retry-After so that well-behaved clients back off and retry, never a 500.
    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and _connection_lost(exc)
    ):
        logger.warning("api.database_unavailable", extra={"error": type(exc).__name__})
        response = Response(
            {"detail": ServiceUnavailable.default_detail},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "2"
        return response
    if isinstance(exc, FieldError):
        # A service or selector refused one input: the answer names it, as a
        # serializer's validation error does.
        return Response({exc.field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def _connection_lost(exc: DatabaseError) -> bool:
    text = str(exc).lower()
    return "connection" in text and ("closed" in text or "terminat" in text or "lost" in text)
