"""Signed-in page clients for the abuse tests."""

from tests.audit.fixtures import as_admin, as_manager  # noqa: F401  # re-exported fixtures
