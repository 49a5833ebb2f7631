"""The Savings page leads with the recommended plan; its CSV and the API say
the same; "Draft this plan" opens the policy editor with the plan as rules."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from governance.advisor.models import AdoptedPlan
from governance.audit.models import AuditEvent
from governance.policies.services import policy_check
from tests.advisor.conftest import FULL, MINI

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(traffic):
    for model in (FULL, MINI):
        traffic("docs", model, runs=30, pass_rate=0.95)
    traffic("refactor", FULL, runs=30, pass_rate=0.95)
    traffic("refactor", MINI, runs=30, pass_rate=0.85)


def plan_cells(html: str) -> dict[str, dict[str, str]]:
    body = html.split('data-table="plan"', 1)[1].split("</table>", 1)[0]
    trs = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], flags=re.S)
    rows = [dict(re.findall(r'data-col="([^"]+)" data-value="([^"]*)"', tr)) for tr in trs]
    return {r["task_type"]: r for r in rows}


def test_savings_page__plan_first__same_numbers_as_the_api_and_the_csv(month, client, manager_user):
    client.force_login(manager_user)

    html = client.get("/savings/").content.decode()
    api = client.get("/api/v1/recommendations").json()
    export = client.get("/savings/?export=plan")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))

    # The plan is the first table and its total the first number on the page.
    assert html.index('data-table="plan"') < html.index('data-table="moves"')
    assert html.index('data-metric="plan_saving"') < html.index('data-metric="saved"')
    cells = plan_cells(html)
    for row in api["plan"]:
        assert cells[row["task_type"]]["option_label"] == row["option_label"]
        assert cells[row["task_type"]]["monthly_saving_usd"] == row["monthly_saving_usd"]
        assert cells[row["task_type"]]["pass_change_pp"] == row["pass_change_pp"]
    by_task = {r["Task type"]: r for r in rows}
    for row in api["plan"]:
        assert by_task[row["task_type"]]["Monthly saving (USD)"] == row["monthly_saving_usd"]
        assert by_task[row["task_type"]]["95 % low (pp)"] == row["pass_change_low_pp"]
    assert f'data-value="{api["monthly_saving_usd"]}"' in html


def test_savings_page__manager__no_draft_button(month, client, manager_user):
    client.force_login(manager_user)
    assert "Draft this plan" not in client.get("/savings/").content.decode()


def test_draft_this_plan__opens_the_editor_with_plan_rules_before_the_catch_all(
    month, client, admin_user
):
    client.force_login(admin_user)
    html = client.get("/savings/").content.decode()
    assert "Draft this plan" in html

    response = client.post("/advisor/draft/", {"tolerance_pp": "1.00", "days": "30"}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    plan = AdoptedPlan.objects.get()
    document = json.loads(response.context["document_text"])
    assert policy_check(document=document) == []  # publishable as drafted
    names = [r["name"] for r in document["rules"]]
    drafted = [r for r in document["rules"] if r["name"].startswith(plan.plan_marker)]
    assert [r["when"][0]["value"] for r in drafted] == ["docs"]
    assert drafted[0]["then"]["model"] == MINI
    assert all(r.get("when") for r in document["rules"][: names.index(drafted[-1]["name"])])
    assert f"Advisor plan {plan.pk}" in page
    assert AuditEvent.objects.filter(action="advisor.plan.drafted").exists()


def test_draft_this_plan__manager__refused(month, client, manager_user):
    client.force_login(manager_user)
    assert client.post("/advisor/draft/", {}).status_code == 403


def test_draft_this_plan__bad_tolerance__400_names_it(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/advisor/draft/", {"tolerance_pp": "lots"})
    assert response.status_code == 400
    assert "tolerance_pp" in response.content.decode()
