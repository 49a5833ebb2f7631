"""Pages carry a Content-Security-Policy that allows scripts from the app
only: an injected inline script would not run. (The browser tests load every
page under it and fail on any console error, a CSP violation included.)"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/spend/", "/flags/", "/policies/", "/login/"])
def test_pages__content_security_policy__scripts_from_the_app_only(client, admin_user, path):
    client.force_login(admin_user)

    policy = client.get(path)["Content-Security-Policy"]

    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "default-src" in directives
