"""`governor upload-junit`: send a CI job's JUnit XML report to Governor.

    GOVERNOR_URL=https://governor.example GOVERNOR_API_KEY=gov_... \\
        governor upload-junit report.xml --run-id "$CI_JOB_ID" --model gpt-5-codex-mini \\
            --task-type test_generation --call-id c-123 --outcome promoted

Retries connection failures, 429 and 5xx with backoff (see `Transport`);
exits 0 on success, 1 when Governor refused or could not be reached, 2 on a
usage error (no URL or key, unreadable report). Standard library only.
"""

from __future__ import annotations

import argparse
import os
import urllib.parse
from collections.abc import Callable
from typing import TextIO

from governance.client.command import Console, subcommand
from governance.client.http import GovernorError, Transport

PATH = "/api/v1/test-runs"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
QUERY_FIELDS = (
    "run_id",
    "model",
    "task_type",
    "timestamp",
    "repo",
    "commit",
    "pull_request",
    "job",
    "attempt",
    "outcome",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `upload-junit` subcommand to the `governor` parser."""
    parser = subparsers.add_parser(
        "upload-junit",
        help="upload a JUnit XML report as a test run",
        description="Upload a JUnit XML report of generated tests. Uploading the same --run-id again "
        "replaces that run. Reads GOVERNOR_URL and GOVERNOR_API_KEY (key with the 'ingest' scope).",
    )
    parser.add_argument(
        "report",
        nargs="+",
        help="path to the JUnit XML report, or - for standard input; with several reports each "
        "is its own run, named <run-id>-<report file name without .xml>",
    )
    parser.add_argument(
        "--run-id", required=True, help="this run's id, unique per client (e.g. the CI job id)"
    )
    parser.add_argument("--model", required=True, help="the model that generated the tests")
    parser.add_argument("--task-type", help="e.g. test_generation, refactor")
    parser.add_argument(
        "--call-id",
        dest="call_ids",
        action="append",
        default=[],
        help="a call that generated these tests (repeatable, or comma-separated)",
    )
    parser.add_argument("--timestamp", help="when the run finished (ISO 8601; default: now)")
    parser.add_argument("--repo")
    parser.add_argument("--commit")
    parser.add_argument("--pull-request")
    parser.add_argument("--job")
    parser.add_argument("--attempt", type=int)
    parser.add_argument(
        "--outcome",
        choices=("promoted", "escalated"),
        help="promoted: tests kept; escalated: sent to the full model",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per attempt (default 30)"
    )
    parser.add_argument(
        "--max-attempts", type=int, default=5, help="attempts before giving up (default 5)"
    )
    parser.set_defaults(func=run)


@subcommand
def run(
    args: argparse.Namespace, console: Console, transport_factory: Callable[..., Transport]
) -> int:
    out, err = console.out, console.err
    governor = console.governor(command="governor upload-junit", scope="ingest")
    if governor is None:
        return EXIT_USAGE
    url, key = governor
    reports = list(args.report)
    bodies = []
    for path in reports:
        try:
            bodies.append(_read_report(path, console.stdin))
        except OSError as exc:
            print(
                f"governor upload-junit: cannot read the report {path!r}: {exc.strerror or exc}",
                file=err,
            )
            return EXIT_USAGE
    transport = transport_factory(
        base_url=url, api_key=key, timeout=args.timeout, max_attempts=args.max_attempts
    )
    code = EXIT_OK
    for path, body in zip(reports, bodies, strict=True):
        run_id = args.run_id if len(reports) == 1 else f"{args.run_id}-{_stem(path)}"
        query = _query(argparse.Namespace(**{**vars(args), "run_id": run_id}))
        try:
            response = transport.request(
                "POST", f"{PATH}?{query}", body=body, content_type="application/xml"
            )
        except GovernorError as exc:
            print(f"governor upload-junit: upload of run {run_id!r} failed: {exc}", file=err)
            code = EXIT_FAILED
            continue
        print(_summary(response.json()), file=out)
    return code


def _stem(path: str) -> str:
    name = os.path.basename(path)
    return name[: -len(".xml")] if name.lower().endswith(".xml") else name


def _read_report(path: str, stdin: TextIO) -> bytes:
    if path == "-":
        return stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
    with open(path, "rb") as report:
        return report.read()


def _query(args: argparse.Namespace) -> str:
    pairs = [
        (name, str(value))
        for name in QUERY_FIELDS
        if (value := getattr(args, name, None)) not in (None, "")
    ]
    call_ids = [
        part.strip() for value in args.call_ids for part in value.split(",") if part.strip()
    ]
    if call_ids:
        pairs.append(("call_ids", ",".join(call_ids)))
    return urllib.parse.urlencode(pairs)


def _summary(result: object) -> str:
    if not isinstance(result, dict):
        return "governor upload-junit: uploaded"
    rate = result.get("pass_rate")
    shown = "no tests ran" if rate is None else f"{rate:.1%} pass rate"
    verb = "replaced" if result.get("replaced") else "recorded"
    line = (
        f"governor: {verb} run {result.get('run_id')}: {result.get('passed')} passed, {result.get('failed')} failed, "
        f"{result.get('errored')} errored, {result.get('skipped')} skipped ({shown})"
    )
    unknown = result.get("unknown_call_ids") or []
    if unknown:
        line += f"; calls not logged yet: {', '.join(unknown)}"
    return line
