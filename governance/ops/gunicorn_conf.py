"""gunicorn settings for `make serve` and production, from the environment.

Used as `gunicorn -c python:governance.ops.gunicorn_conf governance.wsgi`.
"""

from __future__ import annotations

import os

from governance.env import env_int, env_str

bind = [env_str("GOVERNOR_BIND", f"127.0.0.1:{env_int('PORT', 8000, minimum=0)}")]
workers = env_int("WEB_CONCURRENCY", 3, minimum=1)
threads = env_int("GUNICORN_THREADS", 1, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 20, minimum=1)
keepalive = 5
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 5000, minimum=0)
max_requests_jitter = max_requests // 10
# Request lines and headers are bounded by gunicorn itself (defaults kept);
# bodies are bounded by governance.ops.middleware.BodyLimitMiddleware.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The application logs each request as JSON with its id; gunicorn's own
# access log would be a second, unstructured line.
accesslog = None
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
proc_name = "governor-web"

# Cleared by `make serve` before any process starts (web and worker share it).
_MULTIPROC = env_str("PROMETHEUS_MULTIPROC_DIR")


def child_exit(server, worker) -> None:
    if _MULTIPROC:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def when_ready(server) -> None:
    server.log.info("governor web ready on %s with %d workers (pid %d)", bind, workers, os.getpid())
