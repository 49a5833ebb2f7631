"""A small HTTP transport with retries, for the client and the CLI (stdlib only).

Retries connection failures, 429 and 5xx with exponential backoff and full
jitter, honouring Retry-After; every other 4xx is final and raised at once.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class GovernorError(Exception):
    """A request that failed for good; `status` is None when no answer came."""

    def __init__(self, message: str, *, status: int | None = None, body: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body) if self.body else None


@dataclass
class Transport:
    base_url: str
    api_key: str
    timeout: float = 10.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)  # jitter, not secrecy
    user_agent: str = "governor-client/1"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        ok_statuses: frozenset[int] = frozenset({200, 201, 204, 207, 304}),
    ) -> Response:
        url = self.base_url.rstrip("/") + path
        all_headers = {"Authorization": f"Bearer {self.api_key}", "User-Agent": self.user_agent}
        if body is not None:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        last_error: GovernorError | None = None
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self._send(method, url, body, all_headers)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last_error = GovernorError(f"cannot reach Governor at {self.base_url}: {reason}")
            else:
                if response.status in ok_statuses:
                    return response
                detail = _detail(response)
                last_error = GovernorError(
                    f"Governor answered {response.status}: {detail}",
                    status=response.status,
                    body=detail,
                )
                if response.status not in RETRYABLE_STATUS:
                    raise last_error
                retry_after = _retry_after(response.headers.get("retry-after"))
            if attempt == self.max_attempts:
                break
            self.sleep(self.backoff_delay(attempt, retry_after))
        raise last_error or GovernorError("no attempt was made (max_attempts < 1)")

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(attempt-1))], at least Retry-After."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        delay = self.rng.uniform(0, ceiling)
        return max(delay, retry_after or 0.0)

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Response:
        req = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - URL is the configured server
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                return Response(
                    resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
                )
        except urllib.error.HTTPError as exc:
            return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def _detail(response: Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.body[:500].decode("utf-8", "replace")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
