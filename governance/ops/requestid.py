"""The request id: one per HTTP request (or Celery task), on every log line.

Plain Python (no Django) so the logging filter can be configured before
Django is set up.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

_current: ContextVar[str] = ContextVar("governor_request_id", default="-")

# A proxy's id is reused only if it is short and plain: it ends up in logs and
# response headers, so nothing that could forge a log line or a header.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def new_request_id(incoming: str | None = None) -> str:
    if incoming and _ACCEPTABLE.match(incoming):
        return incoming
    return uuid.uuid4().hex


def get_request_id() -> str:
    return _current.get()


def set_request_id(value: str):
    return _current.set(value)


def reset_request_id(token) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamps `request_id` on every record and keeps secrets and prompt text
    out of structured fields."""

    REDACTED_FIELDS = frozenset(
        {
            "authorization",
            "api_key",
            "raw_key",
            "password",
            "secret",
            "token",
            "prompt",
            "response",
            "cookie",
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = getattr(record, "request_id", None) or get_request_id()
        if request_id == "-":
            # django.request logs 4xx/5xx after the middleware has returned;
            # those records carry the request, which carries its id.
            request_id = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = request_id
        for name in self.REDACTED_FIELDS & record.__dict__.keys():
            setattr(record, name, "[redacted]")
        return True
