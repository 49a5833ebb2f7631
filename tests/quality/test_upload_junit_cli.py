"""`governor upload-junit`: the CI pipeline's way to send a JUnit report."""

from __future__ import annotations

import io
import json
import threading
import urllib.parse
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from governance.client import cli
from governance.client.http import Transport
from governance.quality.models import SuiteRun

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = str(FIXTURES / "surefire.xml")


def no_wait_transport(**kwargs) -> Transport:
    return Transport(sleep=lambda seconds: None, **kwargs)


def governor(argv, env, *, transport_factory=no_wait_transport):
    """Run the CLI as CI would, capturing what it prints."""
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(argv)
    code = args.func(args, environ=env, transport_factory=transport_factory, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class StubGovernor:
    """A local HTTP server answering with the given (status, body) in turn."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests: list[dict] = []
        handler = partial(_Handler, self)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, stub, *args, **kwargs):
        self.stub = stub
        super().__init__(*args, **kwargs)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.stub.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
        )
        status, body = self.stub.answers.pop(0)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        """Keep the stub server's access log out of the test output."""


ACCEPTED = {
    "run_id": "r-1",
    "replaced": False,
    "passed": 4,
    "failed": 1,
    "errored": 0,
    "skipped": 1,
    "pass_rate": 0.8,
}


def test_upload_junit__server_busy_then_accepts__retries_and_exits_zero():
    with StubGovernor([(503, {"detail": "busy"}), (201, ACCEPTED)]) as stub:
        code, out, err = governor(
            ["upload-junit", REPORT, "--run-id", "r-1", "--model", "gpt-5-codex-mini", "--call-id", "c-1,c-2",
             "--call-id", "c-3", "--outcome", "promoted"],
            {"GOVERNOR_URL": stub.url, "GOVERNOR_API_KEY": "gov_abc_secret"},
        )  # fmt: skip
    assert (code, err) == (0, "")
    assert "recorded run r-1: 4 passed, 1 failed" in out
    assert len(stub.requests) == 2
    sent = stub.requests[-1]
    path, _, query = sent["path"].partition("?")
    assert path == "/api/v1/test-runs"
    assert urllib.parse.parse_qs(query) == {
        "run_id": ["r-1"], "model": ["gpt-5-codex-mini"], "outcome": ["promoted"], "call_ids": ["c-1,c-2,c-3"],
    }  # fmt: skip
    assert sent["headers"]["Authorization"] == "Bearer gov_abc_secret"
    assert sent["headers"]["Content-Type"] == "application/xml"
    assert sent["body"] == Path(REPORT).read_bytes()


def test_upload_junit__server_refuses__exits_one_with_its_reason():
    with StubGovernor([(400, {"report": ["the report is not well-formed XML"]})]) as stub:
        code, out, err = governor(
            ["upload-junit", REPORT, "--run-id", "r-1", "--model", "m"],
            {"GOVERNOR_URL": stub.url, "GOVERNOR_API_KEY": "k"},
        )
    assert code == 1
    assert "upload of run 'r-1' failed: Governor answered 400" in err
    assert "not well-formed" in err
    assert len(stub.requests) == 1  # a 4xx is final: no retry


def test_upload_junit__governor_unreachable__exits_one_after_all_attempts():
    with StubGovernor([]) as stub:
        url = stub.url
    code, _, err = governor(
        [
            "upload-junit",
            REPORT,
            "--run-id",
            "r-1",
            "--model",
            "m",
            "--max-attempts",
            "2",
            "--timeout",
            "2",
        ],
        {"GOVERNOR_URL": url, "GOVERNOR_API_KEY": "k"},
    )
    assert code == 1
    assert "cannot reach Governor" in err


def test_upload_junit__no_url_or_key_in_environment__exits_two_naming_them():
    code, _, err = governor(["upload-junit", REPORT, "--run-id", "r", "--model", "m"], {})
    assert code == 2
    assert "GOVERNOR_URL and GOVERNOR_API_KEY" in err


def test_upload_junit__missing_report_file__exits_two_naming_it():
    code, _, err = governor(
        ["upload-junit", "nope.xml", "--run-id", "r", "--model", "m"],
        {"GOVERNOR_URL": "http://127.0.0.1:9", "GOVERNOR_API_KEY": "k"},
    )
    assert code == 2
    assert "cannot read the report 'nope.xml'" in err


def test_upload_junit__without_run_id__argparse_refuses():
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["upload-junit", REPORT, "--model", "m"])
    assert exited.value.code == 2


@pytest.mark.django_db(transaction=True)
def test_upload_junit__against_a_running_governor__stores_the_run_and_replaces_on_reupload(
    live_server, issue_key
):
    raw, key = issue_key(scopes=("ingest",))
    env = {"GOVERNOR_URL": live_server.url, "GOVERNOR_API_KEY": raw}
    argv = ["upload-junit", str(FIXTURES / "pytest.xml"), "--run-id", "ci-77", "--model", "gpt-5-codex-mini",
            "--task-type", "test_generation", "--outcome", "escalated"]  # fmt: skip
    first = governor(argv, env)
    second = governor(argv, env)
    assert first[0] == second[0] == 0
    assert (
        "recorded run ci-77: 3 passed, 1 failed, 1 errored, 1 skipped (60.0% pass rate)" in first[1]
    )
    assert "replaced run ci-77" in second[1]
    run = SuiteRun.objects.get(client=key.client)
    assert (run.run_id, run.outcome, run.passed, run.failed, run.errored) == (
        "ci-77",
        "escalated",
        3,
        1,
        1,
    )


def test_governor_main__upload_junit_without_environment__returns_two(monkeypatch, capsys):
    monkeypatch.delenv("GOVERNOR_URL", raising=False)
    monkeypatch.delenv("GOVERNOR_API_KEY", raising=False)
    assert cli.main(["upload-junit", REPORT, "--run-id", "r", "--model", "m"]) == 2
    assert "set GOVERNOR_URL" in capsys.readouterr().err


def test_upload_junit__several_reports__one_run_each_named_after_its_file():
    second = str(FIXTURES / "pytest.xml")
    with StubGovernor([(201, ACCEPTED), (201, {**ACCEPTED, "run_id": "r-1-pytest"})]) as stub:
        code, out, err = governor(
            ["upload-junit", REPORT, second, "--run-id", "r-1", "--model", "gpt-5-codex-mini"],
            {"GOVERNOR_URL": stub.url, "GOVERNOR_API_KEY": "gov_abc_secret"},
        )
    assert (code, err) == (0, "")
    run_ids = [
        urllib.parse.parse_qs(r["path"].partition("?")[2])["run_id"][0] for r in stub.requests
    ]
    assert run_ids == ["r-1-surefire", "r-1-pytest"]
    assert [r["body"] for r in stub.requests] == [
        Path(REPORT).read_bytes(),
        Path(second).read_bytes(),
    ]
    assert out.count("recorded run") == 2
