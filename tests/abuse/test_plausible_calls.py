"""Plausible calls only: a call its model could not have made, or one priced over
the per-call ceiling, is refused with the field named, stored nowhere and counted
in no roll-up or budget, on the JSON API and on the OTLP receivers alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from governance.audit.models import AuditEvent
from governance.budgets.selectors import budgets_status
from governance.calls.models import Call
from governance.catalog.models import Model
from governance.rollups.models import CallRollup
from tests.budgets.helpers import PRICED_MODEL, dollar_model, make_budget
from tests.calls.factories import call_record, post_calls
from tests.calls.otlp.builders import (
    JSON,
    PROTOBUF,
    codex_completion,
    log_record,
    logs_request,
    partial_success,
)
from tests.calls.otlp.builders import post as otlp_post

pytestmark = pytest.mark.django_db

# gpt-5-codex: genai-prices publishes a 400,000-token context window.
WINDOW = 400_000


def _implausible(**overrides) -> dict:
    return call_record(model="gpt-5-codex", input_tokens=10**12, cached_input_tokens=0, **overrides)


def _rejected(response) -> dict[int, dict[str, list[str]]]:
    return {r["index"]: r["errors"] for r in response.json()["rejected"]}


def test_calls__10_to_the_12_tokens__refused_naming_input_tokens_and_the_organisation_budget_untouched(
    key_client,
):
    budget = make_budget(team=None, limit="100", name="organisation")

    response = post_calls(key_client, [_implausible()])

    assert response.status_code == 207
    errors = _rejected(response)[0]
    assert list(errors) == ["input_tokens"]
    assert "context window of gpt-5-codex (400000 tokens)" in errors["input_tokens"][0]
    assert Call.objects.count() == 0
    assert CallRollup.objects.count() == 0
    (status,) = budgets_status(now=timezone.now(), budgets=[budget])
    assert status.spend == Decimal(0)
    assert status.state == "normal"


def test_calls__input_and_output_together_over_the_window__refused_naming_output_tokens(
    key_client,
):
    record = call_record(
        model="gpt-5-codex",
        input_tokens=WINDOW - 1000,
        cached_input_tokens=0,
        output_tokens=2000,
        reasoning_tokens=0,
    )

    response = post_calls(key_client, [record])

    assert "input_tokens + output_tokens = 401000" in _rejected(response)[0]["output_tokens"][0]
    assert Call.objects.count() == 0


def test_calls__priced_over_the_per_call_ceiling__refused_and_one_under_it_stored(
    key_client, settings
):
    settings.GOVERNOR_MAX_CALL_COST_USD = Decimal("5")
    dollar_model()  # $1 per million tokens, no published window
    costly = call_record(
        model=PRICED_MODEL, input_tokens=6_000_000, cached_input_tokens=0,
        output_tokens=0, reasoning_tokens=0,
    )  # fmt: skip
    cheap = call_record(
        model=PRICED_MODEL, input_tokens=4_000_000, cached_input_tokens=0,
        output_tokens=0, reasoning_tokens=0,
    )  # fmt: skip

    response = post_calls(key_client, [costly, cheap])

    assert response.status_code == 207
    message = _rejected(response)[0]["input_tokens"][0]
    assert "$6.00" in message
    assert "GOVERNOR_MAX_CALL_COST_USD" in message
    assert list(Call.objects.values_list("call_id", flat=True)) == [cheap["call_id"]]
    assert Call.objects.get().cost_usd == Decimal("4")


def test_calls__default_ceiling__a_priced_model_without_a_window_cannot_claim_a_fortune(
    key_client,
):
    dollar_model()
    record = call_record(model=PRICED_MODEL, input_tokens=10**12, cached_input_tokens=0)

    response = post_calls(key_client, [record])

    assert "over the per-call ceiling of $250" in _rejected(response)[0]["input_tokens"][0]
    assert Call.objects.count() == 0


def test_calls__unknown_model_with_many_tokens__stored_unpriced(key_client):
    record = call_record(model="invented-model", input_tokens=10**9, cached_input_tokens=0)

    response = post_calls(key_client, [record])

    assert response.status_code == 200
    assert Call.objects.get().cost_usd is None


@pytest.fixture
def staff_admin(client, admin_user):
    """An admin signed in to the catalog's admin pages."""
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def _admin_form(model: Model, **changes) -> dict:
    form = {
        "name": model.name,
        "display_name": model.display_name,
        "provider": model.provider,
        "tier": model.tier,
        "priced_as": model.priced_as,
        "full_counterpart": model.full_counterpart_id or "",
        "context_window": model.context_window or "",
        "max_output_tokens": model.max_output_tokens or "",
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
    }
    form.update(changes)
    return form


