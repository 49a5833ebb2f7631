"""One logging configuration for every Governor process: the web server,
the application inside it, the Celery worker and beat.

Each line is one JSON object carrying the request or task id, for servers
and log collectors; a person at a terminal gets plain lines instead, with the
same fields as `key=value`. Imports no Django, so the web server's master
process can use it before any application is loaded.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from governance.core.env import ConfigurationError, env_str

FORMATS = ("json", "plain")
# Fields every record carries; the rest are the event's own (`extra=`).
_STANDARD_FIELDS = frozenset([*RESERVED_ATTRS, "request_id", "taskName"])


def logging_format(stream: Any = None) -> str:
    """LOG_FORMAT when set; otherwise plain when the log stream (stderr) is a
    terminal, so a person running a command reads sentences, and JSON when
    it is a pipe or a file, as under a process manager or in a container."""
    chosen = env_str("LOG_FORMAT")
    if chosen:
        return chosen
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return "plain" if isatty is not None and isatty() else "json"


class PlainFormatter(logging.Formatter):
    """`2026-11-30 05:04:22 INFO audit.recorded action=team.create target_id=1`:
    the event's fields follow its name, the request id only when there is one.
    Governor's events name themselves (`entity.action`); other libraries'
    free-text lines get their logger's name in front."""

    def __init__(self) -> None:
        super().__init__(datefmt="%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        source = "" if record.name.startswith("governance") else f"{record.name}: "
        fields = [
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD_FIELDS and not key.startswith("_")
        ]
        request_id = getattr(record, "request_id", "-")
        if request_id not in ("-", None, ""):
            fields.append(f"request_id={request_id}")
        line = " ".join(
            [self.formatTime(record, self.datefmt), record.levelname, source + message, *fields]
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def logging_config(*, fmt: str, level: str, server: bool = False) -> dict[str, Any]:
    """A `logging.config.dictConfig` document. With `server`, Granian's own
    loggers (its process manager and its access log) write through the same
    handler instead of Granian's plain-text defaults."""
    if fmt not in FORMATS:
        raise ConfigurationError(f"LOG_FORMAT must be 'json' or 'plain', got {fmt!r}")
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "governance.ops.requestid.RequestIdFilter"}},
        "formatters": {
            "plain": {"()": "governance.ops.logconfig.PlainFormatter"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "message": "event",
                },
                "timestamp": False,
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # The request log line comes from RequestContextMiddleware, with the id.
            "django.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
            # django-axes logs every sign-in at INFO; lockouts reach the audit log.
            "axes": {"level": "WARNING"},
        },
    }
    if server:
        for name in ("_granian", "granian.access"):
            config["loggers"][name] = {"handlers": ["console"], "level": level, "propagate": False}
    return config
