"""Who may do what, decided once: API-key scopes for clients, roles for people."""

from __future__ import annotations

from django.contrib.auth.mixins import UserPassesTestMixin
from django.http import HttpRequest
from rest_framework.permissions import SAFE_METHODS, BasePermission

from governance.accounts import roles
from governance.accounts.models import ApiKey, Scope


def key_has_scope(key: object, scope: str) -> bool:
    return isinstance(key, ApiKey) and scope in key.scopes


class _ScopePermission(BasePermission):
    scope: str = ""
    message = "This API key lacks the required scope."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            self.message = f"This API key lacks the '{self.scope}' scope."
            return key_has_scope(request.auth, self.scope)
        return False


class HasIngestScope(_ScopePermission):
    scope = Scope.INGEST.value


class HasPolicyReadScope(_ScopePermission):
    scope = Scope.POLICY_READ.value


class IsAdminOrAdminKey(BasePermission):
    """The admin API: a key with the `admin` scope, or a signed-in admin."""

    message = "Use an API key with the 'admin' scope, or sign in as a Governor admin."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            return key_has_scope(request.auth, Scope.ADMIN.value)
        return roles.is_admin(request.user)


class IsReader(BasePermission):
    """A signed-in manager or admin (session auth)."""

    message = "Only Governor managers and admins may read this."

    def has_permission(self, request, view) -> bool:
        return roles.is_reader(request.user)


class IsReaderOrApiKey(BasePermission):
    """A signed-in manager or admin, or any valid API key. What a key then
    reads is its own team's data only: see accounts.selectors.team_scope."""

    message = "Sign in as a Governor manager or admin, or use an API key."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey) or roles.is_reader(request.user)


class IsAdmin(BasePermission):
    """A signed-in admin (session auth): for what only admins may even read."""

    message = "Only Governor admins may read this."

    def has_permission(self, request, view) -> bool:
        return roles.is_admin(request.user)


class IsAdminOrReadOnly(BasePermission):
    """Managers read; only admins change. The server enforces it, not the page."""

    message = "Only Governor admins may change this."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return roles.is_reader(request.user)
        return roles.is_admin(request.user)


class ReaderRequiredMixin(UserPassesTestMixin):
    """For pages: managers and admins may open them."""

    permission_denied_message = "Only Governor managers and admins may open this page."
    request: HttpRequest  # set by the view this is mixed into

    def test_func(self) -> bool:
        return roles.is_reader(self.request.user)


class ReadOrAdminMixin(UserPassesTestMixin):
    """For pages managers read and admins change: managers and admins open
    them, only admins post to them (a manager's post gets 403)."""

    permission_denied_message = "Only Governor admins may change this."
    request: HttpRequest  # set by the view this is mixed into

    def test_func(self) -> bool:
        if self.request.method in SAFE_METHODS:
            return roles.is_reader(self.request.user)
        return roles.is_admin(self.request.user)


class AdminRequiredMixin(UserPassesTestMixin):
    """For pages that change something: admins only (a manager gets 403)."""

    raise_exception = True
    permission_denied_message = "Only Governor admins may open this page."
    request: HttpRequest  # set by the view this is mixed into

    def test_func(self) -> bool:
        return roles.is_admin(self.request.user)
