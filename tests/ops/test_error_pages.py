"""Error pages speak to their reader: in the site's layout with a way back,
saying what happened; API paths answer JSON instead."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from governance.ops.requestid import reset_request_id, set_request_id
from governance.ops.views import permission_denied, server_error

pytestmark = pytest.mark.django_db


def site_error_page(client, user, path: str, status: int) -> str:
    """What `user` reads at `path`: a `status` page in the site's layout, with a way back."""
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == status
    text = response.content.decode()
    assert 'class="topbar"' in text
    assert '<a href="/">Back to the overview</a>' in text
    return text


def test_404__missing_page__site_layout_the_path_and_a_way_back(client, manager_user):
    text = site_error_page(client, manager_user, "/no-such-page/", 404)

    assert "governor.css" in text
    assert "/no-such-page/" in text


def test_404__missing_flag__says_which(client, manager_user):
    client.force_login(manager_user)

    response = client.get("/flags/no-such-flag/")

    assert response.status_code == 404
    assert "No flag &#x27;no-such-flag&#x27;" in response.content.decode()


def test_403__manager_opens_an_admin_page__layout_reason_and_a_way_back(client, manager_user):
    text = site_error_page(client, manager_user, "/budgets/new", 403)

    assert 'id="error-403"' in text
    assert "Only Governor admins may open this page." in text


def test_403__under_the_api__json_not_a_page():
    request = RequestFactory().get("/api/v1/anything")

    response = permission_denied(request, PermissionError("Nope."))

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


REQUEST_ID = "req-0123456789"


def server_error_in_request(request):
    """The 500 answer to `request`, made while it runs as request REQUEST_ID."""
    token = set_request_id(REQUEST_ID)
    try:
        return server_error(request)
    finally:
        reset_request_id(token)


def test_500__page__layout_with_the_request_id_to_quote():
    response = server_error_in_request(RequestFactory().get("/spend/"))

    assert response.status_code == 500
    text = response.content.decode()
    assert 'class="topbar"' in text and "req-0123456789" in text
    assert '<a href="/">Back to the overview</a>' in text


def test_500__under_the_api__json_with_the_request_id():
    response = server_error_in_request(RequestFactory().post("/api/v1/calls"))

    assert response.status_code == 500
    assert json.loads(response.content) == {
        "detail": "Server error; it has been logged.",
        "request_id": "req-0123456789",
    }


def test_favicon__asked_for_by_a_browser__sent_to_the_apps_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("governor/favicon.svg")


def test_navigation__manager__every_reader_page_and_the_api_but_no_django_admin(
    client, manager_user
):
    client.force_login(manager_user)

    nav = client.get("/flags/").content.decode().split('<nav aria-label="Main">')[1]
    nav = nav.split("</nav>")[0]

    for label in ("Overview", "Spend", "Policy", "Flags", "Audit log", "API"):
        assert f">{label}</a>" in nav
    assert "Django admin" not in nav


def test_navigation__signed_in_without_a_role__only_the_api_reference(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(username="no-role"))

    response = client.get("/api/docs/")

    nav = response.content.decode().split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert ">API</a>" in nav
    assert ">Overview</a>" not in nav and ">Policy</a>" not in nav


def test_403_csrf__expired_form__site_layout_says_nothing_changed(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post("/flags/new/", {"key": "x"})

    assert response.status_code == 403
    text = response.content.decode()
    assert 'id="error-403-csrf"' in text and 'class="topbar"' in text
    assert "Nothing was changed" in text


def test_405__address_a_form_posts_to__page_with_a_way_back(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/audit/webhooks/1/active/")

    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    text = response.content.decode()
    assert 'class="topbar"' in text and 'id="error-405"' in text
    assert "/audit/webhooks/1/active/" in text
    assert '<a href="/">Back to the overview</a>' in text
