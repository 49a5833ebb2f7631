"""The optimizer is exact: it finds what brute force over every combination finds."""

from __future__ import annotations

import random

import pytest

from governance.advisor.optimizer import (
    Z_ONE_SIDED,
    Choice,
    plan_acceptable,
    plan_brute_force,
    plan_optimal,
)


def random_task(rng: random.Random, weight: float) -> list[Choice]:
    full = Choice("full", 0.0, 0.0, 0.0)
    mini_saving = rng.uniform(100, 5000)
    mini = Choice(
        "mini", mini_saving, weight * rng.uniform(-0.08, 0.005), weight**2 * rng.uniform(1e-6, 4e-4)
    )
    escalate = Choice(
        "mini_escalate",
        mini_saving * rng.uniform(0.3, 0.9),
        weight * rng.uniform(-0.02, 0.01),
        weight**2 * rng.uniform(1e-6, 4e-4),
    )
    return [full, mini, escalate]


@pytest.mark.parametrize("seed", range(12))
def test_plan_optimal__up_to_12_task_types__same_saving_as_brute_force(seed):
    rng = random.Random(seed)
    n = 1 + seed  # 1 .. 12 task types
    weights = [rng.uniform(0.2, 1) for _ in range(n)]
    total = sum(weights)
    choices = [random_task(rng, w / total) for w in weights]
    tolerance = rng.choice([0.0, 0.005, 0.01, 0.02])

    found = plan_optimal(choices=choices, tolerance=tolerance)
    oracle = plan_brute_force(choices=choices, tolerance=tolerance)

    assert found.saving == pytest.approx(oracle.saving, abs=1e-6)
    assert plan_acceptable(change=found.change, variance=found.variance, tolerance=tolerance)


def test_plan_optimal__bound_is_one_sided_95__a_plan_just_inside_is_taken():
    # One task type, change -0.5 pp, sd 0.3 pp: lower bound -0.5 - 1.645 * 0.3 = -0.99 pp,
    # inside a 1 pp tolerance (a two-sided 1.96 bound, -1.09 pp, would refuse it).
    mini = Choice("mini", 1000.0, -0.005, 0.003**2)
    result = plan_optimal(choices=[[Choice("full", 0, 0, 0), mini]], tolerance=0.01)
    assert result.picks == (1,)
    assert result.lower_bound == pytest.approx(-0.005 - Z_ONE_SIDED * 0.003)


def test_plan_optimal__nothing_fits__status_quo():
    bad = Choice("mini", 1000.0, -0.05, 1e-6)
    result = plan_optimal(choices=[[Choice("full", 0, 0, 0), bad]] * 3, tolerance=0.01)
    assert result.picks == (0, 0, 0)
    assert result.saving == 0
