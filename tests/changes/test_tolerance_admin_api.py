"""The quality tolerance in the admin API: the organisation's and each team's,
read with their versions, set or removed with a reason through the advisor's
own service (so the advisor recommends with it), audited with the key as
actor; 412 on a stale version, 400 naming the field; under four-eyes a
change waits for a second admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from governance.advisor.selectors import tolerance_pp
from governance.advisor.services import tolerance_set
from governance.audit.models import AuditEvent
from governance.changes.models import ChangeRequest, ChangeStatus
from governance.changes.services import four_eyes_set
from tests.accounts.factories import TeamFactory

pytestmark = pytest.mark.django_db

ORG = "/api/v1/admin/quality/tolerance"
PAYMENTS = f"{ORG}/teams/payments"


@pytest.fixture
def payments():
    return TeamFactory(slug="payments")


def test_tolerance_read__nothing_set__organisation_at_one_point_and_no_overrides(admin_api):
    response = admin_api.get(ORG)

    assert response.status_code == 200
    body = response.json()
    assert (body["team"], body["tolerance_pp"], body["teams"]) == (None, "1.0", [])
    assert response["ETag"] == body["version"]


def test_tolerance_set__organisation__new_state_version_audit_with_the_key_and_the_advisor_uses_it(
    admin_api, admin_key
):
    seen = admin_api.get(ORG)["ETag"]

    response = admin_api.put(
        ORG, {"tolerance_pp": "1.5", "reason": "Q4 cost target"}, format="json", HTTP_IF_MATCH=seen
    )

    assert response.status_code == 200
    assert response.json()["tolerance_pp"] == "1.5"
    assert response["ETag"] == response.json()["version"] != seen
    assert tolerance_pp(team_id=None) == Decimal("1.50")
    event = AuditEvent.objects.get(action="advisor.tolerance.changed")
    assert event.actor_label == f"client:platform/ci key {admin_key[1].prefix}"
    assert event.reason == "Q4 cost target"
    assert (event.before, event.after) == (None, {"tolerance_pp": "1.50"})


def test_tolerance_team__set_listed_then_removed__the_organisation_applies_again(
    admin_api, payments
):
    admin_api.put(ORG, {"tolerance_pp": 2, "reason": "more saving"}, format="json")

    set_ = admin_api.put(PAYMENTS, {"tolerance_pp": 0.5, "reason": "audited code"}, format="json")
    listed = admin_api.get(ORG).json()["teams"]
    removed = admin_api.delete(
        PAYMENTS, {"reason": "payments follows the organisation"}, format="json"
    )

    assert set_.status_code == 200
    assert set_.json() | {"version": ""} == {
        "team": "payments",
        "tolerance_pp": "0.5",
        "in_force_pp": "0.5",
        "version": "",
    }
    assert [(t["team"], t["tolerance_pp"]) for t in listed] == [("payments", "0.5")]
    assert listed[0]["version"] == set_["ETag"]
    assert removed.status_code == 200
    assert (removed.json()["tolerance_pp"], removed.json()["in_force_pp"]) == (None, "2.0")
    assert tolerance_pp(team_id=payments.pk) == Decimal("2.00")
    gone = AuditEvent.objects.get(action="advisor.tolerance.removed")
    assert gone.before == {"tolerance_pp": "0.50"}
    assert gone.reason == "payments follows the organisation"


def test_tolerance_set__stale_if_match__412_and_the_other_change_survives(admin_api, payments):
    seen = admin_api.get(PAYMENTS)["ETag"]
    first = admin_api.put(
        PAYMENTS, {"tolerance_pp": "0.5", "reason": "first"}, format="json", HTTP_IF_MATCH=seen
    )

    second = admin_api.put(
        PAYMENTS, {"tolerance_pp": "3", "reason": "overwrite"}, format="json", HTTP_IF_MATCH=seen
    )
    removal = admin_api.delete(PAYMENTS, {"reason": "overwrite"}, format="json", HTTP_IF_MATCH=seen)

    assert first.status_code == 200
    assert second.status_code == 412 and removal.status_code == 412
    assert second.json()["current_version"] == first["ETag"]
    assert tolerance_pp(team_id=payments.pk) == Decimal("0.50")


def test_tolerance_set__other_team_changed__own_version_still_current(admin_api, payments):
    TeamFactory(slug="search")
    seen = admin_api.get(PAYMENTS)["ETag"]
    admin_api.put(f"{ORG}/teams/search", {"tolerance_pp": "3", "reason": "r"}, format="json")

    response = admin_api.put(
        PAYMENTS, {"tolerance_pp": "0.5", "reason": "r"}, format="json", HTTP_IF_MATCH=seen
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"tolerance_pp": "-0.5", "reason": "r"}, "tolerance_pp"),
        ({"tolerance_pp": "half a point", "reason": "r"}, "tolerance_pp"),
        ({"tolerance_pp": "80", "reason": "r"}, "tolerance_pp"),
        ({"tolerance_pp": "0.125", "reason": "r"}, "tolerance_pp"),
        ({"tolerance_pp": True, "reason": "r"}, "tolerance_pp"),
        ({"tolerance_pp": [1], "reason": "r"}, "tolerance_pp"),
        ({"tolerance_pp": "NaN", "reason": "r"}, "tolerance_pp"),
        ({"reason": "r"}, "tolerance_pp"),
        ({"tolerance_pp": "0.5"}, "reason"),
    ],
)
def test_tolerance_set__bad_value__400_naming_the_field_and_nothing_changes(
    admin_api, payments, body, field
):
    for url in (ORG, PAYMENTS):
        response = admin_api.put(url, body, format="json")

        assert response.status_code == 400
        assert field in response.json()
    assert tolerance_pp(team_id=payments.pk) == Decimal("1.00")
    assert not AuditEvent.objects.filter(action__startswith="advisor.tolerance").exists()


def test_tolerance_set__more_than_the_maximum__message_says_the_allowed_range(admin_api):
    response = admin_api.put(ORG, {"tolerance_pp": "50.01", "reason": "r"}, format="json")

    assert response.json()["tolerance_pp"] == ["must be between 0 and 50 percentage points"]


def test_tolerance_team__unknown_team__404(admin_api):
    assert admin_api.get(f"{ORG}/teams/nobody").status_code == 404
    response = admin_api.put(
        f"{ORG}/teams/nobody", {"tolerance_pp": 1, "reason": "r"}, format="json"
    )
    assert response.status_code == 404


def test_tolerance_four_eyes__waits__author_refused__second_admin_applies(
    admin_api, second_admin, payments, four_eyes
):
    asked = admin_api.put(
        PAYMENTS, {"tolerance_pp": "0.5", "reason": "payments code is audited"}, format="json"
    )
    change_id = asked.json()["change_request"]["id"]
    own = admin_api.post(
        f"/api/v1/admin/changes/{change_id}/approve", {"reason": "fine"}, format="json"
    )
    waiting = tolerance_pp(team_id=payments.pk)

    approved = second_admin.post(
        f"/api/v1/admin/changes/{change_id}/approve", {"reason": "agreed"}, format="json"
    )

    assert asked.status_code == 202
    assert asked.json()["change_request"]["diff"] == ["tolerance payments: 1.0 pp → 0.5 pp"]
    assert asked.json()["change_request"]["target"] == "tolerance payments"
    assert own.status_code == 403
    assert waiting == Decimal("1.00")
    assert approved.status_code == 200 and approved.json()["status"] == ChangeStatus.APPLIED
    assert tolerance_pp(team_id=payments.pk) == Decimal("0.50")
    event = AuditEvent.objects.get(action="advisor.tolerance.changed")
    assert event.actor_label == "bob-admin"
    assert "payments code is audited" in event.reason


def test_tolerance_four_eyes__removal_waits_too__stale_once_the_override_moved(
    admin_api, second_admin, payments, admin_user
):
    tolerance_set(team=payments, tolerance_pp=Decimal("0.5"), actor=admin_user, reason="r")
    four_eyes_set(on=True, actor=admin_user, reason="quality matters")
    asked = admin_api.delete(PAYMENTS, {"reason": "follow the organisation"}, format="json")
    tolerance_set(team=payments, tolerance_pp=Decimal("0.75"), actor=admin_user, reason="meanwhile")

    decided = second_admin.post(
        f"/api/v1/admin/changes/{asked.json()['change_request']['id']}/approve",
        {"reason": "ok"},
        format="json",
    )

    assert asked.status_code == 202
    assert asked.json()["change_request"]["diff"] == [
        "tolerance payments: 0.5 pp → removed (the organisation's 1.0 pp applies)"
    ]
    assert decided.status_code == 409
    assert ChangeRequest.objects.get().status == ChangeStatus.STALE
    assert tolerance_pp(team_id=payments.pk) == Decimal("0.75")


def test_tolerance_schema__request_examples__accepted_and_answered_with_the_documented_fields(
    admin_api, payments
):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    answered = []

    for path, url in ((ORG, ORG), (f"{ORG}/teams/{{slug}}", PAYMENTS)):
        operation = schema["paths"][path]["put"]
        (example,) = operation["requestBody"]["content"]["application/json"]["examples"].values()
        response = admin_api.put(url, example["value"], format="json")
        answered.append((response.status_code, response.json()["tolerance_pp"]))
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        documented = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
        assert set(response.json()) <= set(documented)

    assert answered == [(200, "1.5"), (200, "0.5")]


def test_tolerance_four_eyes__override_equal_to_the_organisation__still_said_in_words(
    admin_api, payments, four_eyes
):
    asked = admin_api.put(PAYMENTS, {"tolerance_pp": "1", "reason": "pin it"}, format="json")

    assert asked.json()["change_request"]["diff"] == [
        "tolerance payments: 1.0 pp, its own now (was the organisation's)"
    ]