def test_catalog_admin__context_window_raised__the_longer_call_is_accepted_and_the_change_audited(
    staff_admin, key_client
):
    model = Model.objects.get(name="gpt-5-codex")
    long_call = {"input_tokens": 600_000, "cached_input_tokens": 0, "output_tokens": 1000}
    refused = post_calls(key_client, [call_record(model="gpt-5-codex", **long_call)])

    page = staff_admin.post(
        f"/admin/catalog/model/{model.pk}/change/", _admin_form(model, context_window=1_050_000)
    )
    accepted = post_calls(key_client, [call_record(model="gpt-5-codex", **long_call)])

    assert "input_tokens" in _rejected(refused)[0]
    assert page.status_code == 302
    assert accepted.status_code == 200
    assert Call.objects.get().input_tokens == 600_000
    event = AuditEvent.objects.get(action="model.upsert", target_id=str(model.pk))
    assert event.before["context_window"] is None
    assert event.after["context_window"] == 1_050_000


def test_catalog_admin__output_limit_set__longer_outputs_refused_naming_output_tokens(
    staff_admin, key_client
):
    model = Model.objects.get(name="gpt-5-codex")
    staff_admin.post(
        f"/admin/catalog/model/{model.pk}/change/", _admin_form(model, max_output_tokens=128_000)
    )

    response = post_calls(
        key_client,
        [call_record(model="gpt-5-codex", output_tokens=200_000, reasoning_tokens=0)],
    )

    assert (
        "output limit of gpt-5-codex (128000 tokens)" in _rejected(response)[0]["output_tokens"][0]
    )
    assert Call.objects.count() == 0


def test_calls__batch_mixing_plausible_and_implausible__plausible_ones_stored_once_and_counted_once(
    key_client,
):
    batch = [
        call_record(),
        _implausible(),
        call_record(),
        call_record(model="gpt-5-codex", output_tokens=WINDOW, reasoning_tokens=0),
        call_record(),
    ]

    first = post_calls(key_client, batch)
    again = post_calls(key_client, batch)

    assert first.status_code == again.status_code == 207
    assert first.json()["accepted"] == 3
    assert sorted(_rejected(first)) == [1, 3]
    assert again.json()["accepted"] == 0
    assert again.json()["duplicates"] == 3
    assert Call.objects.count() == 3
    hourly = CallRollup.objects.all()
    assert sum(hourly.values_list("calls", flat=True)) == 3
    assert sum(hourly.values_list("input_tokens", flat=True)) == 3 * 1000


@pytest.mark.parametrize("media", [PROTOBUF, JSON])
def test_otlp_logs__implausible_token_count__partial_success_names_the_attribute_and_the_reason(
    key_client, media
):
    records = [
        log_record(codex_completion(conversation="plausible")),
        log_record(
            codex_completion(
                conversation="fabricated", input_token_count=str(10**12), cached_token_count=0
            )
        ),
    ]

    response = otlp_post(key_client, "/otlp/v1/logs", logs_request(records), media=media)

    assert response.status_code == 200
    rejected, message = partial_success(response, media)
    assert rejected == 1
    assert "input_token_count" in message
    assert "context window of gpt-5-codex" in message
    assert Call.objects.count() == 1
    assert sum(CallRollup.objects.values_list("calls", flat=True)) == 1
