"""After a plan's policy is published, Governor follows it: realised saving
and pass-rate change against the promise, and an alert plus the webhook
`quality.plan.breached` when the loss passes the tolerance."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.advisor.models import AdoptedPlan, PlanState
from governance.advisor.services import plans_follow
from governance.audit.models import WebhookDelivery
from governance.audit.services import webhook_endpoint_create
from governance.policies.services import policy_publish
from governance.quality.models import QualityAlert
from tests.advisor.conftest import FULL, MINI

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_plan(traffic, client, admin_user):
    """docs moved to mini by a published plan, a week ago."""
    for model in (FULL, MINI):
        traffic("docs", model, runs=30, pass_rate=0.95)
    client.force_login(admin_user)
    response = client.post("/advisor/draft/", {"tolerance_pp": "1.00"}, follow=True)
    document = json.loads(response.context["document_text"])
    plan = AdoptedPlan.objects.get()
    assert plan.choices["docs"]["option"] != "full"
    version = policy_publish(document=document, actor=admin_user, note="advisor plan")
    return plan, version


def webhooks():
    return webhook_endpoint_create(
        url="https://hooks.example/governor", events=["quality.plan.*"], actor="test"
    )


def test_plan_follow_up__quality_holds__following_with_realised_saving_and_no_alert(
    published_plan, traffic
):
    plan, version = published_plan
    endpoint = webhooks()
    traffic("docs", MINI, runs=20, pass_rate=0.95, at=timezone.now())

    breached = plans_follow(now=timezone.now() + timedelta(minutes=1))

    plan.refresh_from_db()
    assert breached == []
    assert plan.state == PlanState.FOLLOWING and plan.published_version == version.number
    assert plan.realised_saving_usd > 0
    assert abs(plan.realised_change_pp) < 1
    assert not QualityAlert.objects.exists()
    assert not WebhookDelivery.objects.filter(endpoint=endpoint).exists()


def test_plan_follow_up__realised_loss_beyond_tolerance__alert_and_webhook_once(
    published_plan, traffic
):
    plan, _ = published_plan
    endpoint = webhooks()
    # After publication the mini model passes 85 %: 10 pp below the baseline.
    traffic("docs", MINI, runs=20, pass_rate=0.85, at=timezone.now())

    first = plans_follow(now=timezone.now() + timedelta(minutes=1))
    again = plans_follow(now=timezone.now() + timedelta(minutes=2))

    plan.refresh_from_db()
    assert first == [plan.pk] and again == []
    assert plan.state == PlanState.BREACHED
    assert plan.realised_change_pp < -1
    alert = QualityAlert.objects.get()
    assert alert.task_type == "docs" and alert.model == MINI
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert [d.event for d in deliveries] == ["quality.plan.breached"]


def test_plan_follow_up__not_published__nothing_followed(traffic, client, admin_user):
    for model in (FULL, MINI):
        traffic("docs", model, runs=30, pass_rate=0.95)
    client.force_login(admin_user)
    client.post("/advisor/draft/", {"tolerance_pp": "1.00"})

    assert plans_follow() == []
    assert AdoptedPlan.objects.get().state == PlanState.DRAFTED
