"""Pricing a call: tokens at the price in force at the call's timestamp, in Decimal."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from governance.catalog.models import Model
from governance.catalog.pricing import Source
from governance.catalog.selectors import price_book
from governance.catalog.services import model_price_add, model_upsert

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)
TOKENS = {"input_tokens": 1_000_000, "cached_input_tokens": 400_000, "output_tokens": 100_000}


def test_price__published_model__cached_input_at_cached_rate_and_reasoning_inside_output():
    cost, source = price_book().price(model="gpt-5-codex", timestamp=WHEN, **TOKENS)

    # 600k uncached at $1.25 + 400k cached at $0.125 + 100k output at $10 per MTok.
    assert cost == Decimal("0.75") + Decimal("0.05") + Decimal("1.00")
    assert isinstance(cost, Decimal)
    assert source == Source.GENAI_PRICES


def test_price__gpt_5_codex_mini__alias_priced_like_gpt_5_1_codex_mini():
    cost, source = price_book().price(model="gpt-5-codex-mini", timestamp=WHEN, **TOKENS)

    # $0.25 input, $0.025 cached input, $2.00 output per MTok.
    assert cost == Decimal("0.15") + Decimal("0.01") + Decimal("0.20")
    assert source == Source.ALIAS


def test_price__unknown_model__no_cost_rather_than_zero():
    cost, source = price_book().price(model="in-house-llm-7b", timestamp=WHEN, **TOKENS)

    assert cost is None
    assert source == Source.UNPRICED


def test_price__admin_prices__the_one_in_force_at_the_call_timestamp_applies():
    model = Model.objects.get(name="gpt-5-codex")
    model_price_add(
        model=model,
        effective_from=datetime(2026, 2, 1, tzinfo=UTC),
        input_per_mtok=Decimal("1.00"),
        cached_input_per_mtok=Decimal("0.10"),
        output_per_mtok=Decimal("8.00"),
        note="negotiated rate",
    )
    model_price_add(
        model=model,
        effective_from=datetime(2026, 4, 1, tzinfo=UTC),
        input_per_mtok=Decimal("0.50"),
        cached_input_per_mtok=Decimal("0.05"),
        output_per_mtok=Decimal("4.00"),
    )
    book = price_book()

    before, before_source = book.price(
        model="gpt-5-codex", timestamp=datetime(2026, 1, 15, tzinfo=UTC), **TOKENS
    )
    during, during_source = book.price(model="gpt-5-codex", timestamp=WHEN, **TOKENS)
    after, _ = book.price(model="gpt-5-codex", timestamp=datetime(2026, 4, 1, tzinfo=UTC), **TOKENS)

    assert (before, before_source) == (Decimal("1.80"), Source.GENAI_PRICES)
    assert (during, during_source) == (
        Decimal("0.60") + Decimal("0.04") + Decimal("0.80"),
        Source.CUSTOM,
    )
    assert after == Decimal("0.30") + Decimal("0.02") + Decimal("0.40")


def test_price_book__catalog_changes__seen_by_the_next_lookup():
    first = price_book()
    model_upsert(
        name="in-house-llm-7b", provider="acme", tier="mini", priced_as="gpt-5.1-codex-mini"
    )

    cost, source = price_book().price(model="in-house-llm-7b", timestamp=WHEN, **TOKENS)

    assert price_book() is not first
    assert source == Source.ALIAS
    assert cost == Decimal("0.36")


def test_price_book__change_rolled_back_then_another_made__the_one_made_is_priced():
    model = model_upsert(name="in-house-llm-7b", provider="acme", tier="full")
    prices = {"cached_input_per_mtok": Decimal("0"), "output_per_mtok": Decimal("0")}
    with contextlib.suppress(RuntimeError), transaction.atomic():
        model_price_add(model=model, effective_from=WHEN, input_per_mtok=Decimal("9"), **prices)
        price_book()  # this process builds its book on the change...
        raise RuntimeError("...which is then rolled back")

    model_price_add(model=model, effective_from=WHEN, input_per_mtok=Decimal("2"), **prices)
    cost, _ = price_book().price(
        model="in-house-llm-7b",
        timestamp=WHEN,
        input_tokens=1_000_000,
        cached_input_tokens=0,
        output_tokens=0,
    )

    assert cost == Decimal("2")


def test_token_limits__published_window__known_for_gpt_5_codex_and_absent_for_unknown_names():
    book = price_book()

    assert book.token_limits(model="gpt-5-codex").context_window == 400_000
    assert book.token_limits(model="gpt-5-codex").max_output_tokens is None
    assert book.token_limits(model="invented-model").context_window is None


def test_token_limits__prices_tiered_past_the_published_window__the_window_is_no_limit():
    # genai-prices: Claude Sonnet 4.5 has a 200K window but is priced up to 1M (beta).
    assert price_book().token_limits(model="claude-sonnet-4-5").context_window is None
    assert price_book().token_limits(model="claude-opus-4-1").context_window == 200_000


def test_token_limits__admin_figures__win_over_the_published_window():
    model_upsert(
        name="gpt-5-codex", provider="openai", context_window=1_000_000, max_output_tokens=128_000
    )

    limits = price_book().token_limits(model="gpt-5-codex")

    assert (limits.context_window, limits.max_output_tokens) == (1_000_000, 128_000)
