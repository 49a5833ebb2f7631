"""The periodic regression check: a planted drop is caught, noise is not,
an alert clears when the rate recovers, and webhooks hear about both."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from governance.audit.models import AuditEvent, WebhookDelivery
from governance.audit.services import webhook_endpoint_create
from governance.quality import selectors, services
from governance.quality.conf import RegressionConfig
from governance.quality.models import AlertState, QualityAlert
from governance.quality.tasks import quality_check_regressions
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.quality.factories import NOW, record_run

pytestmark = pytest.mark.django_db

CONFIG = RegressionConfig(
    window=timedelta(days=7),
    baseline=timedelta(days=28),
    threshold_pp=5.0,
    alpha=0.01,
    min_tests=50,
)


class Deliveries:
    """What was queued for a webhook endpoint subscribed to quality alerts."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def events(self) -> list[tuple[str, dict]]:
        rows = WebhookDelivery.objects.filter(endpoint=self.endpoint).order_by("id")
        return [(d.event, d.payload) for d in rows]


@pytest.fixture
def webhooks():
    endpoint = webhook_endpoint_create(
        url="https://hooks.example/governor", events=["quality.alert.*"], actor="test"
    )
    return Deliveries(endpoint)


def simulate(
    client,
    *,
    rng,
    days: range,
    rate: float,
    end=NOW,
    runs_per_day=4,
    tests_per_run=10,
    **run_fields,
):
    """Runs whose tests each pass with probability `rate`, on each day before `end`."""
    for day in days:
        for n in range(runs_per_day):
            passed = sum(rng.random() < rate for _ in range(tests_per_run))
            record_run(
                client=client,
                passed=passed,
                failed=tests_per_run - passed,
                timestamp=end - timedelta(days=day, hours=n * 5 + 1),
                **run_fields,
            )


def plant_drop(client, *, rng, model="m", before=0.90, after=0.70, **run_fields):
    """Four weeks at `before`, then the last week at `after`."""
    simulate(client, rng=rng, days=range(7, 35), rate=before, model=model, **run_fields)
    simulate(client, rng=rng, days=range(0, 7), rate=after, model=model, **run_fields)


def test_regressions_check__planted_drop__raises_one_alert_and_sends_it(webhooks):
    client = ClientFactory(team=TeamFactory(slug="payments"))
    rng = random.Random(1)
    simulate(
        client,
        rng=rng,
        days=range(7, 35),
        rate=0.90,
        model="gpt-5-codex-mini",
        task_type="refactor",
    )
    simulate(
        client, rng=rng, days=range(0, 7), rate=0.75, model="gpt-5-codex-mini", task_type="refactor"
    )

    summary = services.quality_regressions_check(now=NOW, config=CONFIG)

    [alert] = QualityAlert.objects.all()
    assert summary.raised == [alert.pk]
    assert (alert.state, alert.model, alert.task_type, alert.team.slug) == (
        "open",
        "gpt-5-codex-mini",
        "refactor",
        "payments",
    )
    assert alert.baseline_rate - alert.recent_rate > 0.10
    assert alert.p_value < 0.001
    [(event, payload)] = webhooks.events()
    assert event == "quality.alert.raised"
    assert (payload["team"], payload["model"], payload["drop_pp"]) == (
        "payments",
        "gpt-5-codex-mini",
        alert.drop_pp,
    )
    assert (
        AuditEvent.objects.filter(
            action="quality_alert.raised", actor_label=services.REGRESSION_ACTOR
        ).count()
        == 1
    )


def test_regressions_check__run_again__does_not_raise_a_second_alert(webhooks):
    client = ClientFactory()
    rng = random.Random(2)
    plant_drop(client, rng=rng)
    services.quality_regressions_check(now=NOW, config=CONFIG)
    summary = services.quality_regressions_check(now=NOW + timedelta(minutes=15), config=CONFIG)
    assert summary.raised == []
    assert QualityAlert.objects.count() == 1
    assert len(webhooks.events()) == 1


@pytest.mark.parametrize("seed", range(8))
def test_regressions_check__steady_rate_with_noise__raises_nothing(webhooks, seed):
    client = ClientFactory()
    simulate(
        client,
        rng=random.Random(seed),
        days=range(0, 35),
        rate=0.85,
        model="m",
        task_type="unit-tests",
    )
    summary = services.quality_regressions_check(now=NOW, config=CONFIG)
    assert summary.series_checked == 1
    assert summary.raised == []
    assert webhooks.events() == []


