"""One logging configuration for every Governor process: the web server,
the application inside it, the Celery worker and beat.

Each line is one JSON object (or plain text for a terminal, LOG_FORMAT=plain)
carrying the request or task id. Imports no Django, so the web server's
master process can use it before any application is loaded.
"""

from __future__ import annotations

from typing import Any

from governance.core.env import ConfigurationError

FORMATS = ("json", "plain")


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
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
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
