"""The migration that adds failing runs to the quality roll-up fills it for
the runs already stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.migrations import migrate_to, migrated_to

BEFORE = [("quality", "0003_suite_run_names")]
AFTER = [("quality", "0004_quality_rollup_failing_runs")]


@pytest.mark.django_db(transaction=True)
def test_failing_runs_migration__stored_runs__each_roll_up_row_counts_its_failing_runs():
    # Given runs and their roll-up as they were, on two days and two models
    with migrated_to(BEFORE) as old:
        team = old.get_model("accounts", "Team").objects.create(slug="t", name="T")
        client = old.get_model("accounts", "Client").objects.create(team=team, name="c")
        SuiteRun = old.get_model("quality", "SuiteRun")
        Rollup = old.get_model("quality", "QualityDailyRollup")
        runs = [
            # (day, model, failed, errored)
            (1, "gpt-5-codex-mini", 1, 0),
            (1, "gpt-5-codex-mini", 0, 2),
            (1, "gpt-5-codex-mini", 0, 0),
            (1, "gpt-5-codex", 0, 0),
            (2, "gpt-5-codex-mini", 3, 1),
        ]
        for i, (day, model, failed, errored) in enumerate(runs):
            moment = datetime(2026, 11, day, 23, 30, tzinfo=UTC)
            SuiteRun.objects.create(
                client=client, team=team, run_id=f"r{i}", timestamp=moment, received_at=moment,
                model=model, task_type="unit-tests", total=5 + failed + errored, passed=5,
                failed=failed, errored=errored, skipped=0,
            )  # fmt: skip
        for day, model, count in [(1, "gpt-5-codex-mini", 3), (1, "gpt-5-codex", 1)]:
            Rollup.objects.create(
                day=date(2026, 11, day), team=team, model=model, task_type="unit-tests", runs=count
            )
        Rollup.objects.create(
            day=date(2026, 11, 2), team=team, model="gpt-5-codex-mini", task_type="unit-tests",
            runs=1,
        )  # fmt: skip

        # When the migration runs
        new = migrate_to(AFTER)

        # Then every row counts the runs of its day and model with a failed or errored test
        rows = new.get_model("quality", "QualityDailyRollup").objects.order_by("day", "model")
        assert [(r.day.day, r.model, r.runs, r.failing_runs) for r in rows] == [
            (1, "gpt-5-codex", 1, 0),
            (1, "gpt-5-codex-mini", 3, 2),
            (2, "gpt-5-codex-mini", 1, 1),
        ]
