"""Pricing a call: the one place where tokens become dollars.

A `PriceBook` is an immutable in-memory view of the catalog (admin prices and
alias rules) in front of genai-prices' published prices. Ingestion prices
thousands of calls per request, so per-call work is a dict look-up, a bisect
and three Decimal multiplications; genai-prices' full calculator is used
only for tiered prices.

Rules:
- cached input tokens are part of input tokens and are charged at the cached
  rate (at the input rate when the model has no cached rate);
- reasoning tokens are part of output tokens and cost nothing extra;
- the price is the one in force at the call's timestamp;
- an admin price holds from its `effective_from` and wins over published ones;
- an unknown model is never priced at $0: it has no cost and is "unpriced".
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any, Protocol

from genai_prices import Usage, data_snapshot
from genai_prices.types import ModelPrice

MTOK = Decimal(1_000_000)
COST_PLACES = Decimal("0.0000000001")  # Call.cost_usd has 10 decimal places


def usd_to_e10(amount: Decimal) -> int:
    """Dollars as an integer count of 1e-10 USD (the unit of roll-up sums)."""
    return int(amount.scaleb(10).to_integral_value())


def e10_to_usd(units: int | None) -> Decimal:
    return Decimal(units or 0).scaleb(-10).quantize(COST_PLACES)


class Source:
    GENAI_PRICES = "genai_prices"
    ALIAS = "alias"
    CUSTOM = "custom"
    UNPRICED = "unpriced"


@dataclass(frozen=True)
class UnitPrice:
    """USD per million tokens."""

    input: Decimal
    cached_input: Decimal
    output: Decimal

    def cost(self, *, input_tokens: int, cached_input_tokens: int, output_tokens: int) -> Decimal:
        uncached = input_tokens - cached_input_tokens
        total = (
            uncached * self.input
            + cached_input_tokens * self.cached_input
            + output_tokens * self.output
        )
        return (total / MTOK).quantize(COST_PLACES)


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    provider: str
    tier: str
    priced_as: str
    # (effective_from, UnitPrice), sorted by effective_from.
    custom_prices: tuple[tuple[datetime, UnitPrice], ...] = ()
    # Admin overrides of what one call can take (None: the published figure).
    context_window: int | None = None
    max_output_tokens: int | None = None

    def custom_price_at(self, when: datetime) -> UnitPrice | None:
        if not self.custom_prices:
            return None
        index = bisect.bisect_right(self._starts, when) - 1
        return self.custom_prices[index][1] if index >= 0 else None

    @cached_property
    def _starts(self) -> list[datetime]:
        return [start for start, _ in self.custom_prices]


class PricedCall(Protocol):
    """What pricing reads of a call: a stored one, or one being checked or ingested."""

    model: str
    provider: str
    timestamp: datetime
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class PriceBook:
    version: int
    entries: dict[str, CatalogEntry] = field(default_factory=dict)

    def price_call(self, call: PricedCall) -> tuple[Decimal | None, str]:
        """(cost in USD or None, price source) for one call, from its own fields."""
        return self.price(
            model=call.model,
            provider=call.provider,
            timestamp=call.timestamp,
            input_tokens=call.input_tokens,
            cached_input_tokens=call.cached_input_tokens,
            output_tokens=call.output_tokens,
        )

    def price(
        self,
        *,
        model: str,
        timestamp: datetime,
        input_tokens: int,
        cached_input_tokens: int,
        output_tokens: int,
        provider: str = "",
    ) -> tuple[Decimal | None, str]:
        """(cost in USD or None, price source) for one call."""
        tokens = {
            "input_tokens": input_tokens,
            "cached_input_tokens": cached_input_tokens,
            "output_tokens": output_tokens,
        }
        entry = self.entries.get(model)
        if entry is not None:
            custom = entry.custom_price_at(timestamp)
            if custom is not None:
                return custom.cost(**tokens), Source.CUSTOM
            ref = entry.priced_as or entry.name
            provider = entry.provider or provider
            source = (
                Source.ALIAS
                if entry.priced_as and entry.priced_as != entry.name
                else Source.GENAI_PRICES
            )
        else:
            ref, source = model, Source.GENAI_PRICES
        cost = published_cost(ref=ref, provider=provider, timestamp=timestamp, **tokens)
        if cost is None:
            return None, Source.UNPRICED
        return cost, source

    def is_known(self, *, model: str, provider: str = "") -> bool:
        entry = self.entries.get(model)
        if entry is not None and entry.custom_prices:
            return True
        ref = (entry.priced_as or entry.name) if entry else model
        return _published_model(ref, (entry.provider if entry else "") or provider) is not None

    def token_limits(self, *, model: str, provider: str = "") -> TokenLimits:
        """What one call of `model` can take: the admin's figures, else genai-prices'."""
        entry = self.entries.get(model)
        if entry is None:
            return TokenLimits(context_window=_published_window(model, provider))
        window = entry.context_window
        if window is None:
            window = _published_window(entry.priced_as or entry.name, entry.provider or provider)
        return TokenLimits(context_window=window, max_output_tokens=entry.max_output_tokens)


@dataclass(frozen=True)
class TokenLimits:
    """Tokens one call can take; None where nothing is known."""

    context_window: int | None = None
    max_output_tokens: int | None = None


@lru_cache(maxsize=1024)
def _published_window(ref: str, provider: str) -> int | None:
    found = _published_model(ref, provider)
    if found is None:
        return None
    model_info = found[1]
    window = model_info.context_window
    if not window:
        return None
    # Some providers sell a longer context than the published window (Claude
    # Sonnet 4.5: a 200K window, priced in tiers up to 1M): a price tier that
    # starts at or past the window says the window is not a limit.
    variants = model_info.prices if isinstance(model_info.prices, list) else [model_info.prices]
    for variant in variants:
        prices = getattr(variant, "prices", variant)
        for tier in getattr(getattr(prices, "input_mtok", None), "tiers", None) or ():
            if tier.start >= window:
                return None
    return int(window)


@lru_cache(maxsize=1024)
def _published_model(ref: str, provider: str) -> tuple[Any, Any] | None:
    snapshot = data_snapshot.get_snapshot()
    for provider_id in [provider, None] if provider else [None]:
        try:
            return snapshot.find_provider_model(ref, None, provider_id, None)
        except LookupError:
            continue
    return None


def published_unit_price(*, ref: str, provider: str, timestamp: datetime) -> UnitPrice | None:
    """genai-prices' flat per-MTok price of `ref` at `timestamp`, or None if unknown or tiered."""
    fixed, unit = _fixed_unit_price(ref, provider)
    if fixed:
        return unit
    found = _published_model(ref, provider)
    if found is None:
        return None
    return _unit_price(found[1].get_prices(timestamp))


