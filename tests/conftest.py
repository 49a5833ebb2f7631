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
    """A headless Chromium for browser tests."""
    from tests.browser import chromium_browser

    with chromium_browser(monkeypatch) as browser:
        yield browser


def restore_migrated_rows() -> None:
    """Put back the rows data migrations made (role groups, the shipped catalog)."""
    import importlib

    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group

    from governance.accounts import roles

    for name in (roles.ADMIN_GROUP, roles.MANAGER_GROUP):
        Group.objects.get_or_create(name=name)
    catalog = importlib.import_module("governance.catalog.migrations.0002_default_models")
    catalog.create_models(django_apps, None)


@pytest.fixture(autouse=True)
def _data_migration_rows(request):
    """Transactional tests flush every table, data-migration rows included
    (serialized_rollback would restore them but clashes with the content types
    the flush re-creates), and whatever test runs next in that process would
    find no role groups and no catalog. One query tells whether to restore."""
    if request.node.get_closest_marker("live"):
        return  # live tests run their own processes on their own database
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if marker is None and "db" not in names and "transactional_db" not in names:
        return
    if marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    ):
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    from django.contrib.auth.models import Group

    from governance.accounts import roles

    if not Group.objects.filter(name=roles.ADMIN_GROUP).exists():
        restore_migrated_rows()
