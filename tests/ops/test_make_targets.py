"""The Makefile's front door: `make serve` puts the web server on port 8000
like `make demo` and the docs (honcho would hand it 5000), and `make test`
finds or installs the browser before any test runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from honcho.environ import expand_processes, parse_procfile

from tests import chromium

ROOT = Path(__file__).resolve().parents[2]


def _planned(target: str, **env: str) -> list[str]:
    """The commands `make` would run for `target`, without running them."""
    environment = {"PATH": os.environ["PATH"], **env}
    done = subprocess.run(
        ["make", "-n", target],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def _web_port(honcho_line: str) -> str:
    """The PORT honcho gives the Procfile's web process, from the line make runs."""
    assignments = dict(
        word.split("=", 1) for word in honcho_line.split() if "=" in word and word[0].isupper()
    )
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    web = next(
        p for p in expand_processes(processes, port=int(assignments["PORT"])) if p.name == "web.1"
    )
    return web.env["PORT"]


def test_make_serve__port_not_set__web_server_on_8000():
    honcho = next(line for line in _planned("serve") if "honcho" in line)

    assert _web_port(honcho) == "8000"


def test_make_serve__port_set__that_port():
    honcho = next(line for line in _planned("serve", PORT="9100") if "honcho" in line)

    assert _web_port(honcho) == "9100"


def test_make_test__browser_found_or_installed_before_pytest():
    commands = " ".join(_planned("test"))

    assert commands.index("-m tests.chromium") < commands.index("-m pytest")
    assert 'GOVERNOR_CHROMIUM="$browser"' in commands


def test_browser_setup__named_browser_does_not_start__one_line_instruction_and_exit_1():
    done = subprocess.run(
        [sys.executable, "-m", "tests.chromium"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "GOVERNOR_CHROMIUM": "/bin/false"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == chromium.INSTRUCTION
