"""The flag engine as a specification: targeting, splits, schedules (no Django needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.engine.flag_spec import FlagSpecError, flag_spec_from_dict
from governance.engine.flags import ErrorCode, Reason, bucket_of, evaluate_flag

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday


def boolean_flag(**overrides):
    base = {
        "key": "mini-model-for-ci",
        "type": "boolean",
        "enabled": True,
        "variants": {"on": True, "off": False},
        "default_variant": "off",
    }
    base.update(overrides)
    return flag_spec_from_dict(base)


def rule(conditions, variant="on", **extra):
    return {"conditions": conditions, "variant": variant, **extra}


def cond(attribute, operator, value):
    return {"attribute": attribute, "operator": operator, "value": value}


def test_flag_without_rules__evaluated__serves_default_as_static():
    resolution = evaluate_flag(boolean_flag(), {}, now=NOW)
    assert (resolution.value, resolution.variant, resolution.reason) == (
        False,
        "off",
        Reason.STATIC,
    )


def test_flag_switched_off__evaluated__serves_off_variant_as_disabled():
    spec = boolean_flag(enabled=False, default_variant="on", off_variant="off")
    resolution = evaluate_flag(spec, {"team": "payments"}, now=NOW)
    assert (resolution.value, resolution.reason) == (False, Reason.DISABLED)


def test_rule__context_matches__serves_rule_variant_as_targeting_match():
    spec = boolean_flag(rules=[rule([cond("team", "in", ["payments", "search"])])])
    assert evaluate_flag(spec, {"team": "search"}, now=NOW).reason == Reason.TARGETING_MATCH
    miss = evaluate_flag(spec, {"team": "ads"}, now=NOW)
    assert (miss.value, miss.reason) == (False, Reason.DEFAULT)


def test_rule__several_conditions__all_must_hold():
    spec = boolean_flag(
        rules=[
            rule([cond("task_type", "equals", "test_generation"), cond("risk", "not_in", ["high"])])
        ]
    )
    assert (
        evaluate_flag(spec, {"task_type": "test_generation", "risk": "low"}, now=NOW).value is True
    )
    assert (
        evaluate_flag(spec, {"task_type": "test_generation", "risk": "high"}, now=NOW).value
        is False
    )


def test_rules__first_matching_rule__wins():
    spec = flag_spec_from_dict(
        {
            "key": "model",
            "type": "string",
            "variants": {"full": "gpt-5-codex", "mini": "gpt-5-codex-mini"},
            "default_variant": "full",
            "rules": [
                rule([cond("risk", "equals", "high")], variant="full"),
                rule([cond("environment", "starts_with", "ci")], variant="mini"),
            ],
        }
    )
    assert (
        evaluate_flag(spec, {"risk": "high", "environment": "ci-east"}, now=NOW).value
        == "gpt-5-codex"
    )
    assert (
        evaluate_flag(spec, {"risk": "low", "environment": "ci-east"}, now=NOW).value
        == "gpt-5-codex-mini"
    )


def test_condition__missing_attribute__never_matches_even_negated():
    spec = boolean_flag(rules=[rule([cond("team", "not_in", ["ads"])])])
    assert evaluate_flag(spec, {}, now=NOW).value is False


@pytest.mark.parametrize(
    ("operator", "value", "actual", "expected"),
    [
        ("gt", 10, 11, True),
        ("gt", 10, "10", False),
        ("lte", 2.5, 2.5, True),
        ("lt", 3, "not a number", False),
        ("semver_gte", "1.4.0", "1.10.0", True),
        ("semver_lt", "1.4.0", "1.4.0-rc.1", True),
        ("semver_gt", "1.4.0-rc.2", "1.4.0-rc.10", True),
        ("semver_eq", "2.0.0", "2.0.0+build.7", True),
        ("semver_gt", "1.0.0", "garbage", False),
        ("ends_with", "-mini", "gpt-5-codex-mini", True),
        ("contains", "codex", "gpt-5-codex", True),
        ("before", "2026-06-01T00:00:00Z", "2026-05-31T23:59:00+00:00", True),
        ("after", "2026-06-01T00:00:00Z", "2026-06-01T01:00:00+02:00", False),
        ("equals", True, True, True),
    ],
)
def test_condition_operator__value_compared__matches_as_documented(
    operator, value, actual, expected
):
    spec = boolean_flag(rules=[rule([cond("attr", operator, value)])])
    assert evaluate_flag(spec, {"attr": actual}, now=NOW).value is expected


def test_condition_on_now__after_a_date__switches_on_by_itself():
    spec = boolean_flag(rules=[rule([cond("$now", "after", "2026-03-04T11:00:00Z")])])
    assert evaluate_flag(spec, {}, now=datetime(2026, 3, 4, 10, 59, tzinfo=UTC)).value is False
    assert evaluate_flag(spec, {}, now=NOW).value is True


def test_condition__nested_attribute__read_by_dotted_path():
    spec = boolean_flag(rules=[rule([cond("repo.language", "equals", "python")])])
    assert evaluate_flag(spec, {"repo": {"language": "python"}}, now=NOW).value is True


# ------------------------------------------------------------------ splits


def pilot(percent, key="ci-pilot"):
    return boolean_flag(
        key=key,
        rollout=[{"variant": "on", "weight": percent}, {"variant": "off", "weight": 100 - percent}],
    )


def test_split__same_targeting_key__always_same_variant():
    spec = pilot(50)
    first = evaluate_flag(spec, {"targetingKey": "pipeline-42"}, now=NOW)
    assert first.reason == Reason.SPLIT
    assert all(
        evaluate_flag(spec, {"targetingKey": "pipeline-42"}, now=NOW) == first for _ in range(20)
    )


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=50))
def test_split__percentage_grows__every_key_in_the_pilot_stays_in(keys):
    ten, twenty = pilot(10), pilot(20)
    for key in keys:
        if evaluate_flag(ten, {"targetingKey": key}, now=NOW).value:
            assert evaluate_flag(twenty, {"targetingKey": key}, now=NOW).value


def test_split__many_keys__share_is_uniform():
    # 20 000 keys into a 10 % pilot: the binomial standard deviation is ~42 keys,
    # so +/- 250 (about 6 sigma) never flakes, yet catches a biased hash.
    spec = pilot(10)
    hits = sum(
        evaluate_flag(spec, {"targetingKey": f"pipeline-{i}"}, now=NOW).value for i in range(20_000)
    )
    assert abs(hits - 2_000) < 250
    # And the buckets themselves are uniform: chi-square over 10 deciles.
    counts = [0] * 10
    for i in range(20_000):
        counts[bucket_of("ci-pilot", f"pipeline-{i}") // 1000] += 1
    chi2 = sum((c - 2_000) ** 2 / 2_000 for c in counts)
    assert chi2 < 27.88  # p = 0.001 for 9 degrees of freedom


def test_bucket__documented_hash__murmur3_of_flag_and_targeting_key():
    import mmh3

    assert (
        bucket_of("ci-pilot", "pipeline-1")
        == mmh3.hash("ci-pilot.pipeline-1", 0, signed=False) % 10_000
    )


def test_split__no_targeting_key__error_targeting_key_missing_with_fallback_value():
    resolution = evaluate_flag(pilot(10), {"team": "x"}, now=NOW)
    assert resolution.reason == Reason.ERROR
    assert resolution.error_code == ErrorCode.TARGETING_KEY_MISSING
    assert resolution.value is False


def test_rule_split__matching_rule__splits_by_percentage():
    spec = boolean_flag(
        rules=[
            {
                "conditions": [cond("team", "equals", "ci")],
                "split": [{"variant": "on", "weight": 100}],
            }
        ]
    )
    resolution = evaluate_flag(spec, {"team": "ci", "targetingKey": "k"}, now=NOW)
    assert (resolution.value, resolution.reason) == (True, Reason.SPLIT)


# ------------------------------------------------------------------ schedules

PEAK = {
    "timezone": "Europe/Paris",
    "windows": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}],
}


def peak_flag():
    return boolean_flag(default_variant="on", off_variant="off", schedule=PEAK)


@pytest.mark.parametrize(
    ("utc_moment", "expected"),
    [
        # Winter (CET, UTC+1): 09:00 Paris is 08:00 UTC.
        (datetime(2026, 1, 14, 7, 59, tzinfo=UTC), False),
        (datetime(2026, 1, 14, 8, 0, tzinfo=UTC), True),
        (datetime(2026, 1, 14, 16, 59, tzinfo=UTC), True),
        (datetime(2026, 1, 14, 17, 0, tzinfo=UTC), False),
        # Summer (CEST, UTC+2): 09:00 Paris is 07:00 UTC.
        (datetime(2026, 7, 15, 7, 0, tzinfo=UTC), True),
        (datetime(2026, 7, 15, 15, 59, tzinfo=UTC), True),
        (datetime(2026, 7, 15, 16, 0, tzinfo=UTC), False),
        # Saturday in Paris.
        (datetime(2026, 7, 18, 10, 0, tzinfo=UTC), False),
    ],
)
def test_scheduled_flag__weekdays_9_to_18_paris__on_only_inside_the_window(utc_moment, expected):
    resolution = evaluate_flag(peak_flag(), {}, now=utc_moment)
    assert resolution.value is expected
    assert resolution.reason == (Reason.DEFAULT if expected else Reason.DISABLED)


def test_scheduled_flag__daylight_saving_change_day__window_follows_the_wall_clock():
    # 2026-03-30 is the Monday after Europe switches to summer time (29 March).
    assert (
        evaluate_flag(peak_flag(), {}, now=datetime(2026, 3, 27, 7, 30, tzinfo=UTC)).value is False
    )  # Fri 08:30 CET
    assert (
        evaluate_flag(peak_flag(), {}, now=datetime(2026, 3, 30, 7, 30, tzinfo=UTC)).value is True
    )  # Mon 09:30 CEST


def test_schedule__other_time_zone__same_instant_differs():
    new_york = boolean_flag(
        default_variant="on",
        off_variant="off",
        schedule={**PEAK, "timezone": "America/New_York"},
    )
    moment = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)  # 11:00 Paris, 05:00 New York
    assert evaluate_flag(peak_flag(), {}, now=moment).value is True
    assert evaluate_flag(new_york, {}, now=moment).value is False


def test_schedule__window_across_midnight__belongs_to_its_start_day():
    spec = boolean_flag(
        default_variant="on",
        off_variant="off",
        schedule={"timezone": "UTC", "windows": [{"days": [5], "start": "22:00", "end": "06:00"}]},
    )
    assert (
        evaluate_flag(spec, {}, now=datetime(2026, 3, 6, 23, 0, tzinfo=UTC)).value is True
    )  # Fri 23:00
    assert (
        evaluate_flag(spec, {}, now=datetime(2026, 3, 7, 5, 59, tzinfo=UTC)).value is True
    )  # Sat 05:59
    assert (
        evaluate_flag(spec, {}, now=datetime(2026, 3, 8, 1, 0, tzinfo=UTC)).value is False
    )  # Sun 01:00


def test_schedule__from_a_date_in_its_zone__starts_at_local_midnight():
    spec = boolean_flag(
        default_variant="on",
        off_variant="off",
        schedule={"timezone": "Asia/Tokyo", "starts_at": "2026-04-01"},
    )
    assert evaluate_flag(spec, {}, now=datetime(2026, 3, 31, 14, 59, tzinfo=UTC)).value is False
    assert evaluate_flag(spec, {}, now=datetime(2026, 3, 31, 15, 0, tzinfo=UTC)).value is True


def test_rule_schedule__outside_its_window__rule_is_skipped():
    spec = boolean_flag(rules=[rule([], schedule=PEAK)])
    assert (
        evaluate_flag(spec, {}, now=datetime(2026, 1, 14, 10, 0, tzinfo=UTC)).reason
        == Reason.TARGETING_MATCH
    )
    assert (
        evaluate_flag(spec, {}, now=datetime(2026, 1, 14, 20, 0, tzinfo=UTC)).reason
        == Reason.DEFAULT
    )


# ------------------------------------------------------------------ spec round trip and validation


def test_spec__to_dict_and_back__is_the_same_spec():
    spec = boolean_flag(
        off_variant="off",
        rules=[rule([cond("team", "in", ["a"])], schedule=PEAK)],
        rollout=[{"variant": "on", "weight": 12.5}, {"variant": "off", "weight": 87.5}],
        schedule={**PEAK, "starts_at": "2026-01-01T00:00:00+01:00"},
    )
    assert flag_spec_from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variants": {"on": "yes"}, "default_variant": "on"}, "variants.on"),
        ({"default_variant": "maybe"}, "default_variant"),
        ({"rollout": [{"variant": "on", "weight": 60}]}, "rollout"),
        (
            {"rules": [{"conditions": [cond("x", "like", 1)], "variant": "on"}]},
            "rules[0].conditions[0].operator",
        ),
        (
            {"rules": [{"conditions": [cond("x", "semver_gt", "one")], "variant": "on"}]},
            "rules[0].conditions[0].value",
        ),
        ({"schedule": {"timezone": "Mars/Olympus"}}, "schedule.timezone"),
        (
            {"schedule": {"windows": [{"start": "9am", "end": "18:00"}]}},
            "schedule.windows[0].start",
        ),
        ({"key": "has space"}, "key"),
    ],
)
def test_spec__invalid_part__error_names_the_field(change, field):
    with pytest.raises(FlagSpecError) as caught:
        boolean_flag(**change)
    assert caught.value.field == field


def test_number_flag__float_variant__stays_a_float():
    spec = flag_spec_from_dict(
        {
            "key": "ratio",
            "type": "number",
            "variants": {"low": 0.5, "one": 1.0},
            "default_variant": "one",
        }
    )
    assert isinstance(evaluate_flag(spec, {}, now=NOW).value, float)


def test_invalid_context__not_an_object__error_invalid_context():
    assert evaluate_flag(boolean_flag(), ["no"], now=NOW).error_code == ErrorCode.INVALID_CONTEXT  # type: ignore[arg-type]  # a client can send anything


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
ATTRIBUTES = ["team", "version", "size", "when", "targetingKey"]


@given(st.dictionaries(st.sampled_from(ATTRIBUTES) | st.text(max_size=10), json_values, max_size=6))
def test_evaluate__any_json_context__resolves_without_raising(context):
    operators = [
        ("team", "in", ["a"]),
        ("team", "starts_with", "a"),
        ("size", "gte", 3),
        ("version", "semver_gt", "1.0.0"),
        ("when", "before", "2026-01-01T00:00:00Z"),
        ("team", "not_equals", "b"),
    ]
    spec = boolean_flag(
        rules=[rule([cond(a, o, v)]) for a, o, v in operators],
        rollout=[{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}],
    )
    resolution = evaluate_flag(spec, context, now=NOW)
    assert resolution.variant in ("on", "off")


def night_window_flag():
    """On from 02:00 to 03:00 Paris time, the hour the clocks change."""
    return boolean_flag(
        default_variant="on",
        off_variant="off",
        schedule={"timezone": "Europe/Paris", "windows": [{"start": "02:00", "end": "03:00"}]},
    )


@pytest.mark.parametrize(
    ("utc_moment", "expected"),
    [
        # 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), True),  # 02:30 CEST
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), True),  # 02:30 CET
        (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), False),  # 03:00 CET
        # 29 March 2026: 02:00 CET jumps to 03:00 CEST; the hour never happens.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), False),  # 01:59 CET
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), False),  # 03:00 CEST
    ],
)
def test_schedule__night_the_clocks_change__window_follows_the_local_hour(utc_moment, expected):
    assert evaluate_flag(night_window_flag(), {}, now=utc_moment).value is expected
