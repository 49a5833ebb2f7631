"""Shared helpers for the benchmarks: a throwaway PostgreSQL database, a
production web server on a free loopback port, machine facts, and writing a
section of RESULTS.md. Benchmarks report ratios against a baseline measured
in the same run, so that figures from different machines can be compared."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    pg = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        pg = ", " + subprocess.check_output(["psql", "--version"], text=True).strip()
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}{pg}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(name: str) -> str:
    """Drop and create a PostgreSQL database; return its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.check_output(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True
    )


def migrated_database(name: str, **extra: str) -> dict[str, str]:
    """A fresh PostgreSQL database `name`, migrated: the environment of a Governor
    on it (`extra`: more settings, as django_env takes them)."""
    env = django_env(fresh_database(name), **extra)
    manage(env, "migrate", "--noinput", "-v0")
    return env


def ingest_arguments(doc: str, *, calls: int, batch: int) -> argparse.ArgumentParser:
    """The options of an ingestion benchmark (`doc`: its module docstring): how
    many calls, in batches of what size, from how many senders to how many
    web workers."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=calls)
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    return parser


def ingest_key(env: dict[str, str], client: str) -> str:
    """A new client `client` of team bench, with the ingest scope: its API key."""
    created = manage(
        env, "create_client", "--team", "bench", "--name", client, "--scopes", "ingest"
    )
    return created.strip().splitlines()[-1]


@contextlib.contextmanager
def web_server(
    env: dict[str, str],
    *,
    workers: int,
    threads: int = 2,
    timeout: float = 30.0,
    app: str = "governance.wsgi:application",
):
    """Serve `app` as production does (governance.ops.serve) on a free
    loopback port; yield its base URL."""
    port = free_port()
    env = {
        **env,
        "GOVERNOR_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": str(threads),
    }
    proc = subprocess.Popen([sys.executable, "-m", "governance.ops.serve", app], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(base + "/api/schema/", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the web server did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        if proc.poll() is None:
            proc.kill()


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section `name` of RESULTS.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"<!-- {name}:start -->\n## {name}\n\nMeasured {stamp} on {machine()}.\n\n{body.strip()}\n<!-- {name}:end -->"
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else "# Benchmark results\n\nWritten by the scripts in this folder; each figure is a ratio against a baseline measured in the same run.\n"
    )
    pattern = re.compile(
        rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.S
    )
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    RESULTS.write_text(text)
