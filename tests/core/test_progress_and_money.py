"""What a person reads from a command: progress while it works, money in
two decimals with the currency."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from governance.core.money import amount_display, usd_display
from governance.core.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress__into_a_file__a_line_at_each_quarter_only():
    out = io.StringIO()
    progress = Progress(out, "calls", total=90)

    for day in range(90):
        progress.advance(note=f"{day + 1} days")
    progress.finish()

    assert out.getvalue().splitlines() == [
        "  calls: 25 % 23 days",
        "  calls: 50 % 45 days",
        "  calls: 75 % 68 days",
        "  calls: 100 % 90 days",
    ]


def test_progress__on_a_terminal__one_line_redrawn_then_ended():
    out = _Terminal()
    progress = Progress(out, "calls", total=4)

    for _ in range(4):
        progress.advance()
    progress.finish()

    text = out.getvalue()
    assert text.count("\r") == 4
    assert text.count("\n") == 1
    assert "[########################] 100 %" in text


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0.4100"), "$0.41"),
        (Decimal("1234.565"), "$1,234.57"),
        (Decimal("-3.2"), "-$3.20"),
        (None, "—"),
    ],
)
def test_usd_display__any_amount__two_decimals_with_the_currency(amount, shown):
    assert usd_display(amount) == shown


def test_amount_display__token_budget__whole_tokens_named():
    assert amount_display(Decimal("1500000.0000"), "tokens") == "1,500,000 tokens"
