"""Factories for quality tests. Calls are created directly here (the calls
app's ingestion service is not what these tests are about)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory

from governance.calls.models import Call, PriceSource
from governance.catalog.models import Model, Tier
from governance.quality.services import SuiteRunInput, suite_run_record
from tests.accounts.factories import ClientFactory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    client = factory.SubFactory(ClientFactory)
    team = factory.LazyAttribute(lambda o: o.client.team)
    call_id = factory.Sequence(lambda n: f"call-{n}")
    timestamp = NOW
    received_at = NOW
    model = "gpt-5-codex"
    task_type = "unit-tests"
    cost_usd = Decimal("0.0100000000")
    price_source = PriceSource.GENAI_PRICES


def catalog_pair(*, full: str = "gpt-5-codex", mini: str = "gpt-5-codex-mini", link: bool = True):
    """A full model and its mini sibling in the catalog."""
    full_model, _ = Model.objects.get_or_create(name=full, defaults={"tier": Tier.FULL})
    mini_model, _ = Model.objects.get_or_create(
        name=mini, defaults={"tier": Tier.MINI, "full_counterpart": full_model if link else None}
    )
    return full_model, mini_model


_run_numbers = iter(range(10**9))


def record_run(
    *,
    client,
    passed: int,
    failed: int = 0,
    errored: int = 0,
    skipped: int = 0,
    model: str = "gpt-5-codex",
    task_type: str = "unit-tests",
    timestamp: datetime = NOW,
    run_id: str | None = None,
    call_ids: tuple[str, ...] = (),
    outcome: str = "",
    job: str = "",
    attempt: int | None = None,
):
    """Record a run through the service, as the API would."""
    run = SuiteRunInput(
        run_id=run_id or f"run-{next(_run_numbers)}",
        timestamp=timestamp,
        model=model,
        task_type=task_type,
        total=passed + failed + errored + skipped,
        passed=passed,
        failed=failed,
        errored=errored,
        skipped=skipped,
        outcome=outcome,
        job=job,
        attempt=attempt,
        call_ids=call_ids,
    )
    return suite_run_record(client=client, run=run).suite_run
