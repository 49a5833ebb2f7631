"""Rate limit for flag evaluation (OFREP), per API key."""

from __future__ import annotations

import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from governance.accounts.models import ApiKey


class OfrepKeyThrottle(SimpleRateThrottle):
    """GOVERNOR_OFREP_RATE requests per API key; DRF answers 429 with Retry-After.

    ScopedRateThrottle cannot be used as is: it keys on `request.user.pk`,
    and an API-key principal has no user row.
    """

    scope = "ofrep"

    def get_rate(self) -> str:
        return settings.GOVERNOR_OFREP_RATE

    def get_cache_key(self, request, view) -> str:
        ident = (
            f"key-{request.auth.pk}"
            if isinstance(request.auth, ApiKey)
            else self.get_ident(request)
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def wait(self) -> float | None:
        # Retry-After is sent in whole seconds; never tell a client "0".
        remaining = super().wait()
        return None if remaining is None else max(1, math.ceil(remaining))
