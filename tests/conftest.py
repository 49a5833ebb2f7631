"""Project-wide fixtures.

The suite runs eagerly (tasks execute in-process) even when CELERY_BROKER_URL
points at a real broker; tests marked `live` start a real worker instead.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from governance.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_celery(request):
    if request.node.get_closest_marker("live"):
        yield
        return
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def issue_key(db):
    """issue_key(scopes=("ingest",), team=None) -> (raw_key, ApiKey)."""
    from governance.accounts.services import api_key_issue
    from tests.accounts.factories import ClientFactory

    def _issue(scopes=("ingest", "policy:read"), client=None, team=None, **kwargs):
        if client is None:
            client = ClientFactory(team=team) if team is not None else ClientFactory()
        issued = api_key_issue(client=client, scopes=scopes, **kwargs)
        return issued.raw_key, issued.api_key

    return _issue


@pytest.fixture
def key_client(api_client, issue_key):
    """An APIClient authenticated with a fresh key holding both scopes."""
    raw, key = issue_key()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    api_client.api_key = key
    return api_client


@pytest.fixture
def admin_user(db):
    from tests.accounts.factories import UserFactory

    return UserFactory(role="admin", username="alice-admin")


@pytest.fixture
def manager_user(db):
    from tests.accounts.factories import UserFactory

    return UserFactory(role="manager", username="mark-manager")


@pytest.fixture
def chromium(monkeypatch, transactional_db):
    """A headless Chromium for browser tests, with the data-migration rows
    (role groups, shipped catalog) restored after transactional flushes."""
    from tests.browser import chromium_browser, restore_migrated_rows

    restore_migrated_rows()
    with chromium_browser(monkeypatch) as browser:
        yield browser
