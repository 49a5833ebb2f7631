"""The `governor` command for CI scripts and terminals (standard library only).

Each subcommand lives in its own module with a `register(subparsers)`
function; adding one is one line in `build_parser`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from governance.client import config, decide, upload


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="governor", description="Governor's command-line client.")
    sub = parser.add_subparsers(dest="command", required=True)
    upload.register(sub)
    decide.register(sub)
    config.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
