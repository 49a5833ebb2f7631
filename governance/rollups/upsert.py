"""The one additive upsert every roll-up table is maintained with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime

from django.db import connection


def rollup_upsert(
    *,
    table: str,
    key_cols: tuple[str, ...],
    sum_cols: tuple[str, ...],
    cells: Mapping[tuple, Sequence[int]],
    max_cols: tuple[str, ...] = (),
) -> None:
    """Add `cells` ({key tuple: [sums..., maxes...]}) into `table`.

    Additive in the database (`col = col + excluded.col`), so concurrent
    batches touching the same row both land, which a read-modify-write in
    Python would not guarantee. Rows go in key order so that racing batches
    lock them in the same order (a statement's rows are
    written in the order they are listed) and cannot deadlock. Table and column names
    come from code; every value is a parameter.
    """
    if not cells:
        return
    quoted = connection.ops.quote_name(table)
    cols = key_cols + sum_cols + max_cols
    updates = [f"{c} = {quoted}.{c} + excluded.{c}" for c in sum_cols] + [
        f"{c} = CASE WHEN excluded.{c} > {quoted}.{c} THEN excluded.{c} ELSE {quoted}.{c} END"
        for c in max_cols
    ]
    # Keys hold the same types position by position, so they sort as they are.
    ordered = sorted(cells.items(), key=lambda item: item[0])
    tail = f" ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {', '.join(updates)}"
    if connection.vendor == "postgresql":
        # One array per column: the statement's text is the same for every batch
        # (parsed once by the driver, small for the server), whatever its rows.
        first_key, first_values = ordered[0]
        arrays = ", ".join(f"%s::{_PG_ARRAY[type(v)]}" for v in first_key + tuple(first_values))
        columns = list(zip(*(key + tuple(values) for key, values in ordered), strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quoted} ({', '.join(cols)}) "  # noqa: S608 - names from code
                f"SELECT {', '.join(cols)} FROM unnest({arrays}) WITH ORDINALITY "
                f"AS cell({', '.join(cols)}, position) ORDER BY position" + tail,
                [list(column) for column in columns],
            )
        return
    # Many rows per statement: one round trip and one plan for a whole batch,
    # where executemany pays them per row. Keys are unique in `cells`, so no
    # statement touches a row twice (which ON CONFLICT refuses).
    head = f"INSERT INTO {quoted} ({', '.join(cols)}) VALUES "  # noqa: S608
    row_sql = f"({', '.join(['%s'] * len(cols))})"
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        tuple(adapt(v) if isinstance(v, datetime) else v for v in key) + tuple(values)
        for key, values in ordered
    ]
    per_statement = max(1, min(1000, (connection.features.max_query_params or 65535) // len(cols)))
    with connection.cursor() as cursor:
        for first in range(0, len(rows), per_statement):
            chunk = rows[first : first + per_statement]
            cursor.execute(
                head + ", ".join([row_sql] * len(chunk)) + tail,
                [value for row in chunk for value in row],
            )


# PostgreSQL array types of the values a roll-up key or measure holds.
_PG_ARRAY = {datetime: "timestamptz[]", date: "date[]", int: "int8[]", str: "text[]"}


@contextlib.contextmanager
def statements_pipelined() -> Iterator[None]:
    """On PostgreSQL, send the statements run inside without waiting for each
    result (psycopg's pipeline mode): one round trip for all, errors raised on
    leaving. Elsewhere, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield
