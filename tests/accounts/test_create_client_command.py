"""`manage.py create_client` as a person runs it at a terminal and as a
script runs it: readable lines for the person, the key alone on stdout's
last line for both, JSON logs only when nobody is watching."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "manage.py", "create_client", "--team", "payments", "--name", "ci"]


@pytest.fixture(scope="module")
def child_env(tmp_path_factory) -> dict[str, str]:
    """One migrated database for the module: migrating is most of the time."""
    tmp_path = tmp_path_factory.mktemp("create_client")
    env = {
        "PATH": os.environ["PATH"],
        "GOVERNOR_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'governor.sqlite3'}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return env


def _in_a_terminal(command: list[str], env: dict[str, str]) -> list[str]:
    """What a person sees: stdout and stderr both on a pseudo-terminal."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(  # noqa: S603 - the project's own command
        command, cwd=ROOT, env=env, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the command exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode().replace("\r\n", "\n").strip().splitlines()


def test_create_client__at_a_terminal__plain_lines_then_the_key_and_no_json(child_env):
    lines = _in_a_terminal(COMMAND, child_env)

    assert not [line for line in lines if line.lstrip().startswith("{")]
    assert any("audit.recorded" in line and "action=api_key.issue" in line for line in lines)
    assert not [line for line in lines if "\x1b[" in line]  # no colour: nothing went wrong
    assert lines[-2].startswith("Client ") and lines[-2].endswith("store it now:")
    assert lines[-1].startswith("gov_")


def test_create_client__piped__key_alone_on_stdout_json_logs_on_stderr(child_env):
    done = subprocess.run(
        COMMAND, cwd=ROOT, env=child_env, capture_output=True, text=True, check=True, timeout=60
    )

    assert done.stdout.strip().startswith("gov_")
    assert len(done.stdout.strip().splitlines()) == 1
    assert any(line.startswith("{") for line in done.stderr.splitlines())
