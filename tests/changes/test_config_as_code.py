"""Configuration as code against a running Governor, through the `governor`
command as CI runs it: export, edit, diff in words, apply, re-apply (nothing
changes, nothing recorded), a stale version and an invalid document refused
with nothing applied. Then four-eyes: an applied document waits for approval."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from governance.accounts.models import Team
from governance.advisor.selectors import tolerance_pp
from governance.advisor.services import tolerance_set
from governance.audit.models import AuditEvent
from governance.budgets.models import Budget
from governance.changes.models import ChangeRequest
from governance.changes.services import four_eyes_set
from governance.client import cli
from governance.client.config import document_text
from governance.client.http import Transport
from governance.flags.models import Flag
from governance.policies.models import PolicyVersion
from governance.policies.services import policy_default_publish
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.budgets.helpers import make_budget
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db(transaction=True)


def governor(argv, env):
    """Run the CLI as CI would (no backoff waits), capturing what it prints."""
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(argv)

    def transport(**kwargs):
        return Transport(**kwargs, max_attempts=1)

    code = args.func(args, environ=env, transport_factory=transport, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def running(live_server, issue_key, catalog, admin_user):
    """A Governor with the default policy, a scheduled flag and a team budget,
    and the environment of a CI job holding an admin key."""
    policy_default_publish()
    make_flag(
        key="peak-hours",
        schedule={"timezone": "UTC", "windows": [{"start": "09:00", "end": "18:00"}]},
    )
    payments = TeamFactory(slug="payments")
    make_budget(team=payments, name="Monthly", limit="1000")
    raw, _ = issue_key(scopes=("admin",), client=ClientFactory(team=payments, name="ci"))
    return {"GOVERNOR_URL": live_server.url, "GOVERNOR_API_KEY": raw}


def _edited(document: dict) -> dict:
    edited = json.loads(json.dumps(document))
    edited["flags"]["peak-hours"]["schedule"]["windows"][0]["start"] = "08:00"
    edited["budgets"]["payments/Monthly"]["limit"] = "1200"
    rule = next(r for r in edited["policy"]["rules"] if r["name"] == "high-risk-on-full")
    rule["then"]["fallbacks"] = []
    return edited


def test_config_cycle__export_edit_diff_apply_reapply(running, tmp_path):
    path = tmp_path / "governor.json"

    # Export: sorted, stable JSON
    code, text, _ = governor(["config", "export"], running)
    again = governor(["config", "export"], running)[1]
    assert code == 0 and text == again == document_text(json.loads(text))
    document = json.loads(text)
    assert document["budgets"]["payments/Monthly"]["limit"] == "1000"

    # Edit and diff: in words, nothing applied yet
    path.write_text(document_text(_edited(document)))
    code, diff, _ = governor(["config", "diff", str(path)], running)
    assert code == 0
    lines = diff.splitlines()
    assert "budget payments/Monthly: limit 1000 → 1200" in lines
    assert (
        "flag peak-hours: schedule every day 09:00-18:00 (UTC) → every day 08:00-18:00 (UTC)"
        in lines
    )
    assert any(line.startswith("rule 6 high-risk-on-full: model gpt-5-codex") for line in lines)
    assert Budget.objects.get().limit == Decimal("1000")

    # Apply: every change lands, audited with the key as actor
    code, applied, err = governor(["config", "apply", str(path), "--reason", "pilot"], running)
    assert (code, err) == (0, "")
    assert Budget.objects.get().limit == Decimal("1200")
    assert Flag.objects.get(key="peak-hours").schedule["windows"][0]["start"] == "08:00"
    assert PolicyVersion.objects.count() == 2
    assert AuditEvent.objects.filter(
        action="flag.updated", actor_label__startswith="client:payments/ci key"
    ).exists()

    # Apply again: nothing changes and nothing is recorded
    events = AuditEvent.objects.count()
    code, second, _ = governor(["config", "apply", str(path), "--reason", "pilot"], running)
    assert code == 0 and "no changes" in second
    assert AuditEvent.objects.count() == events
    assert PolicyVersion.objects.count() == 2
    assert governor(["config", "diff", str(path), "--exit-code"], running)[0] == 0


def test_config_apply__invalid_document__names_the_field_and_applies_nothing(running, tmp_path):
    document = json.loads(governor(["config", "export"], running)[1])
    edited = _edited(document)
    edited["budgets"]["payments/Monthly"]["reserve_pct"] = "200"
    path = tmp_path / "governor.json"
    path.write_text(document_text(edited))
    events = AuditEvent.objects.count()

    code, _, err = governor(["config", "apply", str(path), "--reason", "typo"], running)

    assert code == 1
    assert "budgets.payments/Monthly.reserve_pct" in err
    assert Flag.objects.get(key="peak-hours").schedule["windows"][0]["start"] == "09:00"
    assert PolicyVersion.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_config_apply__stale_version__refused_with_412_and_nothing_applied(running, tmp_path):
    code, _, _ = governor(["config", "export", "-o", str(tmp_path / "governor.json")], running)
    seen = (
        Transport(running["GOVERNOR_URL"], running["GOVERNOR_API_KEY"])
        .request("GET", "/api/v1/admin/config")
        .headers["etag"]
    )
    make_flag(key="added-meanwhile")
    path = tmp_path / "edited.json"
    path.write_text(document_text(_edited(json.loads((tmp_path / "governor.json").read_text()))))

    code, _, err = governor(
        ["config", "apply", str(path), "--reason", "late", "--if-match", seen], running
    )

    assert code == 1 and "Someone changed this" in err
    assert Budget.objects.get().limit == Decimal("1000")


def test_config_apply__four_eyes_on__waits_for_another_admin(running, tmp_path, admin_user):
    four_eyes_set(on=True, actor=admin_user, reason="payments moves real money")
    document = json.loads(governor(["config", "export"], running)[1])
    path = tmp_path / "governor.json"
    path.write_text(document_text(_edited(document)))

    code, out, _ = governor(["config", "apply", str(path), "--reason", "pilot"], running)

    assert code == 0 and "waits for another admin's approval" in out
    assert "  budget payments/Monthly: limit 1000 → 1200" in out.splitlines()
    assert ChangeRequest.objects.get().kind == "config.apply"
    assert Budget.objects.get().limit == Decimal("1000")


def test_config_tolerances__export_diff_apply_reapply__through_the_advisor(
    running, tmp_path, admin_user
):
    search = TeamFactory(slug="search")
    tolerance_set(team=search, tolerance_pp=Decimal("2"), actor=admin_user, reason="setup")
    path = tmp_path / "governor.json"

    # Export: the organisation's tolerance (1.0 unless set) and each override, sorted
    document = json.loads(governor(["config", "export"], running)[1])
    assert list(document["tolerances"].items()) == [("organisation", "1.0"), ("search", "2.0")]

    # Edit: payments gets its own, search follows the organisation again
    document["tolerances"] |= {"payments": "0.5", "search": None}
    document["budgets"]["payments/Monthly"]["limit"] = "1200"
    path.write_text(document_text(document))
    code, diff, _ = governor(["config", "diff", str(path)], running)
    assert code == 0
    assert diff.splitlines()[-3:] == [
        "budget payments/Monthly: limit 1000 → 1200",
        "tolerance payments: 1.0 pp → 0.5 pp",
        "tolerance search: 2.0 pp → removed (the organisation's 1.0 pp applies)",
    ]

    # Apply: together with the budget, audited with the key as actor
    code, _, err = governor(["config", "apply", str(path), "--reason", "quality board"], running)
    assert (code, err) == (0, "")
    payments = Team.objects.get(slug="payments")
    assert tolerance_pp(team_id=payments.pk) == Decimal("0.50")
    assert tolerance_pp(team_id=search.pk) == Decimal("1.00")
    assert Budget.objects.get().limit == Decimal("1200")
    assert AuditEvent.objects.filter(
        action="advisor.tolerance.removed", actor_label__startswith="client:payments/ci key"
    ).exists()

    # Apply again: nothing changes, nothing recorded; the export says what was applied
    events = AuditEvent.objects.count()
    code, second, _ = governor(["config", "apply", str(path), "--reason", "again"], running)
    assert code == 0 and "no changes" in second
    assert AuditEvent.objects.count() == events
    exported = json.loads(governor(["config", "export"], running)[1])["tolerances"]
    assert exported == {"organisation": "1.0", "payments": "0.5"}


@pytest.mark.parametrize(
    "tolerances, field",
    [
        ({"payments": "80"}, "tolerances.payments"),
        ({"payments": "-1"}, "tolerances.payments"),
        ({"organisation": "lots"}, "tolerances.organisation"),
        ({"organisation": None}, "tolerances.organisation"),
        ({"nobody": "1"}, "tolerances.nobody"),
    ],
)
def test_config_apply__bad_tolerance__names_the_field_and_applies_nothing(
    running, tmp_path, tolerances, field
):
    document = json.loads(governor(["config", "export"], running)[1])
    document["budgets"]["payments/Monthly"]["limit"] = "1200"
    document["tolerances"] |= tolerances
    path = tmp_path / "governor.json"
    path.write_text(document_text(document))
    events = AuditEvent.objects.count()

    code, _, err = governor(["config", "apply", str(path), "--reason", "typo"], running)

    assert code == 1 and field in err
    assert Budget.objects.get().limit == Decimal("1000")
    assert AuditEvent.objects.count() == events


def test_config_apply__tolerance_under_four_eyes__waits_then_applies_on_approval(
    running, tmp_path, admin_user, second_admin
):
    four_eyes_set(on=True, actor=admin_user, reason="quality moves too")
    document = json.loads(governor(["config", "export"], running)[1])
    document["tolerances"]["organisation"] = "1.5"
    path = tmp_path / "governor.json"
    path.write_text(document_text(document))

    code, out, _ = governor(["config", "apply", str(path), "--reason", "Q4"], running)
    waiting = tolerance_pp(team_id=None)
    change = ChangeRequest.objects.get()
    approved = second_admin.post(
        f"/api/v1/admin/changes/{change.pk}/approve", {"reason": "ok"}, format="json"
    )

    assert code == 0 and "  tolerance organisation: 1.0 pp → 1.5 pp" in out.splitlines()
    assert waiting == Decimal("1.00")
    assert approved.status_code == 200
    assert tolerance_pp(team_id=None) == Decimal("1.50")
