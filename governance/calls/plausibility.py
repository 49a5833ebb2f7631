"""Plausible calls only: a call its model could not have made, or one priced
above the per-call ceiling, is refused at validation time, before anything
is written, so it is stored nowhere and counted in no roll-up or budget.

One fabricated call claiming 10^12 tokens would otherwise exhaust the
organisation's budget, and the default policy would then hold back every
team's work. The limits are the catalog's: an admin's figures for the model
(catalog admin page, audited), else genai-prices' context window. A model
the catalog and genai-prices do not know has no limits and no price: it is
stored unpriced, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from governance.calls.serializers import Rejection, ValidCall
from governance.catalog.pricing import PriceBook
from governance.catalog.selectors import price_book


@dataclass(frozen=True)
class Plausibility:
    """What one intake request checks its calls against (read once per request)."""

    book: PriceBook
    max_cost_usd: Decimal


def plausibility_current() -> Plausibility:
    return Plausibility(book=price_book(), max_cost_usd=settings.GOVERNOR_MAX_CALL_COST_USD)


def call_plausible(call: ValidCall, *, index: int, limits: Plausibility) -> ValidCall | Rejection:
    """The call itself, priced, or its rejection naming the field that is out of bounds."""
    errors, cost, source = _checked(call, limits=limits)
    if errors:
        return Rejection(index=index, call_id=call.call_id, errors=errors)
    call.cost_usd, call.price_source = cost, source
    return call


def call_implausibilities(call: ValidCall, *, limits: Plausibility) -> dict[str, list[str]]:
    return _checked(call, limits=limits)[0]


def _checked(
    call: ValidCall, *, limits: Plausibility
) -> tuple[dict[str, list[str]], Decimal | None, str]:
    errors: dict[str, list[str]] = {}
    book = limits.book
    tokens = book.token_limits(model=call.model, provider=call.provider)
    window, max_output = tokens.context_window, tokens.max_output_tokens
    if window is not None and call.input_tokens > window:
        errors["input_tokens"] = [
            f"{call.input_tokens} exceeds the context window of {call.model} ({window} tokens)."
        ]
    elif window is not None and call.input_tokens + call.output_tokens > window:
        errors["output_tokens"] = [
            f"input_tokens + output_tokens = {call.input_tokens + call.output_tokens} exceeds "
            f"the context window of {call.model} ({window} tokens)."
        ]
    if max_output is not None and call.output_tokens > max_output:
        errors.setdefault("output_tokens", []).append(
            f"{call.output_tokens} exceeds the output limit of {call.model} ({max_output} tokens)."
        )
    if errors:
        return errors, None, ""
    cost, source = book.price_call(call)
    if cost is not None and cost > limits.max_cost_usd:
        # The cost comes from the tokens: name the larger count.
        name = "input_tokens" if call.input_tokens >= call.output_tokens else "output_tokens"
        errors[name] = [
            f"These tokens cost ${cost:.2f} at {call.model}'s price, over the per-call ceiling "
            f"of ${limits.max_cost_usd} (GOVERNOR_MAX_CALL_COST_USD)."
        ]
    return errors, cost, source
