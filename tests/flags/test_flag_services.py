from __future__ import annotations

import pytest

from governance.audit.models import AuditEvent
from governance.flags.selectors import flags_snapshot, flags_snapshot_current
from governance.flags.services import FlagError, flag_create, flag_toggle, flag_update
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db


def test_flag_create__valid_spec__stored_and_audited_with_after(admin_user):
    flag = make_flag(actor=admin_user, reason="pilot mini model for CI")
    event = AuditEvent.objects.get(action="flag.created")
    assert (event.actor, event.reason, event.target_id) == (
        admin_user,
        "pilot mini model for CI",
        str(flag.pk),
    )
    assert event.before is None
    assert event.after["variants"] == {"on": True, "off": False}


def test_flag_create__no_reason__refused_naming_reason(admin_user):
    with pytest.raises(FlagError) as caught:
        make_flag(actor=admin_user, reason="  ")
    assert caught.value.field == "reason"


def test_flag_create__duplicate_key__refused_naming_key(admin_user):
    make_flag(actor=admin_user)
    with pytest.raises(FlagError) as caught:
        make_flag(actor=admin_user)
    assert caught.value.field == "key"


def test_flag_create__bad_split__refused_naming_the_field(admin_user):
    with pytest.raises(FlagError) as caught:
        make_flag(actor=admin_user, rollout=[{"variant": "on", "weight": 30}])
    assert caught.value.field == "rollout"


def test_flag_toggle__off__audited_with_before_and_after(admin_user):
    flag = make_flag(actor=admin_user)
    flag_toggle(
        flag=flag, enabled=False, actor=admin_user, reason="incident 42: mini model degraded"
    )
    event = AuditEvent.objects.get(action="flag.toggled")
    assert event.before["enabled"] is True and event.after["enabled"] is False
    assert event.reason == "incident 42: mini model degraded"


def test_flag_update__rules_changed__audited_with_before_and_after(admin_user):
    flag = make_flag(actor=admin_user)
    rules = [
        {"conditions": [{"attribute": "team", "operator": "in", "value": ["ci"]}], "variant": "off"}
    ]
    flag_update(flag=flag, actor=admin_user, reason="exclude CI", rules=rules, owner="platform")
    event = AuditEvent.objects.get(action="flag.updated")
    assert event.before["rules"] == [] and event.after["rules"][0]["variant"] == "off"
    assert event.after["owner"] == "platform"


def test_flag_update__nothing_changes__no_audit_event(admin_user):
    flag = make_flag(actor=admin_user)
    flag_update(flag=flag, actor=admin_user, reason="noop", owner="")
    assert not AuditEvent.objects.filter(action="flag.updated").exists()


def test_snapshot__flag_changed__next_read_sees_the_change(admin_user):
    flag = make_flag(actor=admin_user)
    first = flags_snapshot_current()
    assert flags_snapshot()[0]["enabled"] is True
    flag_toggle(flag=flag, enabled=False, actor=admin_user, reason="off")
    assert flags_snapshot()[0]["enabled"] is False
    assert flags_snapshot_current().version == first.version + 1


def test_snapshot__no_change__served_from_memory_with_one_query(
    admin_user, django_assert_num_queries
):
    make_flag(actor=admin_user)
    flags_snapshot_current()
    # One query: the primary-key read of the flags version row.
    with django_assert_num_queries(1):
        assert [d["key"] for d in flags_snapshot()] == ["mini-model-for-ci"]


def test_flag_create__spec_in_snapshot__round_trips_through_the_engine(admin_user):
    flag_create(
        key="ratio",
        flag_type="number",
        variants={"half": 0.5, "one": 1.0},
        default_variant="one",
        actor=admin_user,
        reason="r",
    )
    spec = flags_snapshot_current().specs["ratio"]
    assert spec.variants["half"] == 0.5


def test_snapshot__changed_by_another_process__seen_on_the_next_read(admin_user):
    from governance.flags.models import Flag, FlagsVersion

    make_flag(actor=admin_user)
    assert flags_snapshot()[0]["enabled"] is True
    # What another web worker's flag_toggle leaves in the database.
    Flag.objects.update(enabled=False)
    FlagsVersion.objects.update(version=99, token=FlagsVersion.new_token())
    assert flags_snapshot()[0]["enabled"] is False
