"""People's roles. Managers read everything; admins also change flags, budgets,
policies, clients and keys. Roles are Django groups; a superuser is an admin."""

from __future__ import annotations

from typing import Any

ADMIN_GROUP = "Governor admins"
MANAGER_GROUP = "Governor managers"


def _groups(user: Any) -> set[str]:
    groups = getattr(user, "groups", None)
    if groups is None:
        # A routing client's key (an API page drawn for it) is no person: no role.
        return set()
    cached = getattr(user, "_governor_groups", None)
    if cached is None:
        cached = set(groups.values_list("name", flat=True))
        user._governor_groups = cached
    return cached


def is_admin(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or ADMIN_GROUP in _groups(user)


def is_reader(user: Any) -> bool:
    """Managers and admins may read every page and read API."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return is_admin(user) or MANAGER_GROUP in _groups(user)
