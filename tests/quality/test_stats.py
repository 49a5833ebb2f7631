"""The statistics behind pass rates, checked against published values.

Wilson intervals: Newcombe (1998), "Two-sided confidence intervals for the
single proportion", Stat Med 17:857-872, table I, method 3.
Difference intervals: Newcombe (1998), "Interval estimation for the
difference between independent proportions", Stat Med 17:873-890, table II,
method 10.
"""

from __future__ import annotations

import pytest

from governance.quality import stats


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval__published_examples__match_to_four_places(successes, trials, low, high):
    got_low, got_high = stats.wilson_interval(successes, trials)
    assert (round(got_low, 4), round(got_high, 4)) == (low, high)


def test_wilson_interval__all_passed__upper_bound_is_one_and_lower_below_one():
    low, high = stats.wilson_interval(29, 29)
    assert high == 1.0
    assert round(low, 4) == 0.8830


def test_wilson_interval__no_trials__says_nothing_is_known():
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval__more_successes_than_trials__is_refused():
    with pytest.raises(ValueError, match="successes <= trials"):
        stats.wilson_interval(5, 4)


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((6, 7, 2, 7), 0.0582, 0.8062),
        ((5, 56, 0, 29), -0.0381, 0.1926),
    ],
)
def test_newcombe_difference_interval__published_examples__match_to_four_places(counts, low, high):
    got_low, got_high = stats.newcombe_difference_interval(*counts)
    assert (round(got_low, 4), round(got_high, 4)) == (low, high)


def test_two_proportion_z_test__newcombe_example__z_squared_is_pearson_chi_square():
    # 56/70 vs 48/80: Pearson's chi-square without continuity correction is 7.0234,
    # and the pooled z statistic is its square root.
    result = stats.two_proportion_z_test(56, 70, 48, 80)
    a, b, c, d = 56, 14, 48, 32
    n = a + b + c + d
    chi_square = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    assert round(chi_square, 4) == 7.0234
    assert result.z == pytest.approx(chi_square**0.5)
    assert round(result.p_two_sided, 4) == 0.0080


def test_two_proportion_z_test__z_of_1_96__gives_the_familiar_five_percent():
    assert round(2 * (1 - stats.normal_cdf(1.959964)), 4) == 0.05
    assert round(stats.normal_cdf(1.644854), 4) == 0.95


def test_two_proportion_z_test__first_rate_lower__one_sided_p_is_small():
    result = stats.two_proportion_z_test(48, 80, 56, 70)
    assert result.z < 0
    assert result.p_less == pytest.approx(result.p_two_sided / 2)


def test_two_proportion_z_test__identical_perfect_rates__is_no_evidence():
    result = stats.two_proportion_z_test(40, 40, 90, 90)
    assert (result.z, result.p_two_sided) == (0.0, 1.0)


def test_pass_rate__skips_excluded_and_errors_count_as_failures():
    # 7 passed, 1 failed, 2 errored, 5 skipped: 7 of 10 executed.
    assert stats.pass_rate(passed=7, failed=1, errored=2) == 0.7


def test_pass_rate__only_skipped_tests__is_undefined():
    assert stats.pass_rate(passed=0, failed=0, errored=0) is None
