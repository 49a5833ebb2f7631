"""What one public URL says about a deployment. Imports no Django: the
settings module calls it before Django is configured.

`GOVERNOR_URL=https://governor.example.com` is the address people and
routing clients use. From it follow the host Django answers for, the origin
its forms may be posted from and, for https, everything `check --deploy`
asks of a site served only over TLS: secure cookies, HSTS, the redirect to
https and trust in the TLS-terminating proxy's `X-Forwarded-Proto`. Each
setting keeps its own environment variable, which wins over what is derived
here (settings.py reads them with these values as defaults).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from governance.core.env import ConfigurationError

ONE_YEAR_SECONDS = 365 * 24 * 3600
# Without a public URL: a plain-HTTP server on loopback (`make demo`, `make serve`).
LOCAL_HOSTS = ["127.0.0.1", "localhost", "testserver"]


def public_origin(url: str) -> tuple[str, str, str]:
    """(scheme, host, origin) of an absolute http(s) URL with no path; raises
    ConfigurationError naming what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"GOVERNOR_URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"GOVERNOR_URL must be an absolute http(s) URL such as "
            f"https://governor.example.com, got {url!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        # Django would need FORCE_SCRIPT_NAME and every link a prefix: not supported.
        raise ConfigurationError(
            f"GOVERNOR_URL must name the site's root (no path, query or user), got {url!r}"
        )
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    origin = f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")
    return parts.scheme, host, origin


def deployment_defaults(url: str) -> dict[str, Any]:
    """The defaults of the settings that follow from the public URL (all of
    them, also when there is no URL: then those of a loopback server)."""
    if not url:
        scheme, hosts, origins = "", LOCAL_HOSTS, []
    else:
        scheme, host, origin = public_origin(url)
        hosts, origins = [host], [origin]
    tls = scheme == "https"
    return {
        "ALLOWED_HOSTS": hosts,
        "CSRF_TRUSTED_ORIGINS": origins,
        "SECURE_SSL_REDIRECT": tls,
        "SECURE_HSTS_SECONDS": ONE_YEAR_SECONDS if tls else 0,
        # Both only widen HSTS to this host's own subdomains and mark it as
        # preloadable; neither submits anything anywhere.
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": tls,
        "SECURE_HSTS_PRELOAD": tls,
        "SESSION_COOKIE_SECURE": tls,
        "CSRF_COOKIE_SECURE": tls,
        # An https URL served by a plain-HTTP process means a proxy terminates TLS.
        "GOVERNOR_BEHIND_TLS_PROXY": tls,
        # A site with a public address must not run on a key generated on disk.
        "GOVERNOR_REQUIRE_SECRET_KEY": bool(url),
    }
