"""Calls for dashboard tests, stored by the real ingestion service.

Catalog prices are set to round admin rates, so a call's cost follows from its
tokens: gpt-5-codex costs $10 / $20 per million input / output tokens, the
mini model $2 / $4. 1,000 input and 500 output tokens cost $0.02 on the full
model and $0.004 on the mini model.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from governance.calls.models import Call
from governance.calls.serializers import ValidCall
from governance.calls.services import calls_ingest
from governance.catalog.models import Model
from governance.catalog.services import model_price_add, model_upsert

_ids = itertools.count(1)
FULL_RATE = (Decimal(10), Decimal(1), Decimal(20))
MINI_RATE = (Decimal(2), Decimal("0.2"), Decimal(4))


def catalog_models(*, since: datetime) -> tuple[Model, Model]:
    full = model_upsert(name="gpt-5-codex", provider="openai", tier="full", priced_as="gpt-5")
    mini = model_upsert(
        name="gpt-5-codex-mini",
        provider="openai",
        tier="mini",
        priced_as="gpt-5.1-codex-mini",
        full_counterpart=full,
    )
    for model, (inp, cached, out) in ((full, FULL_RATE), (mini, MINI_RATE)):
        model_price_add(
            model=model,
            effective_from=since - timedelta(days=60),
            input_per_mtok=inp,
            cached_input_per_mtok=cached,
            output_per_mtok=out,
        )
    return full, mini


def make_call(
    *,
    client,
    timestamp: datetime,
    model: str = "gpt-5-codex",
    input_tokens: int = 1000,
    output_tokens: int = 500,
    **kw,
) -> tuple:
    metadata = {"repo": kw["repo"]} if kw.get("repo") else {}
    record = dict(
        call_id=f"c-{next(_ids)}",
        timestamp=timestamp,
        model=model,
        provider="openai",
        task_type="unit_tests",
        risk="low",
        environment="ci",
        input_tokens=input_tokens,
        cached_input_tokens=0,
        output_tokens=output_tokens,
        reasoning_tokens=0,
        latency_ms=800,
        status="ok",
        error_type="",
        retries=0,
        fallback_from="",
        decision_id="",
        reported_cost_usd=None,
        prompt="",
        response="",
        metadata=metadata,
        metadata_json=json.dumps(metadata),
        repo="",
    )
    record.update(kw)
    return client, ValidCall(**record)


def store_calls(calls: list[tuple]) -> list[Call]:
    """Ingest (client, ValidCall) pairs per client; ingestion keeps every roll-up current."""
    per_client: dict = defaultdict(list)
    for client, call in calls:
        per_client[client].append(call)
    for client, batch in per_client.items():
        calls_ingest(client=client, calls=batch)
    return list(Call.objects.filter(call_id__in=[c.call_id for _, c in calls]))


def days_ago(now: datetime, days: int) -> datetime:
    return (now - timedelta(days=days)).astimezone(UTC)
