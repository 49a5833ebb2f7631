"""Outgoing HTTP (webhooks) that cannot reach inside the network. Plain Python.

An admin-registered URL could name 127.0.0.1, the cloud metadata address
(169.254.169.254), a private service or, through DNS, a name that resolves
to one of them; the delivery's status and error on the webhooks page would
then make Governor a port scanner. So the host is resolved when the request
is made, every address it resolves to is checked, and the connection goes to
the address that was checked (a name that resolves differently a moment later
cannot slip through). Loopback, private, link-local, multicast, reserved and
unspecified addresses are refused unless the operator's allow-list
(`GOVERNOR_WEBHOOK_ALLOWED_NETWORKS`) names them. Redirects are not followed:
a public URL answering 302 to an internal one would undo the check.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressRefused(OSError):
    """The destination is not one Governor may send webhooks to."""


def networks_parse(values: Sequence[str]) -> tuple[Network, ...]:
    """CIDR blocks or single addresses; ValueError names a bad entry."""
    parsed = []
    for value in values:
        try:
            parsed.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(parsed)


def address_refusal(address: Address, *, allowed: Sequence[Network] = ()) -> str | None:
    """Why `address` may not be contacted, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed):
        return None
    # The most specific name first: 127.0.0.1 is private too, but "loopback" says more.
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def resolve_checked(host: str, port: int, *, allowed: Sequence[Network]) -> list[tuple]:
    """getaddrinfo() for a TCP connection, refusing the host if any of its
    addresses is refused (a name with one internal address is not trusted)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise EgressRefused(f"{host} does not resolve ({exc.strerror})") from None
    for *_, sockaddr in infos:
        reason = address_refusal(ipaddress.ip_address(sockaddr[0]), allowed=allowed)
        if reason is not None:
            raise EgressRefused(
                f"{host} resolves to {reason}; webhooks are sent to public addresses only "
                "(an operator may allow it with GOVERNOR_WEBHOOK_ALLOWED_NETWORKS)"
            )
    return infos


def _connect_checked(host: str, port: int, timeout: float | None, allowed) -> socket.socket:
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in resolve_checked(host, port, allowed=allowed):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"could not connect to {host}")


def _connection_classes(allowed: Sequence[Network]):
    class CheckedHTTPConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = _connect_checked(self.host, self.port, self.timeout, allowed)

    class CheckedHTTPSConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = _connect_checked(self.host, self.port, self.timeout, allowed)
            # The certificate is checked against the name, not the address.
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]  # set by HTTPSConnection.__init__

    return CheckedHTTPConnection, CheckedHTTPSConnection


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(
            req.full_url, code, f"redirect to {urlsplit(newurl).netloc} not followed", headers, fp
        )


def opener_build(*, allowed: Sequence[Network] = ()) -> urllib.request.OpenerDirector:
    """An opener for webhook deliveries: checked addresses, no redirects."""
    http_class, https_class = _connection_classes(allowed)

    class CheckedHTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_class, req)

    class CheckedHTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(https_class, req, context=ssl.create_default_context())

    # No proxies from the environment: a proxy would connect on our behalf, unchecked.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), CheckedHTTPHandler, CheckedHTTPSHandler, _NoRedirects
    )


def url_origin(url: str) -> str:
    """scheme://host[:port] of a URL: what may be shown and audited. The path
    and query of an incoming-webhook URL are often its secret."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"
