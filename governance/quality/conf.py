"""Quality settings, read from the environment (see governance.core.env)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from governance.core.env import ConfigurationError, env_int, env_str


def _env_float(name: str, default: float, *, low: float, high: float) -> float:
    raw = env_str(name).strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}, got {value}")
    return value


def junit_max_bytes() -> int:
    """Largest JUnit report accepted; checked before any parsing."""
    return env_int("GOVERNOR_JUNIT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)


@dataclass(frozen=True)
class RegressionConfig:
    """How the periodic regression check compares a series with its history.

    A series (team x model x task type) raises an alert when its pass rate in
    the last `window` is below the `baseline` period before it by at least
    `threshold_pp` percentage points AND the one-sided pooled z-test gives
    p < `alpha`, with at least `min_tests` executed tests on each side. The
    alert clears when the window's rate is back within half the threshold of
    the baseline it was raised against (hysteresis, so it does not flap).
    """

    window: timedelta = timedelta(days=7)
    baseline: timedelta = timedelta(days=28)
    threshold_pp: float = 5.0
    alpha: float = 0.01
    min_tests: int = 50

    @classmethod
    def from_env(cls) -> RegressionConfig:
        return cls(
            window=timedelta(hours=env_int("GOVERNOR_QUALITY_WINDOW_HOURS", 7 * 24, minimum=1)),
            baseline=timedelta(
                hours=env_int("GOVERNOR_QUALITY_BASELINE_HOURS", 28 * 24, minimum=1)
            ),
            threshold_pp=_env_float("GOVERNOR_QUALITY_DROP_PP", 5.0, low=0.0, high=100.0),
            alpha=_env_float("GOVERNOR_QUALITY_ALPHA", 0.01, low=1e-9, high=0.5),
            min_tests=env_int("GOVERNOR_QUALITY_MIN_TESTS", 50, minimum=1),
        )


# Comparisons say "not enough data yet" below this many executed tests per side.
COMPARISON_MIN_TESTS = 30
COMPARISON_ALPHA = 0.05