@lru_cache(maxsize=1024)
def _fixed_unit_price(ref: str, provider: str) -> tuple[bool, UnitPrice | None]:
    # (True, its price) for a model whose published price does not depend on the
    # time: ingestion then reads it once per process, not once per call.
    found = _published_model(ref, provider)
    if found is None or not isinstance(found[1].prices, ModelPrice):
        return False, None
    return True, _unit_price(found[1].prices)


def _unit_price(prices: ModelPrice) -> UnitPrice | None:
    inp, cached, out = prices.input_mtok, prices.cache_read_mtok, prices.output_mtok
    if cached is None:
        cached = inp
    if not (
        isinstance(inp, Decimal | None)
        and isinstance(cached, Decimal | None)
        and isinstance(out, Decimal | None)
    ):
        return None  # tiered
    return UnitPrice(
        input=inp or Decimal(0), cached_input=cached or Decimal(0), output=out or Decimal(0)
    )


def published_cost(
    *,
    ref: str,
    provider: str,
    timestamp: datetime,
    input_tokens: int,
    cached_input_tokens: int,
    output_tokens: int,
) -> Decimal | None:
    found = _published_model(ref, provider)
    if found is None:
        return None
    unit = published_unit_price(ref=ref, provider=provider, timestamp=timestamp)
    if unit is not None:
        return unit.cost(
            input_tokens=input_tokens,
            cached_input_tokens=cached_input_tokens,
            output_tokens=output_tokens,
        )
    # Tiered prices (by context size): genai-prices' own calculator knows the tiers.
    provider_obj, model_info = found
    usage = Usage(
        input_tokens=input_tokens,
        cache_read_tokens=cached_input_tokens,
        output_tokens=output_tokens,
    )
    result = model_info.calc_price(usage, provider_obj, genai_request_timestamp=timestamp)
    return Decimal(result.total_price).quantize(COST_PLACES)
