"""`make fuzz`: the long schema-driven fuzz, against a live server on PostgreSQL.

    python -m tests.ops.fuzz [--examples 1000] [--timeout 3600]

Governor's production web server runs on a fresh database of the PostgreSQL
server that DATABASE_URL names (dropped afterwards) with a seeded API key;
schemathesis runs every phase (examples, coverage, fuzzing, and the stateful
phase, which follows the schema's links) with up to `--examples` cases per
operation. Any 5xx, or an answer the schema does not describe, fails the run.
The run stops by itself; past `--timeout` seconds it is stopped and fails.
The suite's short version (25 cases per operation, in-process) is
tests/ops/test_api_fuzz.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.ops.live import REPO, Stack, live_database, new_workdir

# As the suite's fuzz test: every answer is one the schema describes. Not
# checked: that schema-invalid input is refused (one bad record is rejected
# alone, in a 207) and that schema-valid input is taken (cross-field rules
# such as since < until answer a documented 400).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# Operations for signed-in people, not API keys: fuzzed again with an admin's session.
SESSION_OPERATIONS = ("dashboard_page", "dashboard_export_status", "policy_replay_status")

# Something to find: a flag (OFREP answers 404 for any other key) and an
# admin's session, whose cookie is printed alone on the last line.
SEED = """
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from governance.accounts import roles
from django.contrib.auth.models import User
from governance.flags.services import flag_create
flag_create(
    key="fuzz-pilot", variants={"on": True, "off": False}, default_variant="on",
    enabled=True, actor="command:fuzz", reason="something for the fuzz to evaluate",
)
admin = User.objects.create_user("fuzz-admin")
admin.groups.add(Group.objects.get(name=roles.ADMIN_GROUP))
browser = Client()
browser.force_login(admin)
print(f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="cases per operation")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds before giving up")
    # One worker: schemathesis' generation is not reliably thread-safe (an
    # internal error, not a finding, came out of a run with two).
    parser.add_argument("--workers", type=int, default=1, help="concurrent schemathesis workers")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("make fuzz runs on PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    workdir = new_workdir()
    report = REPO / "var" / "fuzz-report"
    try:
        with live_database(workdir, prefix="gov_fuzz") as database_url:
            stack = Stack(database_url=database_url, broker_url="", workdir=workdir)
            try:
                stack.prepare()
                key = stack.issue_key(team="fuzz", name="fuzzer")
                cookie = stack.manage("shell", "-c", SEED).strip().splitlines()[-1]
                stack.start_web()
                print(f"fuzzing {stack.base_url} (server log: {workdir / 'web.log'})", flush=True)
                with_key = _schemathesis(
                    stack,
                    header=f"Authorization: Bearer {key}",
                    args=args,
                    report=report,
                    without=SESSION_OPERATIONS,
                )
                with_session = _schemathesis(
                    stack,
                    header=f"Cookie: {cookie}",
                    args=args,
                    report=report,
                    only=SESSION_OPERATIONS,
                    # No links among these three: nothing for a stateful phase to follow.
                    phases=PHASES[:-1],
                )
                return with_key or with_session
            finally:
                stack.stop_all()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _schemathesis(
    stack: Stack,
    *,
    header: str,
    args: argparse.Namespace,
    report: Path,
    only: tuple[str, ...] = (),
    without: tuple[str, ...] = (),
    phases: tuple[str, ...] = PHASES,
) -> int:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{stack.base_url}/api/schema/",
        f"--url={stack.base_url}",
        f"--header={header}",
        f"--phases={','.join(phases)}",
        f"--checks={','.join(CHECKS)}",
        f"--max-examples={args.examples}",
        f"--workers={args.workers}",
        "--request-timeout=30",
        "--suppress-health-check=all",
        "--report=junit",
        f"--report-dir={report}",
        *(f"--include-operation-id={operation}" for operation in only),
        *(f"--exclude-operation-id={operation}" for operation in without),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.ops.fuzz_hooks"}
    try:
        return subprocess.run(
            command, cwd=REPO, env=env, timeout=args.timeout, check=False
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"make fuzz: stopped after {args.timeout} s without finishing", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
