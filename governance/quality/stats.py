"""Statistics for pass rates, in plain Python (no Django, no scipy).

Every function takes counts (successes, trials) and returns floats: these are
rates and probabilities, never money.

- `wilson_interval`: Wilson score interval for one proportion (Wilson 1927;
  method 3 in Newcombe, Stat Med 1998;17:857-872).
- `newcombe_difference_interval`: interval for p1 - p2 built from the two
  Wilson intervals (Newcombe, Stat Med 1998;17:873-890, method 10).
- `two_proportion_z_test`: pooled two-proportion z-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_STANDARD_NORMAL = NormalDist()


def z_for_confidence(confidence: float) -> float:
    """Two-sided critical value: 1.959964 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return _STANDARD_NORMAL.inv_cdf(0.5 + confidence / 2)


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def wilson_interval(
    successes: int, trials: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson score interval; (0.0, 1.0) when there are no trials (nothing is known)."""
    _check_counts(successes, trials)
    if trials == 0:
        return 0.0, 1.0
    z = z_for_confidence(confidence)
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # Clamp rounding noise: at p = 0 the lower bound is exactly 0, at p = 1 the upper is 1.
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference_interval(
    successes1: int, trials1: int, successes2: int, trials2: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Interval for p1 - p2 (hybrid score interval, Newcombe's method 10)."""
    _check_counts(successes1, trials1)
    _check_counts(successes2, trials2)
    if trials1 == 0 or trials2 == 0:
        return -1.0, 1.0
    p1, p2 = successes1 / trials1, successes2 / trials2
    l1, u1 = wilson_interval(successes1, trials1, confidence=confidence)
    l2, u2 = wilson_interval(successes2, trials2, confidence=confidence)
    difference = p1 - p2
    lower = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return lower, upper


@dataclass(frozen=True)
class ZTest:
    z: float
    p_two_sided: float
    # P(Z <= z): small when the first proportion is significantly *below* the second.
    p_less: float


def two_proportion_z_test(successes1: int, trials1: int, successes2: int, trials2: int) -> ZTest:
    """Pooled z-test of H0: p1 == p2. z > 0 when p1 > p2.

    With no variance at all (both rates 0 % or both 100 %) there is no
    evidence of a difference: z = 0, p = 1.
    """
    _check_counts(successes1, trials1)
    _check_counts(successes2, trials2)
    if trials1 == 0 or trials2 == 0:
        return ZTest(z=0.0, p_two_sided=1.0, p_less=0.5)
    pooled = (successes1 + successes2) / (trials1 + trials2)
    variance = pooled * (1 - pooled) * (1 / trials1 + 1 / trials2)
    if variance == 0:
        return ZTest(z=0.0, p_two_sided=1.0, p_less=0.5)
    z = (successes1 / trials1 - successes2 / trials2) / math.sqrt(variance)
    p_two_sided = min(1.0, 2 * (1 - normal_cdf(abs(z))))
    return ZTest(z=z, p_two_sided=p_two_sided, p_less=normal_cdf(z))


def _check_counts(successes: int, trials: int) -> None:
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")


def executed_tests(*, passed: int, failed: int, errored: int) -> int:
    """The tests a pass rate is taken over: skipped tests are left out."""
    return passed + failed + errored


def pass_rate(*, passed: int, failed: int, errored: int) -> float | None:
    """THE pass rate of generated tests, everywhere in Governor.

    passed / (passed + failed + errored): skipped tests are excluded, an error
    counts as a failure, and a flaky test that passed on rerun was already
    counted once as passed when its report was read. None when nothing ran.
    """
    executed = executed_tests(passed=passed, failed=failed, errored=errored)
    return passed / executed if executed else None
