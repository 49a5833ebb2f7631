"""Rate limit for flag evaluation (OFREP), per API key."""

from __future__ import annotations

from governance.accounts.throttling import ApiKeyRateThrottle


class OfrepKeyThrottle(ApiKeyRateThrottle):
    """GOVERNOR_OFREP_RATE evaluations per API key, counted atomically in the
    shared cache; DRF answers 429 with an integer Retry-After."""

    scope = "ofrep"
    rate_setting = "GOVERNOR_OFREP_RATE"
