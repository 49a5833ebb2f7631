"""`governor config`: Governor's configuration as code (standard library only).

    governor config export > governor.json          the policy, flags, budgets and tolerances
    governor config diff governor.json              what applying it would change, in words
    governor config apply governor.json --reason "…"  apply it, all or nothing

Reads GOVERNOR_URL and GOVERNOR_API_KEY (a key with the 'admin' scope). The
document is sorted JSON, so a file under version control changes only where
the configuration does. Exit status: 0 done (`diff --exit-code`: 1 when there
are changes), 1 refused or unreachable (the message names the field), 2 a
usage error (no URL or key, an unreadable or malformed file).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TextIO

from governance.client.command import Console, subcommand
from governance.client.http import GovernorError, Transport

PATH = "/api/v1/admin/config"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
OK = frozenset({200, 202})


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `config` subcommand (export, diff, apply) to the `governor` parser."""
    parser = subparsers.add_parser(
        "config",
        help="export, diff and apply Governor's configuration as code",
        description="Governor's policy, flags, budgets and quality tolerances as one JSON "
        "document. Reads GOVERNOR_URL and GOVERNOR_API_KEY (a key with the 'admin' scope).",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="print the configuration in force")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")
    diff = actions.add_parser("diff", help="print what applying a document would change")
    diff.add_argument("document", help="the document, or - for standard input")
    diff.add_argument(
        "--exit-code", action="store_true", help="exit 1 when applying would change something"
    )
    apply = actions.add_parser("apply", help="apply a document, all or nothing")
    apply.add_argument("document", help="the document, or - for standard input")
    apply.add_argument("--reason", required=True, help="why; it goes into the audit log")
    apply.add_argument(
        "--if-match",
        default="",
        help="the configuration's version (ETag) your document was made from; "
        "refused if it changed since",
    )
    for sub in (export, diff, apply):
        sub.add_argument("--timeout", type=float, default=30.0, help="seconds per attempt")
        sub.set_defaults(func=run)


def document_text(document: Any) -> str:
    """The one spelling of a document: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _refusal(exc: GovernorError) -> str:
    body = exc.body
    if isinstance(body, dict):
        if "detail" in body and len(body) <= 2:
            return str(body["detail"])
        parts = []
        for field, messages in body.items():
            text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            parts.append(f"{field}: {text}")
        return ", ".join(parts)
    return str(exc)


def _read(path: str, stdin: TextIO) -> Any:
    if path == "-":
        return json.loads(stdin.read())
    with open(path, encoding="utf-8") as source:
        return json.loads(source.read())


@subcommand
def run(
    args: argparse.Namespace, console: Console, transport_factory: Callable[..., Transport]
) -> int:
    out, err = console.out, console.err
    name = f"governor config {args.action}"
    governor = console.governor(command=name, scope="admin")
    if governor is None:
        return EXIT_USAGE
    url, key = governor
    document = None
    if args.action != "export":
        try:
            document = _read(args.document, console.stdin)
        except OSError as exc:
            print(f"{name}: cannot read {args.document!r}: {exc.strerror or exc}", file=err)
            return EXIT_USAGE
        except ValueError as exc:
            print(f"{name}: {args.document!r} is not JSON: {exc}", file=err)
            return EXIT_USAGE
    transport = transport_factory(base_url=url, api_key=key, timeout=args.timeout)
    try:
        if args.action == "export":
            return _export(transport, args, out)
        if args.action == "diff":
            return _diff(transport, args, document, out)
        return _apply(transport, args, document, out)
    except GovernorError as exc:
        print(f"{name}: refused: {_refusal(exc)}", file=err)
        return EXIT_FAILED


def _export(transport: Transport, args: argparse.Namespace, out: TextIO) -> int:
    response = transport.request("GET", PATH)
    text = document_text(response.json())
    if args.output:
        with open(args.output, "w", encoding="utf-8") as target:
            target.write(text)
        print(
            f"governor: wrote {args.output} (version {response.headers.get('etag', '?')})",
            file=out,
        )
    else:
        out.write(text)
    return EXIT_OK


def _post(transport: Transport, path: str, body: dict, headers: dict | None = None) -> Any:
    data = json.dumps(body).encode()
    return transport.request("POST", path, body=data, headers=headers, ok_statuses=OK)


def _diff(transport: Transport, args: argparse.Namespace, document: Any, out: TextIO) -> int:
    changes = _post(transport, f"{PATH}/diff", {"document": document}).json()["changes"]
    for line in changes:
        print(line, file=out)
    if not changes:
        print("no changes: Governor already runs this configuration", file=out)
    return EXIT_FAILED if changes and args.exit_code else EXIT_OK


def _apply(transport: Transport, args: argparse.Namespace, document: Any, out: TextIO) -> int:
    headers = {"If-Match": args.if_match} if args.if_match else None
    response = _post(
        transport, f"{PATH}/apply", {"document": document, "reason": args.reason}, headers
    )
    result = response.json()
    if response.status == 202:
        change = result["change_request"]
        print(f"change request #{change['id']} waits for another admin's approval:", file=out)
        for line in change["diff"]:
            print(f"  {line}", file=out)
        return EXIT_OK
    for line in result["changes"]:
        print(f"applied: {line}", file=out)
    if not result["changes"]:
        print("no changes: Governor already runs this configuration", file=out)
    return EXIT_OK
