"""The pages as a manager or admin meets them: who may open them, what they
show, that their numbers equal the API's and the CSV's, and what they cost."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from tests.accounts.factories import UserFactory
from tests.dashboard.conftest import login

pytestmark = pytest.mark.django_db

PAGES = ("overview", "spend", "quality", "budgets", "savings")
URLS = {
    "overview": "/",
    "spend": "/spend/",
    "quality": "/quality/",
    "budgets": "/burn-down/",
    "savings": "/savings/",
}


def _metrics(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="([^"]+)" data-value="([^"]*)"', html))


def _table_cells(html: str, table: str) -> list[dict[str, str]]:
    body = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    trs = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], flags=re.S)
    return [dict(re.findall(r'data-col="([^"]+)" data-value="([^"]*)"', tr)) for tr in trs]


def test_pages__anonymous__sent_to_login(client):
    for url in URLS.values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_pages__signed_in_without_a_role__forbidden(client):
    login(client, UserFactory(username="nobody"))

    for url in [*URLS.values(), "/api/v1/dashboard/spend", "/exports/"]:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("page", PAGES)
def test_page__manager__opens_with_charts_and_csv_links(client, org, manager_user, page):
    login(client, manager_user)

    response = client.get(URLS[page])

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="plot" role="img" aria-label=' in html
    assert "/static/vendor/plotly.min.js" in html
    # every script and stylesheet comes from the app itself
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "export=" in html


@pytest.mark.parametrize("page", PAGES)
def test_page__numbers__equal_the_api_for_the_same_filter(client, org, manager_user, page):
    login(client, manager_user)
    query = "?range=7d&team=payments"

    html = client.get(URLS[page] + query).content.decode()
    api = client.get(f"/api/v1/dashboard/{page}{query}").json()

    assert _metrics(html) == {k: "" if v is None else str(v) for k, v in api["metrics"].items()}
    for table, rows in api["tables"].items():
        if rows:
            expected = [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
            assert _table_cells(html, table) == expected, table


@pytest.mark.parametrize("page", PAGES)
def test_page__every_table__exports_as_csv_with_the_api_numbers(client, org, manager_user, page):
    login(client, manager_user)
    api = client.get(f"/api/v1/dashboard/{page}").json()

    for table, rows in api["tables"].items():
        response = client.get(f"{URLS[page]}?export={table}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        lines = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(lines) == len(rows) + 1
        assert [line for line in lines[1:]] == [
            ["" if v is None else str(v) for v in row.values()] for row in rows
        ]


def test_overview__spend_today_and_month__from_todays_and_this_months_calls(
    client, org, manager_user
):
    login(client, manager_user)

    metrics = client.get("/api/v1/dashboard/overview").json()["metrics"]

    assert Decimal(metrics["spend_today"]) == Decimal("0.084")
    assert metrics["calls"] == 32
    assert Decimal(metrics["mini_share_pct"]) == Decimal("34.4")  # 11 of 32 calls
    assert metrics["fallback_calls"] == 1


def test_overview__each_number__links_to_the_page_that_explains_it(client, org, manager_user):
    login(client, manager_user)

    html = client.get("/").content.decode()

    links = re.findall(r'<a class="metric card" href="([^"]+)" data-metric="([^"]+)"', html)
    assert {key for _, key in links} >= {
        "spend_today",
        "spend_month",
        "calls",
        "cost_per_call",
        "mini_share_pct",
    }
    assert all(
        href.startswith(("/spend/?", "/savings/?", "/quality/?", "/burn-down/?", "/policies/"))
        for href, _ in links
    )


def test_filters__in_the_url__narrow_the_page_and_stay_in_export_links(client, org, manager_user):
    login(client, manager_user)

    html = client.get("/spend/?range=7d&team=search&environment=ide").content.decode()

    assert _metrics(html)["calls"] == "8"  # 7 days of refactor calls + the unpriced one today
    assert "team=search" in html and "environment=ide" in html
    assert re.search(
        r'href="\?[^"]*team=search[^"]*export=top_clients"', html.replace("&amp;", "&")
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-13-01&end=2026-11-01", "start"),
        ("start=2026-11-10&end=2026-11-01", "end"),
        ("start=2026-11-10", "end"),
        ("range=forever", "range"),
        ("start=2020-01-01&end=2026-01-01", "start"),
        ("stack_by=colour", "stack_by"),
        ("model=" + "x" * 200, "model"),
    ],
)
def test_filters__bad_value__400_naming_the_parameter(client, manager_user, query, field):
    login(client, manager_user)

    page = client.get(f"/spend/?{query}")
    api = client.get(f"/api/v1/dashboard/spend?{query}")

    assert page.status_code == 400
    assert f"Bad filter: {field}:" in page.content.decode()
    assert api.status_code == 400
    assert field in api.json()


def test_export__unknown_table__400_listing_the_tables(client, manager_user):
    login(client, manager_user)

    response = client.get("/spend/?export=secrets")

    assert response.status_code == 400
    assert "top_clients" in response.content.decode()


def test_savings__manager__sees_no_button_that_changes_anything(client, org, manager_user):
    login(client, manager_user)

    html = client.get("/savings/").content.decode()

    assert "Draft a policy change" not in html
    assert "Draft this change" not in html
    assert "/policies/" not in html.split("<main>", 1)[1]
    assert 'method="post"' not in html.split("<main>", 1)[1]


def test_savings__admin__each_task_type_row_links_to_its_drafted_change(client, org, admin_user):
    login(client, admin_user)

    html = client.get("/savings/").content.decode()
    export = client.get("/savings/?export=moves")
    csv = (
        b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    )

    assert "Draft a policy change" in html
    moves = html.split('data-table="moves"', 1)[1].split("</table>", 1)[0]
    assert moves.count("Draft this change") == moves.count("<tr>") - 1  # every row but the head
    assert (
        'href="/policies/?move_to_mini=refactor&amp;mini=gpt-5-codex-mini&amp;full=gpt-5-codex"'
        in moves
    )
    assert export.status_code == 200 and "Task type" in csv.splitlines()[0]
    assert "refactor" in csv and "move_to_mini" not in csv and "Draft" not in csv


def test_api__key_of_a_routing_client__cannot_read_the_dashboard(api_client, key_client):
    assert key_client.get("/api/v1/dashboard/spend").status_code in (401, 403)


def test_api__unknown_page__404(client, manager_user):
    login(client, manager_user)

    assert client.get("/api/v1/dashboard/secrets").status_code == 404


def test_plotly_js__served_by_the_app_itself(client):
    response = client.get("/static/vendor/plotly.min.js")

    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert b"plotly" in body[:2000].lower()


# Query counts, pinned. Every page pays 3 for the signed-in user (session,
# user, role groups) and 3 for the filter bar (teams, catalogued models, task
# types in range); the rest is the page's own selectors, each one aggregate
# query over the daily roll-ups.
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # spend summaries (today, month, same days last month, range: one query),
        # models (roll-ups + catalog tiers), trend by day; quality: the
        # quality roll-up, open alerts.
        # budgets: the budgets and their spend; model health.
        ("/", 3 + 3 + 4 + 2 + 2 + 1),
        # trend, summary, cost histogram, top clients, top repos, fallbacks
        # per day, models (roll-ups + catalog tiers); escalated test runs
        # (the quality roll-up).
        ("/spend/", 3 + 3 + 8 + 1),
        # catalog models, price book freshness (catalog version), roll-up
        # tokens; the mini vs full comparison: quality roll-up, catalog; the
        # advisor's plan: tolerance, catalog, call roll-up, quality roll-up,
        # the days whose job steps are counted, the runs of the others.
        ("/savings/", 3 + 3 + 3 + 2 + 6),
        # pass rates per day and per model (the quality roll-up each), the
        # comparison (quality roll-up, catalog), open alerts.
        ("/quality/", 3 + 3 + 5),
        # the same selectors without the filter bar
        ("/api/v1/dashboard/overview", 3 + 4 + 2 + 2 + 1),
        ("/api/v1/dashboard/spend", 3 + 8 + 1),
        ("/api/v1/dashboard/savings", 3 + 3 + 2 + 6),
        ("/api/v1/dashboard/quality", 3 + 5),
        # the budgets and their spend (2), one burn-down per budget (2 here).
        ("/burn-down/", 3 + 3 + 2 + 2),
        ("/api/v1/dashboard/budgets", 3 + 2 + 2),
        # the 20 latest exports with their requester (one join).
        ("/exports/", 3 + 3 + 1),
    ],
)
def test_page__query_count__pinned(
    client, org, manager_user, django_assert_num_queries, url, queries
):
    login(client, manager_user)
    client.get(url)  # builds the per-process price book once (two queries)

    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_page__fresh_install_without_calls__says_so_instead_of_failing(client, manager_user, page):
    login(client, manager_user)

    response = client.get(URLS[page])

    assert response.status_code == 200
    assert "No data in this range." in response.content.decode()
