from __future__ import annotations

from collections.abc import Hashable

from governance.catalog.models import CatalogVersion, Model, ModelPrice
from governance.catalog.pricing import CatalogEntry, PriceBook, UnitPrice
from governance.core.freshness import Generation, Memo


def catalog_version() -> int:
    row = CatalogVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return row or 0


def _price_book_build(current: Hashable | None) -> tuple[Hashable | None, PriceBook]:
    # Kept under the version read before the prices, which are never older than it.
    version = current if isinstance(current, int) else catalog_version()
    return version, _build_price_book(version)


# The catalog version row is the generation (governance.core.freshness).
CATALOG_GENERATION = Generation("catalog", read=catalog_version)
_memory = Memo(CATALOG_GENERATION, _price_book_build)


def price_book() -> PriceBook:
    """The current price book: one generation check, and a rebuild (two
    queries) only after the catalog changed in any process."""
    return _memory.get()


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
            context_window=m.context_window,
            max_output_tokens=m.max_output_tokens,
        )
        for m in Model.objects.all()
    }
    return PriceBook(version=version, entries=entries)


def model_tiers() -> dict[str, str]:
    """{model name: "full" | "mini"} for every catalogued model."""
    return dict(Model.objects.values_list("name", "tier"))


def models_list() -> list[Model]:
    return list(Model.objects.select_related("full_counterpart").order_by("name"))
