"""Signed-in page clients, shared by the audit and flags page tests."""

from __future__ import annotations

import pytest


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def as_admin(client, admin_user):
    return login(client, admin_user)


@pytest.fixture
def as_manager(client, manager_user):
    return login(client, manager_user)
