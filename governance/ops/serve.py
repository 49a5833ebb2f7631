"""The production web server: Granian serving the WSGI application.

    python -m governance.ops.serve [module:application]

Granian parses HTTP in Rust and hands each request to a Python thread in
one of its worker processes: for requests as small as a decision, a server
that parses HTTP in Python (gunicorn's gthread workers) spends more on that
than Governor spends on the decision. The comparison is in
benchmarks/RESULTS.md ("Web server and threads").

Everything is read from the environment, checked like the settings are:

    GOVERNOR_BIND         host:port to listen on (default 127.0.0.1:$PORT, PORT=8000)
    WEB_CONCURRENCY       worker processes (default: cores + 1)
    WEB_THREADS           Python threads per worker (default 2). A request waits
                          for a free thread in the worker its connection is on,
                          so with one thread a decision queues behind an
                          ingested batch or a page; a second thread lets it
                          through (benchmarks/load.py), while more threads
                          mostly wait for the GIL.
    WEB_BACKPRESSURE      requests a worker takes at once before new ones wait
                          in the listen backlog (default: 4 x WEB_THREADS)
    WEB_WORKER_LIFETIME   seconds before a worker is replaced (0 = never, default
                          0); at least 60 when set
    WEB_WORKER_MAX_RSS_MB a worker using more memory than this is replaced
                          (default 1024; 0 = no limit)
    WEB_GRACEFUL_TIMEOUT  seconds a stopping worker gets to finish its requests
                          (default 20)
    WEB_SWITCH_INTERVAL_MS how long a Python thread runs before a thread waiting
                          for the GIL gets it (default 0.5; Python's own is 5).
                          A decision waits for the GIL after each of its
                          reads; behind an ingested batch's Python work, 5 ms
                          each time made it ten times slower under mixed load
                          (benchmarks/load.py). Set in this process before the
                          workers are forked, so they inherit it.
    LOG_LEVEL, LOG_FORMAT as for the application: the server's own lines are
                          JSON (or plain) like every other line

Dead workers are respawned. SIGTERM or SIGINT stops accepting connections and
lets the requests in flight finish; SIGHUP replaces the workers one by one.
No Django is imported here: each worker imports the application itself.
"""

from __future__ import annotations

import os
import sys

from governance.core.env import ConfigurationError, env_float, env_int, env_str
from governance.ops.logconfig import logging_config, logging_format

DEFAULT_TARGET = "governance.wsgi:application"


def _bind() -> tuple[str, int]:
    bind = env_str("GOVERNOR_BIND", f"127.0.0.1:{env_int('PORT', 8000, minimum=0)}")
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigurationError(f"GOVERNOR_BIND must be host:port, got {bind!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - an explicit ":8000" means every interface


def server_options() -> dict:
    """Granian's keyword arguments from the environment."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    host, port = _bind()
    threads = env_int("WEB_THREADS", 2, minimum=1)
    lifetime = env_int("WEB_WORKER_LIFETIME", 0, minimum=0)
    if 0 < lifetime < 60:
        raise ConfigurationError("WEB_WORKER_LIFETIME must be 0 (never) or at least 60 seconds")
    max_rss = env_int("WEB_WORKER_MAX_RSS_MB", 1024, minimum=0)
    level = env_str("LOG_LEVEL", "info").lower()
    if level not in LogLevels.__members__:
        raise ConfigurationError(f"LOG_LEVEL must be one of {', '.join(LogLevels.__members__)}")
    return {
        "address": host,
        "port": port,
        "interface": Interfaces.WSGI,
        "websockets": False,
        "workers": env_int("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1, minimum=1),
        "blocking_threads": threads,
        "backpressure": env_int("WEB_BACKPRESSURE", 4 * threads, minimum=1),
        # A client that opens a connection and never finishes its headers is
        # dropped rather than held (milliseconds).
        "http1_settings": HTTP1Settings(header_read_timeout=10_000),
        "respawn_failed_workers": True,
        "workers_lifetime": lifetime or None,
        "workers_max_rss": max_rss or None,
        "workers_kill_timeout": env_int("WEB_GRACEFUL_TIMEOUT", 20, minimum=1),
        # The application logs each request as JSON with its id; an access log
        # from the server would be a second line without it.
        "log_access": False,
        "log_level": LogLevels(level),
        "log_dictconfig": logging_config(fmt=logging_format(), level=level.upper(), server=True),
    }


def switch_interval() -> float:
    """Seconds a Python thread runs before a waiting one gets the GIL."""
    return env_float("WEB_SWITCH_INTERVAL_MS", 0.5, minimum=0.05, maximum=100.0) / 1000


def main(argv: list[str] | None = None) -> None:
    from granian.server import Server

    args = sys.argv[1:] if argv is None else argv
    target = args[0] if args else DEFAULT_TARGET
    options = server_options()
    sys.setswitchinterval(switch_interval())
    Server(target, **options).serve()


if __name__ == "__main__":
    main()
