"""How a table cell shows a number: money to the cent (small amounts to four
places), counts with thousands separators, nothing as a dash."""

from decimal import Decimal

import pytest

from governance.dashboard.templatetags.dashboard import cell_display, metric_display


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        ("", "—"),
        (12345, "12,345"),
        (Decimal("1234.5678901234"), "1,234.57"),
        (Decimal("0.0012345678"), "0.0012"),
        (Decimal("93.5"), "93.5"),
        # Not a number: shown as it is rather than failing the whole page.
        (Decimal("NaN"), "NaN"),
        (Decimal("Infinity"), "Infinity"),
    ],
)
def test_cell_display__value__shown_as_a_reader_expects(value, shown):
    assert cell_display(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("0.01234567"), "$0.0123"),
        (Decimal("1.23456789"), "$1.23"),
        (Decimal("1234.5"), "$1,234.50"),
    ],
)
def test_metric_display__cost_per_call__four_places_under_a_dollar_cents_above(value, shown):
    assert metric_display(value, "usd_small") == shown
