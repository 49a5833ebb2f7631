"""Page-client fixtures shared by the audit and flags page tests."""

from tests.audit.fixtures import as_admin, as_manager  # noqa: F401  # re-exported fixtures
