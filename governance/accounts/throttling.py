"""Per-API-key rate limits, shared by every web process through the cache.

A fixed window counted with the cache's atomic `incr` (Redis INCR when
CACHE_URL is set): DRF's SimpleRateThrottle keeps a history list that each
process reads, edits and writes back, so concurrent workers would lose each
other's hits. Requests without an API key (people with sessions) are not
limited here.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from governance.accounts.models import ApiKey
from governance.core.rates import parse_rate


class ApiKeyRateThrottle(BaseThrottle):
    """Every request made with one API key, whatever the endpoint.

    Subclass with another `scope` and `rate_setting` for a tighter limit on
    some endpoints (OFREP evaluation does); the counters are separate.
    """

    scope = "apikey"
    rate_setting = "GOVERNOR_API_KEY_RATE"

    def __init__(self) -> None:
        self.limit, self.period = parse_rate(getattr(settings, self.rate_setting))
        self._wait = 0.0

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        now = time.time()
        window = int(now // self.period)
        cache_key = f"throttle:{self.scope}:{key.pk}:{window}"
        # add() is a no-op when the key exists; incr() is atomic in Redis.
        cache.add(cache_key, 0, timeout=self.period + 1)
        try:
            hits = cache.incr(cache_key)
        except ValueError:
            # The window expired between add() and incr(): this is its first hit.
            cache.add(cache_key, 1, timeout=self.period + 1)
            hits = 1
        if hits <= self.limit:
            return True
        self._wait = (window + 1) * self.period - now
        return False

    def wait(self) -> float:
        # DRF writes Retry-After as an integer; round up so a client that
        # honours it exactly never arrives early.
        return float(max(1, math.ceil(self._wait)))
