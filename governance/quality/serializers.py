from __future__ import annotations

from rest_framework import serializers

from governance.quality.models import Outcome

MAX_CALL_IDS = 1000


class TestRunFieldsSerializer(serializers.Serializer):
    """The fields describing a run, shared by the JSON body and the JUnit query string."""

    __test__ = False

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
    attempt = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, required=False, allow_blank=True, default=""
    )


class TestRunCountsSerializer(TestRunFieldsSerializer):
    """A run posted as JSON with its counts; `total` (optional) must add up."""

    total = serializers.IntegerField(min_value=0, required=False)
    passed = serializers.IntegerField(min_value=0)
    failed = serializers.IntegerField(min_value=0)
    errored = serializers.IntegerField(min_value=0, required=False, default=0)
    skipped = serializers.IntegerField(min_value=0, required=False, default=0)
    flaky = serializers.IntegerField(min_value=0, required=False, default=0)

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


class JUnitQuerySerializer(TestRunFieldsSerializer):
    """Run fields as query parameters: `call_ids` comma-separated or repeated."""

    def to_internal_value(self, data):
        plain = {key: data.get(key) for key in data if key != "call_ids"}
        raw_ids = data.getlist("call_ids") if hasattr(data, "getlist") else data.get("call_ids", [])
        plain["call_ids"] = [
            part.strip() for value in raw_ids for part in value.split(",") if part.strip()
        ]
        return super().to_internal_value(plain)
