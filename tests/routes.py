"""Every URL route of the site, for the tests that must cover each one."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def url_routes(*, skip: tuple[str, ...] = (), resolver: URLResolver | None = None) -> set[str]:
    """The routes as Django spells them ("flags/<str:key>/"), less those starting with `skip`."""
    return _routes(resolver or get_resolver(), "", skip)


def _routes(resolver: URLResolver, prefix: str, skip: tuple[str, ...]) -> set[str]:
    routes: set[str] = set()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(skip):
            continue
        if isinstance(pattern, URLResolver):
            routes |= _routes(pattern, route, skip)
        elif isinstance(pattern, URLPattern):
            routes.add(route)
    return routes
