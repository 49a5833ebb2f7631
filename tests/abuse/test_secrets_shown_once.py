"""A new API key is shown on the response that issues it and nowhere else:
never in a cookie, never in the session (Django messages keep both)."""

from __future__ import annotations

import pytest

from governance.accounts.models import ApiKey, Scope
from tests.accounts.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_admin_issues_api_key__key_in_that_page_only__not_in_cookie_or_session(
    client, admin_user, api_client
):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    routing = ClientFactory()

    response = client.post(
        "/admin/accounts/apikey/add/",
        {"client": routing.pk, "name": "ci", "scopes": [Scope.INGEST]},
    )

    assert response.status_code == 200
    key = ApiKey.objects.get(client=routing)
    raw = response.content.decode().split('<code id="issued-key">')[1].split("</code>")[0]
    assert raw.startswith(f"gov_{key.prefix}_")
    assert "no-store" in response["Cache-Control"]
    assert all(raw not in morsel.value for morsel in response.cookies.values())
    assert raw not in str(dict(client.session.items()))
    assert raw not in client.get("/admin/accounts/apikey/").content.decode()
    # The key shown is the one stored (by its hash): it authenticates.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api_client.post("/api/v1/calls", {"calls": []}, format="json").status_code == 400
