"""API-key authentication for the decision endpoints, with the key lookup
held in process memory.

The lookup (one query with its client and team, and a hash) costs more than
the decision itself, and routing clients ask many times a second with the
same key. A remembered key is used only while the API keys' generation is
the one read before its lookup (governance.core.freshness; every revocation
moves it on), and only until its expiry by the clock, so revocation and
expiry apply to the next request in every process. The lookup is redone
after `GOVERNOR_DECISION_KEY_CACHE_SECONDS` all the same, which keeps the
key's "last used" time and its client's team current.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions

from governance.accounts.authentication import (
    ApiKeyAuthentication,
    ClientPrincipal,
    raw_key_from_headers,
)
from governance.accounts.models import ApiKey
from governance.accounts.selectors import API_KEYS_GENERATION

MAX_ENTRIES = 10_000


class _Remembered(NamedTuple):
    generation: object
    until: float
    principal: ClientPrincipal
    key: ApiKey


class CachedApiKeyAuthentication(ApiKeyAuthentication):
    _cache: dict[str, _Remembered] = {}
    _lock = threading.Lock()

    def authenticate(self, request):
        raw = raw_key_from_headers(request.META)
        if raw is None:
            return super().authenticate(request)
        generation = API_KEYS_GENERATION.current()
        digest = hashlib.sha256(raw.encode()).hexdigest()
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and hit.generation == generation and hit.until > now:
            if not hit.key.is_active_at(timezone.now()):
                raise exceptions.AuthenticationFailed(
                    "This API key has been revoked or has expired."
                )
            return hit.principal, hit.key
        result = super().authenticate(request)
        if result is not None:
            ttl = settings.GOVERNOR_DECISION_KEY_CACHE_SECONDS
            with self._lock:
                if len(self._cache) >= MAX_ENTRIES:
                    self._cache.clear()
                self._cache[digest] = _Remembered(generation, now + ttl, result[0], result[1])
        return result

    @classmethod
    def forget_all(cls) -> None:
        with cls._lock:
            cls._cache.clear()
