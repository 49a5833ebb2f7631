"""Redaction stays linear in the length of a field, whatever the field holds.

For each hostile input shape (long runs of one character or one fragment,
chosen to make backtracking patterns retry from every position) the redactor
runs on 8 K, 32 K, 128 K and 256 K characters. The baseline is the same shape
at 8 K characters measured in the same run: for linear work the time per
character stays flat, so the ratio "time per character at 256 K / at 8 K"
stays near 1 (a quadratic redactor's grows with the length: x32 at 256 K).

For contrast, the detect-secrets patterns as the landed code ran them (on
Python's backtracking `re`) are timed on the worst shape up to 32 K only,
since beyond that they take minutes.

    python benchmarks/redaction.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

from benchmarks.common import write_section  # noqa: E402
from governance.calls.redaction import redact  # noqa: E402

SIZES = (8 * 1024, 32 * 1024, 128 * 1024, 256 * 1024)
SHAPES = {
    "slashes `/`": "/",
    "npm token prefix `//a/:_authToken=`": "//a/:_authToken=",
    "letters `a`": "a",
    "`password=`": "password=",
    "`pass:'`": "pass:'",
    "URL user `://a:`": "://a:",
    "PEM header without END": "-----BEGIN RSA PRIVATE KEY-----",
    "JWT start `eyJa.`": "eyJa.",
    "colons `x:`": "x:",
    "digits `0`": "0",
}


def _time(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        redact(text)
        best = min(best, time.perf_counter() - start)
    return best


def _backtracking_seconds(text: str) -> float:
    """The landed redactor's npm-token pattern on Python's re."""
    import re

    from detect_secrets.plugins.npm import NpmDetector

    start = time.perf_counter()
    for pattern in NpmDetector.denylist:
        for _ in re.finditer(pattern, text):
            pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    redact("warm up " * 10)  # compile every pattern once, outside the timings
    load_before = os.getloadavg()[0]

    rows = []
    worst = 0.0
    for label, unit in SHAPES.items():
        per_char = []
        for size in SIZES:
            text = (unit * (size // len(unit) + 1))[:size]
            per_char.append(_time(text, args.repeat) / size * 1e9)
        ratio = per_char[-1] / per_char[0]
        worst = max(worst, ratio)
        rows.append(
            f"| {label} | "
            + " | ".join(f"{v:,.1f}" for v in per_char)
            + f" | {per_char[-1] * SIZES[-1] / 1e6:,.1f} | {ratio:.2f} |"
        )
        print(rows[-1], flush=True)

    contrast = []
    for size in (8 * 1024, 16 * 1024, 32 * 1024):
        seconds = _backtracking_seconds("/" * size)
        contrast.append(f"| {size // 1024} K | {seconds / size * 1e9:,.0f} | {seconds:.2f} |")
        print(contrast[-1], flush=True)

    load_after = os.getloadavg()[0]
    body = f"""
Load average (1 min) before the run {load_before:.1f}, after {load_after:.1f}.

`python benchmarks/redaction.py`: the redactor on hostile inputs of growing length (every pattern on RE2). Nanoseconds per character (best of {args.repeat}); the baseline is the same shape at 8 K characters in the same run. Linear work keeps the ratio near 1; quadratic work would give x32 at 256 K.

| input shape | 8 K | 32 K | 128 K | 256 K | ms at 256 K | ratio 256 K / 8 K |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

Largest ratio: **{worst:.2f}** (target: linear, i.e. no growth with length).

For contrast, the npm-token pattern the landed code ran on Python's backtracking `re`, on slashes:

| length | ns per character | seconds |
| --- | ---: | ---: |
{chr(10).join(contrast)}
"""
    write_section("Redaction (benchmarks/redaction.py)", body)


if __name__ == "__main__":
    main()
