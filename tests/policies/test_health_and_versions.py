"""Model health transitions; publishing, versions and rollback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from governance.audit.models import AuditEvent
from governance.engine.context import Context
from governance.engine.default_policy import DEFAULT_POLICY, FULL_MODEL, MINI_MODEL
from governance.policies.models import ModelHealth, PolicyVersion
from governance.policies.selectors import policy_decide
from governance.policies.services import (
    PolicyInvalid,
    model_health_evaluate,
    policy_publish,
    policy_rollback,
)
from tests.accounts.factories import ClientFactory
from tests.budgets.helpers import ingest
from tests.calls.factories import call_record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def calls(client, *, at, ok=0, errors=0, timeouts=0, latency=800, model=FULL_MODEL):
    records = (
        [call_record(ts=at, model=model, status="ok", latency_ms=latency) for _ in range(ok)]
        + [
            call_record(ts=at, model=model, status="error", latency_ms=latency)
            for _ in range(errors)
        ]
        + [
            call_record(ts=at, model=model, status="timeout", latency_ms=latency)
            for _ in range(timeouts)
        ]
    )
    ingest(client, records)


def state_of(model=FULL_MODEL):
    """The circuit of the one team these tests' calls come from: with a single
    team reporting, only that team's circuit moves (the organisation's needs a
    quorum of teams; see tests/abuse/test_health_quorum.py)."""
    return ModelHealth.objects.exclude(team=None).get(model=model).state


def test_health__healthy_traffic__stays_healthy_with_its_figures(clock, catalog):
    client = ClientFactory()
    calls(client, at=T0 - timedelta(minutes=2), ok=30, latency=1000)

    assert model_health_evaluate(now=T0) == []
    row = ModelHealth.objects.exclude(team=None).get(model=FULL_MODEL)
    assert row.state == "healthy" and row.calls == 30 and row.latency_p99_ms == 1000


def test_health__error_rate_past_threshold__degraded_with_audit_event(clock, catalog, settings):
    settings.GOVERNOR_HEALTH_MAX_ERROR_RATE = 0.25
    client = ClientFactory()
    calls(client, at=T0 - timedelta(minutes=2), ok=20, errors=10)

    changed = model_health_evaluate(now=T0)

    assert [r.model for r in changed] == [FULL_MODEL]
    assert state_of() == "degraded"
    event = AuditEvent.objects.get(action="model_health.change")
    assert event.before == {"state": "healthy"} and event.after["state"] == "degraded"
    assert event.after["error_rate"] == pytest.approx(1 / 3, abs=1e-3)


def test_health__timeouts_past_threshold__degraded(clock, catalog):
    calls(ClientFactory(), at=T0 - timedelta(minutes=1), ok=15, timeouts=10)

    model_health_evaluate(now=T0)

    assert state_of() == "degraded"


def test_health__slow_p99__degraded(clock, catalog, settings):
    settings.GOVERNOR_HEALTH_MAX_P99_MS = 30_000
    calls(ClientFactory(), at=T0 - timedelta(minutes=1), ok=25, latency=45_000)

    model_health_evaluate(now=T0)

    assert state_of() == "degraded"


def test_health__too_few_calls__not_judged(clock, catalog):
    calls(ClientFactory(), at=T0 - timedelta(minutes=1), errors=5)

    model_health_evaluate(now=T0)

    assert state_of() == "healthy"


def test_health__errors_older_than_the_window__ignored(clock, catalog):
    calls(ClientFactory(), at=T0 - timedelta(minutes=30), errors=40)

    model_health_evaluate(now=T0)

    assert not ModelHealth.objects.exclude(state="healthy").exists()


def test_health__degraded_then_cooldown__half_open_then_healthy_after_good_trial(
    clock, catalog, settings
):
    settings.GOVERNOR_HEALTH_COOLDOWN_SECONDS = 300
    client = ClientFactory()
    calls(client, at=T0 - timedelta(minutes=1), ok=10, errors=20)
    model_health_evaluate(now=T0)

    clock.move_to(T0 + timedelta(minutes=2))
    model_health_evaluate(now=T0 + timedelta(minutes=2))
    assert state_of() == "degraded"  # still cooling down

    clock.move_to(T0 + timedelta(minutes=6))
    model_health_evaluate(now=T0 + timedelta(minutes=6))
    assert state_of() == "half_open"

    calls(client, at=T0 + timedelta(minutes=7), ok=6)
    clock.move_to(T0 + timedelta(minutes=8))
    model_health_evaluate(now=T0 + timedelta(minutes=8))
    assert state_of() == "healthy"
    transitions = [
        (e.before["state"], e.after["state"])
        for e in AuditEvent.objects.filter(action="model_health.change").order_by("id")
    ]
    assert transitions == [
        ("healthy", "degraded"),
        ("degraded", "half_open"),
        ("half_open", "healthy"),
    ]


def test_health__half_open_trial_fails__degraded_again(clock, catalog):
    client = ClientFactory()
    calls(client, at=T0 - timedelta(minutes=1), errors=30)
    model_health_evaluate(now=T0)
    clock.move_to(T0 + timedelta(minutes=6))
    model_health_evaluate(now=T0 + timedelta(minutes=6))

    calls(client, at=T0 + timedelta(minutes=7), errors=5, ok=1)
    clock.move_to(T0 + timedelta(minutes=8))
    model_health_evaluate(now=T0 + timedelta(minutes=8))

    assert state_of() == "degraded"


def test_health__full_model_degraded__decisions_move_non_critical_work_to_mini(clock, published):
    client = ClientFactory()
    calls(client, at=T0 - timedelta(minutes=1), errors=30)

    model_health_evaluate(now=T0)

    assert policy_decide(client=client, context=Context(risk="high")).model == MINI_MODEL
    assert policy_decide(client=client, context=Context(risk="critical")).model == FULL_MODEL


def test_publish__valid_document__numbered_version_and_audit_event(published, admin_user):
    document = {**DEFAULT_POLICY, "rules": DEFAULT_POLICY["rules"][:2]}

    version = policy_publish(document=document, actor=admin_user, note="fewer rules")

    assert version.number == 2
    event = AuditEvent.objects.get(action="policy.publish", target_id=str(version.pk))
    assert event.actor_label == admin_user.username and event.reason == "fewer rules"


def test_publish__model_not_in_catalog__refused_naming_it(published):
    document = {
        **DEFAULT_POLICY,
        "defaults": {**DEFAULT_POLICY["defaults"], "model": "gpt-imaginary"},
    }

    with pytest.raises(PolicyInvalid) as exc:
        policy_publish(document=document)

    assert exc.value.errors == ["model 'gpt-imaginary' is not in the catalog"]
    assert PolicyVersion.objects.count() == 1


def test_rollback__to_an_earlier_version__republished_under_a_new_number(published, admin_user):
    policy_publish(document={**DEFAULT_POLICY, "rules": []}, actor=admin_user)

    restored = policy_rollback(number=1, actor=admin_user, reason="v2 sent everything to full")

    assert restored.number == 3 and restored.restored_from == 1
    assert restored.document == PolicyVersion.objects.get(number=1).document
    assert AuditEvent.objects.filter(action="policy.rollback").count() == 1
    client = ClientFactory()
    decision = policy_decide(client=client, context=Context(task_type="boilerplate", risk="low"))
    assert (decision.policy_version, decision.model) == (3, MINI_MODEL)


def test_versions__published_rows__immutable_history_kept(published, admin_user):
    policy_publish(document={**DEFAULT_POLICY, "rules": []}, actor=admin_user)
    policy_rollback(number=1, actor=admin_user)

    assert list(
        PolicyVersion.objects.order_by("number").values_list("number", "restored_from")
    ) == [
        (1, None),
        (2, None),
        (3, 1),
    ]


def test_health__transition__queues_a_webhook(clock, catalog):
    from governance.audit.models import WebhookDelivery
    from governance.audit.services import webhook_endpoint_create

    webhook_endpoint_create(
        url="https://hooks.example/models", events=["model.*"], actor="system:tests"
    )
    calls(ClientFactory(), at=T0 - timedelta(minutes=1), errors=30)

    model_health_evaluate(now=T0)

    delivery = WebhookDelivery.objects.get(event="model.health_changed")
    assert delivery.payload["model"] == FULL_MODEL
    assert (delivery.payload["from"], delivery.payload["to"]) == ("healthy", "degraded")
