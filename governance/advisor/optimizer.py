"""The exact optimizer behind the routing advisor, in plain Python (no Django).

Each task type offers a few options, each with an expected monthly saving
against keeping the task type on the full model, and a pass-rate change
(fraction) with its variance, both already weighted by the task type's share
of the traffic. A plan picks one option per task type. It is acceptable when
the one-sided 95 % lower bound of its traffic-weighted pass-rate change is
within the tolerance:

    sum(change) - Z_ONE_SIDED * sqrt(sum(variance)) >= -tolerance

Why one-sided: the only question is "could the loss be larger than we
accept?", so all 5 % of the error goes to the side that matters; a two-sided
1.96 interval answers a question nobody asked and gives up saving for it.
Variances add because the task types' estimates come from disjoint runs.

The bound is not separable across task types (the square root of a sum), so
the search is branch and bound: task types in order of their best saving,
options tried best saving first, a branch cut when even its best remaining
saving cannot beat the incumbent or when even the best remaining changes with
the least remaining variance cannot meet the tolerance. Both cuts are
admissible (the bound increases with the change and decreases with the
variance), so the result is the exact optimum, which a test checks against
brute force over every combination.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# One-sided 95 %: P(Z > 1.6449) = 0.05.
Z_ONE_SIDED = 1.6448536269514722


@dataclass(frozen=True)
class Choice:
    """One option of one task type, in plan terms (already traffic-weighted)."""

    option: str
    saving: float  # expected monthly saving, USD (float only inside the search)
    change: float  # traffic-weighted pass-rate change, fraction (negative: a loss)
    variance: float  # variance of `change`


@dataclass(frozen=True)
class Solution:
    picks: tuple[int, ...]  # index of the chosen Choice per task type
    saving: float
    change: float
    variance: float

    @property
    def lower_bound(self) -> float:
        return plan_lower_bound(change=self.change, variance=self.variance)


def plan_lower_bound(*, change: float, variance: float) -> float:
    return change - Z_ONE_SIDED * math.sqrt(max(variance, 0.0))


def plan_acceptable(*, change: float, variance: float, tolerance: float) -> bool:
    # A hair of slack so that a plan exactly at the tolerance is not lost to rounding.
    return plan_lower_bound(change=change, variance=variance) >= -tolerance - 1e-12


def plan_optimal(*, choices: Sequence[Sequence[Choice]], tolerance: float) -> Solution:
    """The plan with the largest saving whose lower bound is within `tolerance`.

    Every task type must offer at least one option; the first one of each is
    its status quo (no saving, no change, no variance), so the status-quo
    plan is always acceptable and there is always an answer. Ties go to the
    plan found first (options in the order given).
    """
    n = len(choices)
    if any(not options for options in choices):
        raise ValueError("every task type needs at least one option")
    order = sorted(range(n), key=lambda i: -max(c.saving for c in choices[i]))
    ordered = [sorted(range(len(choices[i])), key=lambda k: -choices[i][k].saving) for i in order]
    # Suffix bounds: the most saving, the best change and the least variance still available.
    rest_saving = [0.0] * (n + 1)
    rest_change = [0.0] * (n + 1)
    rest_variance = [0.0] * (n + 1)
    for depth in range(n - 1, -1, -1):
        options = choices[order[depth]]
        rest_saving[depth] = rest_saving[depth + 1] + max(max(c.saving for c in options), 0.0)
        rest_change[depth] = rest_change[depth + 1] + max(c.change for c in options)
        rest_variance[depth] = rest_variance[depth + 1] + min(c.variance for c in options)

    status_quo = tuple(0 for _ in range(n))
    best = _solution(choices, status_quo)
    if not plan_acceptable(change=best.change, variance=best.variance, tolerance=tolerance):
        best = Solution(picks=status_quo, saving=-math.inf, change=0.0, variance=0.0)
    picks = [0] * n

    def search(depth: int, saving: float, change: float, variance: float) -> None:
        nonlocal best
        if saving + rest_saving[depth] <= best.saving + 1e-9:
            return
        if not plan_acceptable(
            change=change + rest_change[depth],
            variance=variance + rest_variance[depth],
            tolerance=tolerance,
        ):
            return
        if depth == n:
            best = Solution(picks=tuple(picks), saving=saving, change=change, variance=variance)
            return
        i = order[depth]
        for k in ordered[depth]:
            c = choices[i][k]
            picks[i] = k
            search(depth + 1, saving + c.saving, change + c.change, variance + c.variance)
        picks[i] = 0

    search(0, 0.0, 0.0, 0.0)
    return _solution(choices, best.picks)


def plan_brute_force(*, choices: Sequence[Sequence[Choice]], tolerance: float) -> Solution:
    """Every combination, for tests and the benchmark's oracle (exponential)."""
    import itertools

    best: Solution | None = None
    for picks in itertools.product(*(range(len(options)) for options in choices)):
        candidate = _solution(choices, tuple(picks))
        if not plan_acceptable(
            change=candidate.change, variance=candidate.variance, tolerance=tolerance
        ):
            continue
        if best is None or candidate.saving > best.saving + 1e-9:
            best = candidate
    if best is None:
        raise ValueError("no acceptable plan")
    return best


def _solution(choices: Sequence[Sequence[Choice]], picks: tuple[int, ...]) -> Solution:
    chosen = [choices[i][k] for i, k in enumerate(picks)]
    return Solution(
        picks=picks,
        saving=sum(c.saving for c in chosen),
        change=sum(c.change for c in chosen),
        variance=sum(c.variance for c in chosen),
    )
