"""Money settings are read as Decimal and refused loudly when they are not numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.core.env import ConfigurationError, env_decimal


def test_env_decimal__unset_or_a_decimal__the_default_or_the_exact_value(monkeypatch):
    monkeypatch.delenv("GOVERNOR_TEST_USD", raising=False)
    assert env_decimal("GOVERNOR_TEST_USD", Decimal(250)) == Decimal(250)

    monkeypatch.setenv("GOVERNOR_TEST_USD", " 12.345 ")
    assert env_decimal("GOVERNOR_TEST_USD", Decimal(250)) == Decimal("12.345")


@pytest.mark.parametrize("raw", ["lots", "NaN", "Infinity", "-1"])
def test_env_decimal__not_a_finite_amount_at_or_over_the_minimum__refused_naming_the_variable(
    monkeypatch, raw
):
    monkeypatch.setenv("GOVERNOR_TEST_USD", raw)

    with pytest.raises(ConfigurationError, match="GOVERNOR_TEST_USD"):
        env_decimal("GOVERNOR_TEST_USD", Decimal(250), minimum=Decimal(0))
