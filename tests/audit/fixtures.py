"""Signed-in page clients, shared by the audit and flags page tests."""

from __future__ import annotations

import pytest


def login(client, user):
    # Log in the user as stored: UserFactory sets the password after its save, so
    # the in-memory object's session hash would not match the stored row.
    user.refresh_from_db()
    client.force_login(user)
    return client


@pytest.fixture
def as_admin(client, admin_user):
    return login(client, admin_user)


@pytest.fixture
def as_manager(client, manager_user):
    return login(client, manager_user)
