"""Real processes for the live tests: the web server (Granian), a Celery worker and beat, and a
PostgreSQL cluster and a Redis server of the test's own (so that stopping them
never touches a server anyone else uses).

Everything listens on loopback on ports chosen by the kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from governance.client.http import Response, Transport
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
VAR = REPO / "var"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_tool(name: str) -> str:
    """A PostgreSQL server program: on PATH, or where Debian installs it."""
    found = shutil.which(name) or next(
        iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise AssertionError(
            f"{name} not found: the fault tests need the PostgreSQL server programs"
        )
    return str(found)


def _as_postgres_user(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    argv = [_pg_tool(argv[0]), *argv[1:]]
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PgCluster:
    """A throwaway PostgreSQL cluster under var/, on a free port."""

    def __init__(self) -> None:
        VAR.mkdir(exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="live-pg-", dir=VAR))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        subprocess.run(
            _as_postgres_user(
                [
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/governor"

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres_user(
                [
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.root / "log"),
                    "-o",
                    options,
                    "-w",
                    *args,
                ]
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def create_database(self) -> None:
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE governor")

    def destroy(self) -> None:
        try:
            self._ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server on a free port, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/2"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what="redis-server")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def postgres_or_skip() -> str:
    """The PostgreSQL server the suite runs on (CI's second pass); on SQLite
    the test does not apply, and says so."""
    import pytest

    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (row locks, concurrent workers): runs in the PostgreSQL pass")
    return configured


@contextmanager
def live_database(workdir: Path, *, prefix: str) -> Iterator[str]:
    """Where a live stack stores data: a fresh database on the PostgreSQL server
    DATABASE_URL names when the suite runs on PostgreSQL (dropped afterwards),
    else an SQLite file in `workdir`."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{workdir / 'governor.sqlite3'}"
        return
    admin = configured.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield configured.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Database:
    """Where the processes store data, and a way for the test to count rows."""

    url: str

    def scalar(self, sql: str, *params) -> object:
        if self.url.startswith("sqlite:///"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=20) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchone()[0]
        with psycopg.connect(
            self.url.replace("postgres://", "postgresql://", 1), connect_timeout=5
        ) as conn:
            return conn.execute(sql, params).fetchone()[0]

    def stored_calls(self) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM calls_call"))

    def rolled_up_calls(self) -> int:
        return int(self.scalar("SELECT COALESCE(SUM(calls), 0) FROM calls_callrollup"))


@dataclass
class Stack:
    """Governor as `make serve` runs it: the web server, a Celery worker and beat."""

    database_url: str
    broker_url: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "CELERY_", "PYTEST_", "GOVERNOR_", "PROMETHEUS_"))
        }
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "CELERY_BROKER_URL": self.broker_url,
                # A queue of this run's own: the broker may be shared.
                "CELERY_TASK_DEFAULT_QUEUE": f"ops-live-{self.workdir.name}",
                "DEBUG": "0",
                "SECRET_KEY": "live-test-" + "k" * 50,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "GOVERNOR_VAR_DIR": str(self.workdir),
                "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "prometheus"),
                "GOVERNOR_BIND": f"127.0.0.1:{self.port}",
                "WEB_CONCURRENCY": "2",
                "CELERY_CONCURRENCY": "1",
                "GOVERNOR_API_KEY_RATE": "100000/min",
                "LOG_FORMAT": "json",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def prepare(self) -> None:
        (self.workdir / "prometheus").mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--noinput", "-v", "0")

    def issue_key(self, *, team: str, name: str, scopes: str = "ingest,policy:read") -> str:
        return (
            self.manage("create_client", "--team", team, "--name", name, "--scopes", scopes)
            .strip()
            .splitlines()[-1]
        )

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            argv,
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self) -> None:
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "governance.ops.serve",
            ],
        )
        wait_for(
            lambda: self.status("/healthz") == 200, timeout=60, what="the web server to answer"
        )

    def _spawn_celery(self, name: str, *options: str) -> None:
        argv = [sys.executable, "-m", "celery", "-A", "governance", "--quiet", name]
        self._spawn(name, [*argv, "--loglevel=INFO", *options])

    def start_worker(self) -> None:
        self._spawn_celery(
            "worker",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )

    def start_beat(self) -> None:
        self._spawn_celery("beat", f"--schedule={self.workdir / 'celerybeat-schedule'}")

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children: no graceful shutdown."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def kill_main(self, name: str) -> None:
        """SIGKILL the process alone, as an out-of-memory kill does (Celery's
        pool children follow it: they die with their parent)."""
        process = self.processes.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    @contextmanager
    def running(self) -> Iterator[Stack]:
        """Migrated, with web, worker and beat up; everything gone afterwards."""
        try:
            self.prepare()
            self.start_worker()
            self.start_beat()
            self.start_web()
            yield self
        finally:
            self.stop_all()
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def status(self, path: str) -> int | None:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=5) as response:  # noqa: S310 - loopback
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    def get(self, path: str, **headers: str) -> Response:
        request = urllib.request.Request(self.base_url + path, headers=headers)  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return Response(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    response.read(),
                )
        except urllib.error.HTTPError as exc:
            return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())

    def metric(self, name: str, **labels: str) -> float:
        """The sum of a metric's samples matching `labels` (0 if none yet)."""
        total = 0.0
        for line in self.get("/metrics").body.decode().splitlines():
            if (
                line.startswith(name)
                and (line[len(name)] in "{ ")
                and all(f'{k}="{v}"' in line for k, v in labels.items())
            ):
                total += float(line.rsplit(" ", 1)[1])
        return total


class RecordingTransport(Transport):
    """The routing client's transport, remembering every status it received."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.statuses: list[int | None] = []

    def _send(self, method, url, body, headers):
        try:
            response = super()._send(method, url, body, headers)
        except OSError:
            self.statuses.append(None)
            raise
        self.statuses.append(response.status)
        return response


def batch(prefix: str, index: int, size: int, *, age: timedelta = timedelta(minutes=5)) -> bytes:
    """`size` call records with call ids unique to (prefix, index)."""
    ts = (datetime.now(UTC) - age).isoformat().replace("+00:00", "Z")
    records = [
        {
            "call_id": f"{prefix}-{index}-{n}",
            "timestamp": ts,
            "model": "gpt-5-codex-mini" if n % 2 else "gpt-5-codex",
            "task_type": "unit_tests",
            "risk": "low",
            "environment": "ci",
            "input_tokens": 1000 + n,
            "output_tokens": 200,
            "status": "ok",
        }
        for n in range(size)
    ]
    return json.dumps({"calls": records}).encode()


def new_workdir() -> Path:
    VAR.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"live-{uuid.uuid4().hex[:6]}-", dir=VAR))
