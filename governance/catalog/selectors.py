from __future__ import annotations

import threading

from governance.catalog.models import CatalogVersion, Model, ModelPrice
from governance.catalog.pricing import CatalogEntry, PriceBook, UnitPrice

_lock = threading.Lock()
_cached: PriceBook | None = None


def catalog_version() -> int:
    row = CatalogVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return row or 0


def price_book() -> PriceBook:
    """The current price book: one primary-key read to check it is fresh, and a
    rebuild (two queries) only after the catalog changed in any process."""
    global _cached
    version = catalog_version()
    book = _cached
    if book is not None and book.version == version:
        return book
    with _lock:
        if _cached is not None and _cached.version == version:
            return _cached
        _cached = _build_price_book(version)
        return _cached


def _build_price_book(version: int) -> PriceBook:
    prices: dict[int, list] = {}
    for price in ModelPrice.objects.order_by("effective_from"):
        prices.setdefault(price.model_id, []).append(
            (
                price.effective_from,
                UnitPrice(
                    input=price.input_per_mtok,
                    cached_input=price.cached_input_per_mtok,
                    output=price.output_per_mtok,
                ),
            )
        )
    entries = {
        m.name: CatalogEntry(
            name=m.name,
            provider=m.provider,
            tier=m.tier,
            priced_as=m.priced_as,
            custom_prices=tuple(prices.get(m.pk, ())),
        )
        for m in Model.objects.all()
    }
    return PriceBook(version=version, entries=entries)


def model_tiers() -> dict[str, str]:
    """{model name: "full" | "mini"} for every catalogued model."""
    return dict(Model.objects.values_list("name", "tier"))


def models_list() -> list[Model]:
    return list(Model.objects.select_related("full_counterpart").order_by("name"))
