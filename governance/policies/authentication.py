"""API-key authentication for the decision endpoints, with the key lookup
held in process memory for a few seconds.

The lookup (one query with its client and team, and a hash) costs more than
the decision itself; routing clients ask many times a second with the same
key. The trade-off: revoking or expiring a key takes effect on these two
read-only endpoints within `GOVERNOR_DECISION_KEY_CACHE_SECONDS` (5 s by
default); every other endpoint checks the database on each request.
"""

from __future__ import annotations

import hashlib
import threading
import time

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions

from governance.accounts.authentication import ApiKeyAuthentication, raw_key_from_headers

MAX_ENTRIES = 10_000


class CachedApiKeyAuthentication(ApiKeyAuthentication):
    _cache: dict[str, tuple[float, object, object]] = {}
    _lock = threading.Lock()

    def authenticate(self, request):
        raw = raw_key_from_headers(request.META)
        if raw is None:
            return super().authenticate(request)
        digest = hashlib.sha256(raw.encode()).hexdigest()
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            _, principal, key = hit
            moment = timezone.now()
            if not key.is_active_at(moment):
                raise exceptions.AuthenticationFailed(
                    "This API key has been revoked or has expired."
                )
            return principal, key
        result = super().authenticate(request)
        if result is not None:
            ttl = settings.GOVERNOR_DECISION_KEY_CACHE_SECONDS
            with self._lock:
                if len(self._cache) >= MAX_ENTRIES:
                    self._cache.clear()
                self._cache[digest] = (now + ttl, result[0], result[1])
        return result

    @classmethod
    def forget_all(cls) -> None:
        with cls._lock:
            cls._cache.clear()
