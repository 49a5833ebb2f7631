"""Unknown models are stored unpriced; adding their price re-prices the stored calls."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.audit.models import AuditEvent
from governance.calls.models import Call, RepriceRun
from governance.catalog.models import Model
from governance.catalog.pricing import e10_to_usd
from governance.catalog.services import model_price_add, model_upsert
from governance.rollups.models import CallRollup, DailyRollup, TeamHourRollup
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


def test_reprice__admin_adds_price_for_unknown_model__stored_calls_and_rollups_get_their_cost(
    key_client, django_capture_on_commit_callbacks
):
    post_calls(
        key_client,
        [
            call_record(
                model="in-house-llm",
                input_tokens=2_000_000,
                cached_input_tokens=0,
                output_tokens=0,
                reasoning_tokens=0,
            )
            for _ in range(3)
        ],
    )
    assert set(Call.objects.values_list("cost_usd", flat=True)) == {None}

    model = model_upsert(name="in-house-llm", provider="acme", tier="mini")
    with django_capture_on_commit_callbacks(execute=True):
        model_price_add(
            model=model,
            effective_from=timezone.now() - timedelta(days=30),
            input_per_mtok=Decimal("0.30"),
            cached_input_per_mtok=Decimal("0.03"),
            output_per_mtok=Decimal("1.20"),
        )

    assert set(Call.objects.values_list("cost_usd", "price_source")) == {(Decimal("0.6"), "custom")}
    day = DailyRollup.objects.get()
    assert (day.calls, day.unpriced_calls, e10_to_usd(day.cost_usd_e10)) == (3, 0, Decimal("1.8"))
    run = RepriceRun.objects.get(model="in-house-llm")
    assert (run.calls_repriced, run.calls_still_unpriced) == (3, 0)
    assert AuditEvent.objects.filter(action="calls.reprice", target_id=str(run.pk)).exists()


def test_reprice__price_effective_later__earlier_calls_stay_unpriced(
    key_client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    post_calls(
        key_client, [call_record(call_id="early", model="in-house-llm", ts=now - timedelta(days=2))]
    )
    post_calls(
        key_client, [call_record(call_id="late", model="in-house-llm", ts=now - timedelta(hours=1))]
    )
    model = model_upsert(name="in-house-llm", tier="mini")

    with django_capture_on_commit_callbacks(execute=True):
        model_price_add(
            model=model,
            effective_from=now - timedelta(days=1),
            input_per_mtok=Decimal("1"),
            cached_input_per_mtok=Decimal("1"),
            output_per_mtok=Decimal("1"),
        )

    costs = dict(Call.objects.values_list("call_id", "cost_usd"))
    assert costs["early"] is None
    assert costs["late"] == Decimal("0.0015")
    assert RepriceRun.objects.get().calls_still_unpriced == 1


def test_reprice__priced_model_gets_negotiated_rate__rollup_totals_move_by_the_difference(
    key_client, django_capture_on_commit_callbacks
):
    post_calls(
        key_client,
        [
            call_record(
                # A full context window of gpt-5-codex (a longer call is refused).
                input_tokens=400_000,
                cached_input_tokens=0,
                output_tokens=0,
                reasoning_tokens=0,
            )
        ],
    )
    assert e10_to_usd(CallRollup.objects.get().cost_usd_e10) == Decimal("0.50")

    with django_capture_on_commit_callbacks(execute=True):
        model_price_add(
            model=Model.objects.get(name="gpt-5-codex"),
            effective_from=timezone.now() - timedelta(days=1),
            input_per_mtok=Decimal("1.00"),
            cached_input_per_mtok=Decimal("0.10"),
            output_per_mtok=Decimal("8"),
        )

    assert Call.objects.get().cost_usd == Decimal("0.40")
    assert {e10_to_usd(r.cost_usd_e10) for r in CallRollup.objects.all()} == {Decimal("0.40")}
    assert [e10_to_usd(r.cost_usd_e10) for r in TeamHourRollup.objects.all()] == [Decimal("0.40")]


def test_reprice__dashboard_rollups__move_with_the_calls(
    key_client, django_capture_on_commit_callbacks
):

    post_calls(
        key_client,
        [
            call_record(
                model="in-house-llm",
                input_tokens=1_000_000,
                cached_input_tokens=0,
                output_tokens=0,
                reasoning_tokens=0,
            )
        ],
    )
    assert DailyRollup.objects.get().unpriced_calls == 1

    model = model_upsert(name="in-house-llm", tier="mini")
    with django_capture_on_commit_callbacks(execute=True):
        model_price_add(
            model=model,
            effective_from=timezone.now() - timedelta(days=1),
            input_per_mtok=Decimal("0.40"),
            cached_input_per_mtok=Decimal("0.04"),
            output_per_mtok=Decimal("1.60"),
        )

    daily = DailyRollup.objects.get()
    assert (daily.calls, daily.unpriced_calls, e10_to_usd(daily.cost_usd_e10)) == (
        1,
        0,
        Decimal("0.40"),
    )
