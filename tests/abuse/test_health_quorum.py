"""One team's calls cannot change what other teams get: model health opens
the organisation's circuit only on a quorum of failing teams, and names the
catalog does not hold never become circuits or snapshot entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from governance.catalog.selectors import model_tiers
from governance.engine.context import Context
from governance.engine.default_policy import FULL_MODEL, MINI_MODEL
from governance.policies.models import ModelHealth
from governance.policies.selectors import policy_decide, policy_view_for
from governance.policies.services import (
    model_health_evaluate,
    policy_default_publish,
    policy_view_ensure,
)
from tests.accounts.factories import ClientFactory
from tests.budgets.helpers import ingest
from tests.calls.factories import call_record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
HIGH_RISK = Context(task_type="refactor", risk="high")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def teams(clock):
    policy_default_publish()
    return ClientFactory(), ClientFactory(), ClientFactory()


def _fail(client, n=1000, model=FULL_MODEL):
    ingest(
        client,
        [call_record(ts=T0 - timedelta(minutes=1), model=model, status="error") for _ in range(n)],
    )


def _ok(client, n=40):
    ingest(client, [call_record(ts=T0 - timedelta(minutes=1), model=FULL_MODEL) for _ in range(n)])


def test_health__1000_error_calls_from_one_team__only_that_teams_decisions_degrade(teams):
    attacker, victim, _ = teams
    _ok(victim)
    _fail(attacker)

    model_health_evaluate(now=T0)

    org = ModelHealth.objects.get(model=FULL_MODEL, team=None)
    assert org.state == "healthy"
    assert ModelHealth.objects.get(model=FULL_MODEL, team=attacker.team).state == "degraded"
    assert policy_decide(client=attacker, context=HIGH_RISK).model == MINI_MODEL
    assert policy_decide(client=victim, context=HIGH_RISK).model == FULL_MODEL
    # What routing clients fetch agrees: only the failing team's snapshot says degraded.
    policy_view_ensure(client=victim)
    victim_view = policy_view_for(client=victim).snapshot
    attacker_view = policy_view_for(client=attacker).snapshot
    assert victim_view["models"][FULL_MODEL]["health"] == "healthy"
    assert attacker_view["models"][FULL_MODEL]["health"] == "degraded"


def test_health__failures_from_a_quorum_of_teams__the_organisations_circuit_opens(teams, settings):
    settings.GOVERNOR_HEALTH_QUORUM_TEAMS = 2
    first, second, bystander = teams
    _fail(first, n=30)
    _fail(second, n=30)

    model_health_evaluate(now=T0)

    assert ModelHealth.objects.get(model=FULL_MODEL, team=None).state == "degraded"
    assert policy_decide(client=bystander, context=HIGH_RISK).model == MINI_MODEL


def test_health__a_quorum_of_teams_but_one_fails_barely__organisation_stays_healthy(teams):
    # Two teams report calls, but only one fails past a threshold on its own:
    # its thousand errors must not count as the other team's failure.
    attacker, other, _ = teams
    _fail(attacker)
    ingest(
        other,
        [call_record(ts=T0 - timedelta(minutes=1), model=FULL_MODEL) for _ in range(30)]
        + [call_record(ts=T0 - timedelta(minutes=1), model=FULL_MODEL, status="error")],
    )

    model_health_evaluate(now=T0)

    assert ModelHealth.objects.get(model=FULL_MODEL, team=None).state == "healthy"


def test_health__a_thousand_invented_model_names__no_circuit_and_no_snapshot_entry(teams):
    sender, reader, _ = teams
    names = [f"invented-model-{i}" for i in range(1000)]
    ingest(
        sender,
        [call_record(ts=T0 - timedelta(minutes=1), model=name, status="error") for name in names],
    )

    model_health_evaluate(now=T0)
    policy_view_ensure(client=reader)

    assert not ModelHealth.objects.filter(model__startswith="invented-model-").exists()
    assert set(policy_view_for(client=reader).snapshot["models"]) == set(model_tiers())