def test_regressions_check__big_drop_on_few_tests__waits_for_enough_data(webhooks):
    client = ClientFactory()
    simulate(client, rng=random.Random(3), days=range(7, 35), rate=0.9, model="m")
    simulate(client, rng=random.Random(3), days=range(0, 2), rate=0.3, model="m", runs_per_day=1)
    assert services.quality_regressions_check(now=NOW, config=CONFIG).raised == []


def test_regressions_check__significant_drop_below_threshold__raises_nothing(webhooks):
    client = ClientFactory()
    # 95 % -> 92 %: with this much data the drop is significant, but smaller than 5 pp.
    simulate(
        client, rng=random.Random(4), days=range(7, 35), rate=0.95, model="m", tests_per_run=100
    )
    simulate(
        client, rng=random.Random(4), days=range(0, 7), rate=0.92, model="m", tests_per_run=100
    )
    assert services.quality_regressions_check(now=NOW, config=CONFIG).raised == []


def test_regressions_check__other_team_same_model__is_a_separate_series(webhooks):
    rng = random.Random(5)
    dropping, steady = ClientFactory(), ClientFactory()
    plant_drop(dropping, rng=rng)
    simulate(steady, rng=rng, days=range(0, 35), rate=0.9, model="m")
    services.quality_regressions_check(now=NOW, config=CONFIG)
    assert [a.team_id for a in QualityAlert.objects.all()] == [dropping.team_id]


def test_regressions_check__rate_recovers__alert_clears_and_webhook_says_so(webhooks):
    client = ClientFactory()
    rng = random.Random(6)
    plant_drop(client, rng=rng)
    services.quality_regressions_check(now=NOW, config=CONFIG)
    later = NOW + timedelta(days=7)
    simulate(client, rng=rng, days=range(0, 7), rate=0.90, model="m", end=later)

    summary = services.quality_regressions_check(now=later, config=CONFIG)

    alert = QualityAlert.objects.get()
    assert summary.cleared == [alert.pk]
    assert (alert.state, alert.cleared_at) == (AlertState.CLEARED, later)
    assert [event for event, _ in webhooks.events()] == [
        "quality.alert.raised",
        "quality.alert.cleared",
    ]
    assert AuditEvent.objects.filter(action="quality_alert.cleared").count() == 1


def test_regressions_check__still_low__alert_stays_open_with_the_latest_rate(webhooks):
    client = ClientFactory()
    rng = random.Random(7)
    plant_drop(client, rng=rng)
    services.quality_regressions_check(now=NOW, config=CONFIG)
    later = NOW + timedelta(days=3)
    simulate(client, rng=rng, days=range(0, 3), rate=0.70, model="m", end=later)
    assert services.quality_regressions_check(now=later, config=CONFIG).cleared == []
    alert = QualityAlert.objects.get()
    assert alert.state == AlertState.OPEN
    assert alert.last_checked_at == later


def test_quality_check_regressions_task__runs_the_check_with_the_settings(
    webhooks, settings, time_machine
):
    time_machine.move_to(NOW, tick=False)
    settings.GOVERNOR_QUALITY_DROP_PP = 5.0
    client = ClientFactory()
    rng = random.Random(8)
    plant_drop(client, rng=rng)
    result = quality_check_regressions.delay().get()
    assert len(result["raised"]) == 1
    assert selectors.quality_alerts(state="open")[0].model == "m"


def test_alerts_api__api_key__sees_only_its_teams_alerts(api_client, issue_key, webhooks):
    raw, key = issue_key(scopes=("ingest",))
    other = ClientFactory()
    rng = random.Random(9)
    for client in (key.client, other):
        plant_drop(client, rng=rng)
    services.quality_regressions_check(now=NOW, config=CONFIG)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api_client.get("/api/v1/quality/alerts", {"state": "open"})
    assert response.status_code == 200
    [alert] = response.json()["results"]
    assert alert["team"] == key.client.team.slug
    assert alert["drop_pp"] > 10


def test_alerts_api__unknown_state__400_names_state(manager_client):
    response = manager_client.get("/api/v1/quality/alerts", {"state": "snoozed"})
    assert response.status_code == 400
    assert "state" in response.json()


def test_quality_schedule__beat_entries__name_registered_tasks():
    from governance.celery import app, collect_beat_schedule
    from governance.quality.schedule import SCHEDULE

    beat = collect_beat_schedule()
    for name, entry in SCHEDULE.items():
        assert beat[name] == entry
        assert entry["task"] in app.tasks
