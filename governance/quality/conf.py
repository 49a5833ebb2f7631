"""How quality compares pass rates: the regression check's configuration
(from settings) and the thresholds of comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


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
    def from_settings(cls) -> RegressionConfig:
        return cls(
            window=timedelta(hours=settings.GOVERNOR_QUALITY_WINDOW_HOURS),
            baseline=timedelta(hours=settings.GOVERNOR_QUALITY_BASELINE_HOURS),
            threshold_pp=settings.GOVERNOR_QUALITY_DROP_PP,
            alpha=settings.GOVERNOR_QUALITY_ALPHA,
            min_tests=settings.GOVERNOR_QUALITY_MIN_TESTS,
        )


# Comparisons say "not enough data yet" below this many executed tests per side.
COMPARISON_MIN_TESTS = 30
COMPARISON_ALPHA = 0.05
