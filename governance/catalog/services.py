from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from governance.audit.services import audit_record
from governance.calls.services import calls_reprice_request
from governance.catalog.models import CatalogVersion, Model, ModelPrice
from governance.catalog.selectors import CATALOG_GENERATION
from governance.core.freshness import generation_new


def catalog_bump_version() -> None:
    """Tell every process that its price book is stale. Call inside the change's
    transaction (the version is a generation: see governance.core.freshness)."""
    version = generation_new()
    updated = CatalogVersion.objects.filter(pk=1).update(version=version)
    if not updated:
        CatalogVersion.objects.update_or_create(pk=1, defaults={"version": version})
    CATALOG_GENERATION.changed(version)


def model_upsert(
    *,
    name: str,
    provider: str = "",
    tier: str = "full",
    priced_as: str = "",
    display_name: str = "",
    full_counterpart: Model | None = None,
    context_window: int | None = None,
    max_output_tokens: int | None = None,
    actor=None,
) -> Model:

    with transaction.atomic():
        model = Model.objects.select_for_update().filter(name=name).first()
        before = _model_state(model) if model else None
        if model is None:
            model = Model(name=name)
        model.provider = provider
        model.tier = tier
        model.priced_as = priced_as
        model.display_name = display_name or name
        model.full_counterpart = full_counterpart
        model.context_window = context_window
        model.max_output_tokens = max_output_tokens
        model.updated_at = timezone.now()
        model.save()
        after = _model_state(model)
        if before != after:
            catalog_bump_version()
            audit_record(
                action="model.upsert", target=model, actor=actor, before=before, after=after
            )
            if before is not None and before["priced_as"] != after["priced_as"]:
                calls_reprice_request(model=name, reason="pricing alias changed")
    return model


def model_price_add(
    *,
    model: Model,
    effective_from: datetime,
    input_per_mtok: Decimal,
    cached_input_per_mtok: Decimal,
    output_per_mtok: Decimal,
    note: str = "",
    actor=None,
) -> ModelPrice:
    """Add an admin price (a negotiated rate) and re-price the calls it covers."""

    if timezone.is_naive(effective_from):
        raise ValueError("effective_from must be timezone-aware")
    with transaction.atomic():
        price = ModelPrice.objects.create(
            model=model,
            effective_from=effective_from,
            input_per_mtok=input_per_mtok,
            cached_input_per_mtok=cached_input_per_mtok,
            output_per_mtok=output_per_mtok,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        catalog_bump_version()
        audit_record(
            action="model_price.add",
            target=price,
            actor=actor,
            after={
                "model": model.name,
                "effective_from": effective_from.isoformat(),
                "input_per_mtok": str(input_per_mtok),
                "cached_input_per_mtok": str(cached_input_per_mtok),
                "output_per_mtok": str(output_per_mtok),
            },
        )
        calls_reprice_request(model=model.name, reason="admin price added")
    return price


def _model_state(model: Model) -> dict:
    return {
        "provider": model.provider,
        "tier": model.tier,
        "priced_as": model.priced_as,
        "full_counterpart": model.full_counterpart.name if model.full_counterpart else None,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
    }
