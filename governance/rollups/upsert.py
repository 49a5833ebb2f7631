"""The one additive upsert every roll-up table is maintained with."""

from __future__ import annotations

from datetime import datetime

from django.db import connection


def rollup_upsert(
    *,
    table: str,
    key_cols: tuple[str, ...],
    sum_cols: tuple[str, ...],
    cells: dict[tuple, list[int]],
    max_cols: tuple[str, ...] = (),
) -> None:
    """Add `cells` ({key tuple: [sums..., maxes...]}) into `table`.

    Additive in the database (`col = col + excluded.col`), so concurrent
    batches touching the same row both land, which a read-modify-write in
    Python would not guarantee. Rows go in key order so that racing batches
    lock them in the same order and cannot deadlock. Table and column names
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
    sql = (
        f"INSERT INTO {quoted} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {', '.join(updates)}"
    )
    # Keys hold the same types position by position, so they sort as they are.
    ordered = sorted(cells.items(), key=lambda item: item[0])
    if connection.vendor == "postgresql":
        params = [key + tuple(values) for key, values in ordered]
    else:
        adapt = connection.ops.adapt_datetimefield_value
        params = [
            tuple(adapt(v) if isinstance(v, datetime) else v for v in key) + tuple(values)
            for key, values in ordered
        ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
