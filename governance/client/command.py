"""What every `governor` subcommand is given (standard library only): its
environment and standard streams, which tests hand in, and the Governor it talks
to, named by GOVERNOR_URL and GOVERNOR_API_KEY."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from governance.client.http import Transport


@dataclass(frozen=True)
class Console:
    env: Mapping[str, str]
    stdin: TextIO
    out: TextIO
    err: TextIO

    def governor(self, *, command: str, scope: str) -> tuple[str, str] | None:
        """GOVERNOR_URL and GOVERNOR_API_KEY, or None once it has said on stderr which
        of them to set (and the scope the key needs)."""
        url = self.env.get("GOVERNOR_URL", "").strip()
        key = self.env.get("GOVERNOR_API_KEY", "").strip()
        if url and key:
            return url, key
        missing = " and ".join(
            name for name, value in (("GOVERNOR_URL", url), ("GOVERNOR_API_KEY", key)) if not value
        )
        print(
            f"{command}: set {missing} (Governor's address and an API key with the {scope!r} scope)",
            file=self.err,
        )
        return None


Body = Callable[[argparse.Namespace, Console, Callable[..., Transport]], int]


def subcommand(body: Body) -> Callable[..., int]:
    """A subcommand's `run(args)`: the process's environment and streams unless a
    caller (a test) gives others, and a transport factory it may replace."""

    @functools.wraps(body)
    def run(
        args: argparse.Namespace,
        *,
        environ: Mapping[str, str] | None = None,
        transport_factory: Callable[..., Transport] = Transport,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> int:
        console = Console(
            env=os.environ if environ is None else environ,
            stdin=stdin or sys.stdin,
            out=stdout or sys.stdout,
            err=stderr or sys.stderr,
        )
        return body(args, console, transport_factory)

    return run
