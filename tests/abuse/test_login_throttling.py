"""Sign-in is throttled: repeated failures lock the account name and the
address out for a while, and the audit log says so."""

from __future__ import annotations

import pytest

from governance.audit.models import AuditEvent
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Twenty sign-ins per test: the production hasher's cost is not the subject.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    user = UserFactory(role="manager", username="alice")
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, username, password, address="203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_login__twenty_failures__locked_out_even_with_the_right_password(client, alice, settings):
    answers = [_sign_in(client, "alice", f"guess-{i}").status_code for i in range(20)]

    after = _sign_in(client, "alice", PASSWORD)

    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] == 429
    assert after.status_code == 429
    assert "Too many failed sign-ins" in after.content.decode()
    assert "_auth_user_id" not in client.session


def test_login__failures_spread_over_addresses__the_account_is_still_locked(client, alice):
    for i in range(20):
        _sign_in(client, "alice", f"guess-{i}", address=f"198.51.100.{i + 1}")

    assert _sign_in(client, "alice", PASSWORD, address="192.0.2.50").status_code == 429


def test_login__one_address_guessing_many_accounts__the_address_is_locked(client, alice):
    for i in range(20):
        _sign_in(client, f"user-{i}", "guess")

    assert _sign_in(client, "alice", PASSWORD).status_code == 429
    assert _sign_in(client, "alice", PASSWORD, address="192.0.2.99").status_code == 302


def test_login__lockout__audited_once_with_the_address(client, alice):
    for i in range(20):
        _sign_in(client, "alice", f"guess-{i}")

    events = AuditEvent.objects.filter(action="login.locked_out", target_id="alice")
    assert events.count() == 1
    assert events.get().after["ip_address"] == "203.0.113.7"


def test_login__a_few_failures_then_success__signed_in(client, alice):
    for i in range(2):
        _sign_in(client, "alice", f"guess-{i}")

    response = _sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session
