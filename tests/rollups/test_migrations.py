"""The migration that drops the call roll-up's daily rows keeps what was stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.migrations import migrate_to, migrated_to

BEFORE = [("rollups", "0001_rollups_from_calls_and_dashboard")]
AFTER = [("rollups", "0002_call_rollup_hours_only")]
HOUR = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def _row(CallRollup, team, client, *, granularity, status, calls):
    return CallRollup.objects.create(
        granularity=granularity, bucket=HOUR, team_id=team.pk, client_id=client.pk,
        model="gpt-5-codex", task_type="review", environment="ci", status=status, risk="low",
        calls=calls, input_tokens=1000 * calls, cost_usd_e10=10**8 * calls,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_hours_only_migration__daily_and_hourly_rows__daily_ones_go_hourly_ones_gain_error_calls():
    # Given the call roll-up as it was: an hour's rows and the day's row summing them
    with migrated_to(BEFORE) as old:
        team = old.get_model("accounts", "Team").objects.create(slug="t", name="T")
        client = old.get_model("accounts", "Client").objects.create(team=team, name="c")
        CallRollup = old.get_model("rollups", "CallRollup")
        _row(CallRollup, team, client, granularity="hour", status="ok", calls=3)
        _row(CallRollup, team, client, granularity="hour", status="error", calls=2)
        _row(CallRollup, team, client, granularity="day", status="ok", calls=3)
        _row(CallRollup, team, client, granularity="day", status="error", calls=2)

        # When the migration runs
        new = migrate_to(AFTER)

        # Then the hourly rows stay as they were, with their error calls, and the daily ones go
        rows = new.get_model("rollups", "CallRollup").objects.order_by("status")
        assert [(r.bucket, r.status, r.calls, r.error_calls, r.input_tokens) for r in rows] == [
            (HOUR, "error", 2, 2, 2000),
            (HOUR, "ok", 3, 0, 3000),
        ]

        # And going back restores the daily rows from the hourly ones
        back = migrate_to(BEFORE)
        restored = back.get_model("rollups", "CallRollup").objects
        assert sorted(restored.values_list("granularity", "status", "calls")) == [
            ("day", "error", 2),
            ("day", "ok", 3),
            ("hour", "error", 2),
            ("hour", "ok", 3),
        ]
