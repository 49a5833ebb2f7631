"""`governor decide`: the routing decision for a job, as JSON, for CI scripts.

    GOVERNOR_URL=https://governor.example GOVERNOR_API_KEY=gov_... \\
        governor decide --task-type unit_test_draft --risk low

Decides locally from the policy snapshot: fetched from Governor, else the last
good one kept on disk, else the built-in default policy. Reads GOVERNOR_URL
and GOVERNOR_API_KEY (a key with the 'policy:read' scope).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from governance.client.http import GovernorError
from governance.client.routing import GovernorClient
from governance.engine.context import ENVIRONMENTS, RISKS, ContextInvalid

EXIT_USAGE = 2
EXIT_BLOCKED = 3


def _attribute(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    if isinstance(value, (dict, list)):
        value = raw
    return name, value


def _add_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("GOVERNOR_URL", ""),
        help="Governor's base URL (env GOVERNOR_URL)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("GOVERNOR_API_KEY", ""),
        help="API key with policy:read (env GOVERNOR_API_KEY)",
    )


def _cmd_decide(args: argparse.Namespace) -> int:
    client = GovernorClient(
        args.url or "http://governor.invalid",
        args.api_key,
        cache_dir=args.cache_dir,
        request_timeout=args.timeout,
        start=False,
    )
    warning = None
    if args.url and args.api_key:
        try:
            client.refresh()
        except GovernorError as exc:
            warning = str(exc)
    else:
        warning = "no --url/--api-key given"
    try:
        decision = client.decide(
            task_type=args.task_type,
            risk=args.risk,
            environment=args.environment,
            targeting_key=args.targeting_key,
            attributes=dict(args.attr),
        )
    except ContextInvalid as exc:
        print(f"governor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = {**decision.to_dict(), "snapshot_source": client.source}
    json.dump(out, sys.stdout, indent=2 if args.pretty else None)
    sys.stdout.write("\n")
    if warning:
        print(f"governor: deciding from the {client.source} snapshot: {warning}", file=sys.stderr)
    return EXIT_BLOCKED if decision.blocked and args.fail_when_blocked else 0


def register(sub: argparse._SubParsersAction) -> None:
    decide = sub.add_parser(
        "decide",
        help="print the routing decision for a job as JSON",
        description="Decide locally from the policy snapshot (fetched, else the last one kept on disk, "
        "else the built-in default) and print the decision as JSON.",
    )
    _add_connection(decide)
    decide.add_argument(
        "--task-type", default="", help="e.g. unit_test_draft, boilerplate, refactor"
    )
    decide.add_argument("--risk", choices=RISKS, default="medium")
    decide.add_argument("--environment", choices=ENVIRONMENTS, default="ci")
    decide.add_argument(
        "--targeting-key", default="", help="stable id for percentage rollouts (PR, user, repo)"
    )
    decide.add_argument(
        "--attr",
        type=_attribute,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a context attribute (repeatable)",
    )
    decide.add_argument("--cache-dir", default=None, help="where the last good snapshot is kept")
    decide.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for Governor")
    decide.add_argument("--pretty", action="store_true", help="indent the JSON")
    decide.add_argument(
        "--fail-when-blocked",
        action="store_true",
        help=f"exit with status {EXIT_BLOCKED} when the decision blocks the job",
    )
    decide.set_defaults(func=_cmd_decide)
