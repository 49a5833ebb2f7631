"""The quality tolerance: 1.0 pp unless an admin says otherwise, per team if need be, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.advisor.selectors import tolerance_pp
from governance.audit.models import AuditEvent
from governance.changes.models import ChangeRequest
from governance.changes.services import four_eyes_set
from tests.accounts.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_tolerance__nothing_set__one_percentage_point():
    assert tolerance_pp(team_id=None) == Decimal("1.00")


def test_tolerance_form__admin_sets_org_and_team__team_overrides_and_both_are_audited(
    client, admin_user
):
    team = TeamFactory(slug="payments")
    client.force_login(admin_user)

    client.post("/advisor/tolerance/", {"tolerance_pp": "2", "reason": "more saving"})
    client.post("/advisor/tolerance/", {"team": "payments", "tolerance_pp": "0.5"})

    assert tolerance_pp(team_id=None) == Decimal("2.00")
    assert tolerance_pp(team_id=team.pk) == Decimal("0.50")
    assert tolerance_pp(team_id=TeamFactory().pk) == Decimal("2.00")
    events = AuditEvent.objects.filter(action="advisor.tolerance.changed")
    assert events.count() == 2
    assert events.filter(reason="more saving").exists()


def test_tolerance_form__out_of_range__refused_naming_the_field(client, admin_user):
    client.force_login(admin_user)

    response = client.post("/advisor/tolerance/", {"tolerance_pp": "80"})

    assert response.status_code == 200  # the form again, with its error
    assert "less than or equal to 50" in response.content.decode()
    assert tolerance_pp(team_id=None) == Decimal("1.00")


def test_tolerance_form__manager__refused(client, manager_user):
    client.force_login(manager_user)
    assert client.post("/advisor/tolerance/", {"tolerance_pp": "3"}).status_code == 403


def test_recommendations__team_tolerance_is_the_default_for_that_team(client, admin_user):
    TeamFactory(slug="payments")
    client.force_login(admin_user)
    client.post("/advisor/tolerance/", {"team": "payments", "tolerance_pp": "0.25"})

    body = client.get("/api/v1/recommendations", {"team": "payments"}).json()

    assert body["tolerance_pp"] == "0.25"


def test_tolerance_form__four_eyes_on__waits_for_a_second_admin_like_the_admin_api(
    client, admin_user
):
    team = TeamFactory(slug="payments")
    four_eyes_set(on=True, actor=admin_user, reason="quality moves too")
    client.force_login(admin_user)

    without_reason = client.post("/advisor/tolerance/", {"team": "payments", "tolerance_pp": "0.5"})
    asked = client.post(
        "/advisor/tolerance/",
        {"team": "payments", "tolerance_pp": "0.5", "reason": "audited code"},
        follow=True,
    )

    assert "say why you make this change" in without_reason.content.decode()
    assert "waits for another admin" in asked.content.decode()
    change = ChangeRequest.objects.get()
    assert change.diff == ["tolerance payments: 1.0 pp → 0.5 pp"]
    assert tolerance_pp(team_id=team.pk) == Decimal("1.00")
