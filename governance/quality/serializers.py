from __future__ import annotations

from rest_framework import serializers

from governance.quality.models import Outcome

MAX_CALL_IDS = 1000
# Far above any real test suite, and far below the database's integer range.
MAX_TESTS = 10_000_000
# A job retried more often than this is not a job but a loop.
MAX_ATTEMPT = 1000


def _count(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_TESTS, **kwargs)


class SuiteRunFieldsSerializer(serializers.Serializer):
    """The fields describing a run, shared by the JSON body and the JUnit query string."""

    run_id = serializers.CharField(max_length=128)
    timestamp = serializers.DateTimeField(required=False)
    model = serializers.CharField(max_length=128)
    task_type = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    call_ids = serializers.ListField(
        child=serializers.CharField(max_length=128),
        required=False,
        default=list,
        max_length=MAX_CALL_IDS,
    )
    repo = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    commit = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    pull_request = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    job = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    # Bounded well inside the PositiveIntegerField that stores it (a larger
    # number was a 500 on PostgreSQL: integer out of range).
    attempt = serializers.IntegerField(
        min_value=1, max_value=MAX_ATTEMPT, required=False, allow_null=True, default=None
    )
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, required=False, allow_blank=True, default=""
    )


class SuiteRunCountsSerializer(SuiteRunFieldsSerializer):
    """A run posted as JSON with its counts; `total` (optional) must add up."""

    total = _count(required=False)
    passed = _count()
    failed = _count()
    errored = _count(required=False, default=0)
    skipped = _count(required=False, default=0)
    flaky = _count(required=False, default=0)

    def validate(self, attrs: dict) -> dict:
        counted = attrs["passed"] + attrs["failed"] + attrs["errored"] + attrs["skipped"]
        total = attrs.setdefault("total", counted)
        if total != counted:
            raise serializers.ValidationError(
                {"total": f"total is {total} but passed + failed + errored + skipped is {counted}"}
            )
        if attrs["flaky"] > attrs["passed"]:
            raise serializers.ValidationError(
                {"flaky": "flaky counts tests that passed on rerun; it cannot exceed passed"}
            )
        return attrs


class JUnitQuerySerializer(SuiteRunFieldsSerializer):
    """Run fields as query parameters: `call_ids` comma-separated or repeated."""

    def to_internal_value(self, data):
        plain = {key: data.get(key) for key in data if key != "call_ids"}
        raw_ids = data.getlist("call_ids") if hasattr(data, "getlist") else data.get("call_ids", [])
        plain["call_ids"] = [
            part.strip() for value in raw_ids for part in value.split(",") if part.strip()
        ]
        return super().to_internal_value(plain)


class CountsSerializer(serializers.Serializer):
    """Test counts as answered by the API (flaky: passed only on rerun, counted in passed)."""

    total = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    errored = serializers.IntegerField()
    skipped = serializers.IntegerField()
    flaky = serializers.IntegerField()


class SuiteRunRecordedSerializer(CountsSerializer):
    """The answer to a test-run upload (201 new, 200 replaced)."""

    run_id = serializers.CharField()
    replaced = serializers.BooleanField()
    model = serializers.CharField()
    task_type = serializers.CharField()
    outcome = serializers.CharField()
    pass_rate = serializers.FloatField(
        allow_null=True, help_text="passed / (passed + failed + errored)"
    )
    linked_calls = serializers.IntegerField(help_text="named calls already in the call log")
    unknown_call_ids = serializers.ListField(
        child=serializers.CharField(),
        help_text="named calls not logged yet; linked when they arrive",
    )


def _money(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=24, decimal_places=6, allow_null=True, help_text=help_text
    )


class PassRateSerializer(CountsSerializer):
    """One group's pass rate (rates are fractions, money is a USD decimal string)."""

    model = serializers.CharField(allow_null=True)
    task_type = serializers.CharField(allow_null=True)
    team = serializers.CharField(allow_null=True)
    day = serializers.DateField(allow_null=True)
    runs = serializers.IntegerField()
    executed = serializers.IntegerField(
        help_text="passed + failed + errored: what the rate is taken over"
    )
    pass_rate = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True, help_text="Wilson 95 % interval, lower bound")
    ci_high = serializers.FloatField(allow_null=True, help_text="Wilson 95 % interval, upper bound")
    promoted_runs = serializers.IntegerField()
    escalated_runs = serializers.IntegerField()
    linked_calls = serializers.IntegerField()
    priced_calls = serializers.IntegerField()
    unpriced_calls = serializers.IntegerField()
    cost_usd = _money("cost of the linked, priced calls")
    cost_per_call_usd = _money()
    cost_per_passing_test_usd = _money("cost_usd / passed")


class ComparisonSerializer(serializers.Serializer):
    task_type = serializers.CharField()
    mini = PassRateSerializer()
    full = PassRateSerializer()
    difference_pp = serializers.FloatField(
        allow_null=True, help_text="mini - full, percentage points"
    )
    difference_ci_low_pp = serializers.FloatField(allow_null=True)
    difference_ci_high_pp = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(
        allow_null=True, help_text="pooled two-proportion z-test, two-sided"
    )
    verdict = serializers.ChoiceField(
        choices=["insufficient_data", "no_significant_difference", "mini_worse", "mini_better"]
    )
    verdict_text = serializers.CharField()


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.CharField()
    model = serializers.CharField()
    task_type = serializers.CharField()
    state = serializers.CharField()
    raised_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True)
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    baseline_rate = serializers.FloatField()
    recent_rate = serializers.FloatField()
    baseline_executed = serializers.IntegerField()
    recent_executed = serializers.IntegerField()
    drop_pp = serializers.FloatField()
    p_value = serializers.FloatField()
    threshold_pp = serializers.FloatField()
    last_rate = serializers.FloatField(allow_null=True)
