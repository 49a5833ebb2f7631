"""Money as people read it: two decimals and the currency (no Django).

Amounts are kept exact everywhere else (Decimal, 1e-10 USD roll-ups); only
what is printed for a person is rounded, half up, to the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def usd_display(amount: Decimal | int | None) -> str:
    """`$1,234.50`; `-$3.20` for a negative amount; `—` for none."""
    if amount is None:
        return "—"
    rounded = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,.2f}"


def amount_display(amount: Decimal | int | None, unit: str) -> str:
    """A budget's amount in its unit: `$1,234.50` or `1,234 tokens`."""
    if unit == "usd" or amount is None:
        return usd_display(amount)
    return f"{Decimal(amount):,.0f} {unit}"
