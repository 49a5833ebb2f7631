"""Givens shared by the budget and policy tests: calls ingested through the
real ingestion path (so roll-ups are maintained exactly as in production),
priced at an admin price of $1 per million tokens so costs are easy to read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from governance.budgets.models import Budget
from governance.budgets.services import budget_save
from governance.calls.serializers import Rejection, validate_record
from governance.calls.services import calls_ingest
from governance.catalog.services import model_price_add, model_upsert
from tests.calls.factories import call_record

PRICED_MODEL = "acme-coder"


def dollar_model(name: str = PRICED_MODEL, *, tier: str = "full"):
    model = model_upsert(name=name, provider="acme", tier=tier)
    if not model.prices.exists():
        one = Decimal("1")
        model_price_add(
            model=model,
            effective_from=datetime(2020, 1, 1, tzinfo=UTC),
            input_per_mtok=one,
            cached_input_per_mtok=one,
            output_per_mtok=one,
        )
    return model


def ingest(client, records: list[dict]) -> None:
    """Store calls exactly as POST /api/v1/calls would."""
    valid = []
    for i, record in enumerate(records):
        result = validate_record(
            json.dumps(record).encode(), index=i, now=timezone.now(), max_metadata_bytes=4096
        )
        assert not isinstance(result, Rejection), result
        valid.append(result)
    calls_ingest(client=client, calls=valid)


def spend(
    client, *, at: datetime, usd: str, count: int = 1, model: str = PRICED_MODEL, **overrides
) -> None:
    """`count` calls at `at`, each costing `usd` dollars."""
    tokens = int(Decimal(usd) * 1_000_000)
    records = [
        call_record(
            ts=at, model=model, provider="acme", input_tokens=tokens, cached_input_tokens=0,
            output_tokens=0, reasoning_tokens=0, **overrides,
        )
        for _ in range(count)
    ]  # fmt: skip
    ingest(client, records)


def make_budget(*, team=None, limit: str = "100", **values) -> Budget:
    return budget_save(
        team=team, name=values.pop("name", "monthly"), limit=Decimal(limit), **values
    )
