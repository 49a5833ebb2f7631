from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def metric_display(value, kind: str) -> str:
    """A headline number as a person reads it (the exact value stays in data-value)."""
    if value is None:
        return "—"
    if kind == "usd":
        return f"${Decimal(value):,.2f}"
    if kind == "usd_small":
        return f"${Decimal(value):,.4f}"
    if kind == "pct":
        return f"{Decimal(value):.1f} %"
    if kind == "pct_change":
        return f"{Decimal(value):+.1f} %"
    return f"{int(value):,}"


@register.filter
def cell_display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.filter
def cell_raw(value) -> str:
    """The exact value, written as the API and the CSV write it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.filter
def get_item(row: dict, key: str):
    return row.get(key)
