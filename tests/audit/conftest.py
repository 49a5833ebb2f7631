"""Page-client fixtures shared by the audit and flags page tests."""

import pytest

from governance.core.egress import networks_parse
from tests.audit.fixtures import as_admin, as_manager  # noqa: F401  # re-exported fixtures


@pytest.fixture(autouse=True)
def _loopback_receivers_allowed(settings):
    # These tests' receivers listen on loopback, which webhooks refuse unless an
    # operator allows it (tests/abuse/test_webhook_egress.py covers the refusal).
    settings.GOVERNOR_WEBHOOK_ALLOWED_NETWORKS = networks_parse(["127.0.0.0/8"])
