"""How numbers look on the pages. The exact value always travels beside the
display (data-value), written the way the API and the CSV write it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def metric_display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "usd":
        return f"${Decimal(value):,.2f}"
    if kind == "usd_small":
        # Cents hide the difference between two models' cost per call; past a
        # dollar they are all a reader needs.
        amount = Decimal(value)
        return f"${amount:,.2f}" if abs(amount) >= 1 else f"${amount:,.4f}"
    if kind == "pct":
        return f"{Decimal(value):.1f} %"
    if kind == "pp":
        return f"{Decimal(value):+.2f} pp"
    if kind == "pct_change":
        return f"{Decimal(value):+.1f} %"
    return f"{int(value):,}"


@register.filter
def cell_display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int):  # NaN or infinity: no digits to round
            return str(value)
        if exponent >= -2:  # already a rate or a rounded figure
            return f"{value:,}"
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.filter
def cell_raw(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.filter
def table_body(table) -> SafeString:
    """The rows of a page table as HTML, built in Python: per-day tables
    reach hundreds of rows and the template engine would spend more time on
    them than the database spends on the whole page."""
    keys = [key for key, _ in table.columns]

    def row_html(row) -> SafeString:
        cells = format_html_join(
            "",
            '<td data-col="{}" data-value="{}">{}</td>',
            ((key, cell_raw(row[key]), cell_display(row[key])) for key in keys),
        )
        if not table.row_action:
            return cells
        href = row.get("_href")
        action = format_html('<a href="{}">{}</a>', href, table.row_action) if href else ""
        return format_html('{}<td class="row-action">{}</td>', cells, action)

    return format_html_join(
        "", "<tr>{}</tr>", ((row_html(row),) for row in table.rows)
    ) or format_html("")
