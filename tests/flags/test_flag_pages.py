from __future__ import annotations

import json

import pytest

from governance.audit.models import AuditEvent
from governance.flags.models import Flag
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "key": "ci-test-generation-on-mini",
        "description": "Send CI test generation to the mini model",
        "owner": "platform",
        "flag_type": "boolean",
        "variants": json.dumps({"on": True, "off": False}),
        "default_variant": "on",
        "off_variant": "off",
        "rules": "",
        "rollout": json.dumps([{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}]),
        "schedule": "",
        "expires_at": "",
        "reason": "pilot on 10 % of pipelines",
    }
    data.update(overrides)
    return data


def test_flag_list__manager__sees_flags_without_change_buttons(as_manager):
    make_flag()
    page = as_manager.get("/flags/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "mini-model-for-ci" in html
    assert "Turn off" not in html and "New flag" not in html


def test_flag_list__admin__sees_toggle_with_required_reason(as_admin):
    make_flag()
    html = as_admin.get("/flags/").content.decode()
    assert "Turn off" in html and 'name="reason" required' in html


def test_flag_list__anonymous__sent_to_login(client):
    response = client.get("/flags/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_flag_create_page__admin_posts__flag_created_off_and_audited(as_admin, admin_user):
    response = as_admin.post("/flags/new/", form_data())
    assert response.status_code == 302
    flag = Flag.objects.get(key="ci-test-generation-on-mini")
    assert flag.enabled is False and flag.rollout[0]["weight"] == 10
    event = AuditEvent.objects.get(action="flag.created")
    assert (event.actor, event.reason) == (admin_user, "pilot on 10 % of pipelines")


def test_flag_create_page__bad_split__400_naming_the_field(as_admin):
    response = as_admin.post(
        "/flags/new/", form_data(rollout=json.dumps([{"variant": "on", "weight": 10}]))
    )
    assert response.status_code == 400
    assert "rollout" in response.content.decode() and "add up to 100" in response.content.decode()
    assert not Flag.objects.exists()


def test_flag_create_page__no_reason__400(as_admin):
    response = as_admin.post("/flags/new/", form_data(reason=""))
    assert response.status_code == 400
    assert not Flag.objects.exists()


def test_flag_create__manager_posts__403_and_nothing_created(as_manager):
    assert as_manager.get("/flags/new/").status_code == 403
    assert as_manager.post("/flags/new/", form_data()).status_code == 403
    assert not Flag.objects.exists()


def switch_off(client, reason, **headers):
    return client.post(
        "/flags/mini-model-for-ci/toggle/", {"enabled": "false", "reason": reason}, **headers
    )


def test_flag_toggle__manager_posts__403_and_flag_unchanged(as_manager):
    make_flag()
    response = switch_off(as_manager, "try")
    assert response.status_code == 403
    assert Flag.objects.get().enabled is True


def test_flag_toggle__admin_with_reason__switched_and_audited(as_admin):
    make_flag()
    response = switch_off(as_admin, "mini model degraded")
    assert response.status_code == 302
    assert Flag.objects.get().enabled is False
    assert AuditEvent.objects.get(action="flag.toggled").reason == "mini model degraded"


def test_flag_toggle__admin_without_reason__refused(as_admin):
    make_flag()
    switch_off(as_admin, "")
    assert Flag.objects.get().enabled is True
    assert not AuditEvent.objects.filter(action="flag.toggled").exists()


def test_flag_edit__admin_adds_schedule__saved_with_before_and_after(as_admin):
    make_flag()
    schedule = {
        "timezone": "Europe/Paris",
        "windows": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}],
    }
    data = form_data(
        key="ignored", schedule=json.dumps(schedule), rollout="", reason="peak hours only"
    )
    response = as_admin.post("/flags/mini-model-for-ci/", data)
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert flag.key == "mini-model-for-ci"
    assert flag.schedule["timezone"] == "Europe/Paris"
    event = AuditEvent.objects.get(action="flag.updated")
    assert (
        event.before["schedule"] is None
        and event.after["schedule"]["windows"][0]["start"] == "09:00"
    )


def test_flag_edit__manager_posts__403(as_manager):
    make_flag()
    response = as_manager.post("/flags/mini-model-for-ci/", form_data(reason="sneaky"))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="flag.updated").exists()


def test_flag_detail__manager__sees_definition_and_history_but_no_form(as_manager):
    make_flag(reason="first pilot")
    html = as_manager.get("/flags/mini-model-for-ci/").content.decode()
    assert "first pilot" in html
    assert 'id="flag-edit"' not in html


def test_flag_detail__unknown_key__404(as_admin):
    assert as_admin.get("/flags/nope/").status_code == 404


def test_flag_list__expired_flag__shown_as_stale(as_manager):
    from datetime import timedelta

    from django.utils import timezone

    make_flag(expires_at=timezone.now() - timedelta(days=1))
    assert "badge stale" in as_manager.get("/flags/").content.decode()


def test_flag_list__query_count__pinned(as_manager, django_assert_max_num_queries):
    for n in range(5):
        make_flag(key=f"flag-{n}")
    # session + user + groups (role check), the flags in one query, the flags
    # version row, and one rebuild of the snapshot after the changes above.
    with django_assert_max_num_queries(6):
        assert as_manager.get("/flags/").status_code == 200


def test_flag_toggle__page_script_asks_json__answered_without_redirect(as_admin):
    make_flag()
    response = switch_off(as_admin, "heavy traffic", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "key": "mini-model-for-ci",
        "enabled": False,
        "message": "Flag mini-model-for-ci is now off.",
    }


def test_flag_toggle__page_script_without_reason__400_naming_the_reason(as_admin):
    make_flag()
    response = switch_off(as_admin, "", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]
    assert Flag.objects.get().enabled is True


def test_flag_list__scheduled_flag_outside_its_window__says_so(as_manager):
    import time_machine

    make_flag(
        schedule={
            "timezone": "Europe/Paris",
            "windows": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}],
        }
    )
    with time_machine.travel("2026-01-17 10:00:00+00:00"):  # a Saturday
        assert "outside window now" in as_manager.get("/flags/").content.decode()
    with time_machine.travel("2026-01-14 10:00:00+00:00"):  # Wednesday 11:00 in Paris
        assert "in window now" in as_manager.get("/flags/").content.decode()


def test_flag_page__manager__reads_the_definition_in_words_not_json(client, manager_user):
    from tests.flags.factories import make_flag

    make_flag(
        key="pilot",
        rules=[
            {
                "name": "payments",
                "conditions": [{"attribute": "team", "operator": "in", "value": ["payments"]}],
                "split": [{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}],
            }
        ],
        schedule={
            "timezone": "Europe/Paris",
            "windows": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}],
        },
    )
    client.force_login(manager_user)

    text = client.get("/flags/pilot/").content.decode()

    assert "team is one of payments" in text
    assert "on to 10 %, off to 90 % of targeting keys" in text
    assert "Mon, Tue, Wed, Thu, Fri 09:00-18:00 (Europe/Paris)" in text
    assert "{&#x27;key&#x27;" not in text and "<textarea" not in text
