import pytest


@pytest.fixture
def manager_client(api_client, manager_user):
    """An APIClient signed in as a manager.

    The user is re-read first: UserFactory sets the password after saving, so
    the in-memory hash differs from the stored one and the session would not
    survive the next request.
    """
    manager_user.refresh_from_db()
    api_client.force_login(manager_user)
    return api_client
