"""Fixtures for the OTLP intake tests with real clients: a live Governor, the
real Codex CLI (installed by the suite itself) and a stand-in Responses API."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.ops.live import Stack, live_database, new_workdir

CODEX_DIR = Path(__file__).resolve().parent / "codex"
CODEX_BIN = CODEX_DIR / "node_modules" / ".bin" / "codex"
INSTALLED_STAMP = CODEX_DIR / "node_modules" / ".governor-installed"


@pytest.fixture(scope="module")
def governor() -> Iterator[Stack]:
    """Governor's production web server on a database of its own, tasks run in-process."""
    workdir = new_workdir()
    with live_database(workdir, prefix="gov_otlp_live") as database_url:
        stack = Stack(database_url=database_url, broker_url="", workdir=workdir)
        try:
            stack.prepare()
            stack.start_web()
            yield stack
        finally:
            stack.stop_all()
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def codex_cli() -> Path:
    """The Codex CLI pinned in codex/package-lock.json, installed with `npm ci`
    the first time and kept in codex/node_modules until the lock file changes."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            "npm not found: install Node.js 20 and npm (apt-get install nodejs npm) to run the Codex CLI tests",
            pytrace=False,
        )
    lock = hashlib.sha256((CODEX_DIR / "package-lock.json").read_bytes()).hexdigest()
    # Parallel test workers share the folder: one installs, the others wait.
    with open(CODEX_DIR / ".install.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        installed = INSTALLED_STAMP.read_text() if INSTALLED_STAMP.exists() else ""
        if installed != lock or not CODEX_BIN.exists():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=CODEX_DIR,
                check=True,
                capture_output=True,
                timeout=600,
            )
            INSTALLED_STAMP.write_text(lock)
    return CODEX_BIN


class ResponsesStandIn:
    """A small stand-in for the OpenAI Responses API: every POST to .../responses
    streams one assistant message and a response.completed with `usage`."""

    def __init__(self) -> None:
        self.usage: dict = {}
        self.model = "gpt-5-codex"
        self.requests: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                standin.requests.append(self.path)
                if not self.path.endswith("/responses"):
                    self._answer(404, "application/json", b'{"error": "not here"}')
                    return
                events = [
                    {"type": "response.created", "response": {"id": "resp_standin"}},
                    {
                        "type": "response.output_item.done",
                        "item": {
                            "type": "message",
                            "role": "assistant",
                            "id": "msg_standin",
                            "content": [{"type": "output_text", "text": "Done."}],
                        },
                    },
                    {
                        "type": "response.completed",
                        "response": {
                            "id": "resp_standin",
                            "model": standin.model,
                            "usage": standin.usage,
                        },
                    },
                ]
                stream = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
                self._answer(200, "text/event-stream", stream.encode())

            def do_GET(self) -> None:
                standin.requests.append(self.path)
                self._answer(404, "application/json", b'{"error": "not here"}')

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"


@pytest.fixture
def responses_standin() -> Iterator[ResponsesStandIn]:
    standin = ResponsesStandIn()
    standin.thread.start()
    try:
        yield standin
    finally:
        standin.server.shutdown()
        standin.server.server_close()
