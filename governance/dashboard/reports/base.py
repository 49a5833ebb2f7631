"""The page model every dashboard page is built of, and the helpers the pages share.

A page is a list of headline metrics, charts and tables. The HTML page, its
CSV exports and the JSON API all render the same `Page`, so the numbers a
manager reads, downloads and fetches are the same numbers by construction
(and a test checks it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from governance.dashboard import charts


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    value: Decimal | int | None
    kind: str = "int"  # "usd", "usd_small", "int", "pct"
    href: str = ""
    note: str = ""


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    note: str = ""
    # A link at the end of each row that has an "_href" (not part of the
    # data: the CSV and the API leave it out).
    row_action: str = ""


@dataclass
class Page:
    key: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    charts: list[charts.Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def table_rows(items: list[Any], keys: list[str]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        data = asdict(item)
        out.append({k: data[k] for k in keys})
    return out


def pct(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def pp(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 1))) + 0
