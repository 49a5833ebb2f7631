"""Job steps (the escalation chains the routing advisor counts) read from
the per-day counts where a day has not changed since it was counted, and
from the raw runs where it has: the same answer either way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.quality import selectors
from governance.quality.services import job_steps_refresh
from governance.quality.services import rollup as rollup_services
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.quality.factories import NOW, record_run

pytestmark = pytest.mark.django_db

FULL, MINI = "gpt-5-codex", "gpt-5-codex-mini"
TODAY = NOW.date()
FIRST_DAY, LAST_DAY = TODAY - timedelta(days=6), TODAY


def escalated_job(client, job: str, *, days_ago: int, redo_passed: int = 9) -> None:
    """A mini attempt that failed and escalated, and the full model's redo."""
    at = NOW - timedelta(days=days_ago)
    record_run(
        client=client, passed=2, failed=8, model=MINI, job=job, attempt=1,
        outcome="escalated", timestamp=at,
    )  # fmt: skip
    record_run(
        client=client, passed=redo_passed, failed=10 - redo_passed, model=FULL, job=job,
        attempt=2, timestamp=at + timedelta(minutes=5),
    )  # fmt: skip


def promoted_job(client, job: str, *, days_ago: int) -> None:
    record_run(
        client=client, passed=10, model=MINI, job=job, attempt=1, outcome="promoted",
        timestamp=NOW - timedelta(days=days_ago),
    )  # fmt: skip


def steps(team_id=None) -> dict[tuple, tuple[int, int, int]]:
    return {
        (s.first, s.model, s.outcome, s.previous_model): (s.runs, s.passed, s.executed)
        for s in selectors.job_steps(first_day=FIRST_DAY, last_day=LAST_DAY, team_id=team_id)
    }


@pytest.fixture
def month():
    payments = ClientFactory(team=TeamFactory(slug="payments"))
    search = ClientFactory(team=TeamFactory(slug="search"))
    escalated_job(payments, "a", days_ago=3)
    escalated_job(payments, "b", days_ago=2, redo_passed=10)
    promoted_job(payments, "c", days_ago=2)
    promoted_job(search, "d", days_ago=1)
    # A run outside any job is no step of one.
    record_run(client=search, passed=5, model=MINI, timestamp=NOW - timedelta(days=1))
    return payments, search


EXPECTED = {
    (True, MINI, "escalated", ""): (2, 4, 20),
    (True, MINI, "promoted", ""): (2, 20, 20),
    (False, FULL, "", MINI): (2, 19, 20),
}


def test_job_steps__raw_runs__first_attempts_and_the_redo_of_escalated_ones(month):
    payments, search = month
    assert steps() == EXPECTED
    assert steps(team_id=search.team_id) == {(True, MINI, "promoted", ""): (1, 10, 10)}


def test_job_steps__refreshed_days__same_answer_without_reading_raw_runs(month):
    payments, _ = month
    assert job_steps_refresh(today=TODAY, days=7) == 7

    with CaptureQueriesContext(connection) as queries:
        assert steps() == EXPECTED
    # The days counted at their current version, their rows: no raw runs.
    assert len(queries) == 2
    assert not any("quality_suiterun" in q["sql"] for q in queries.captured_queries)
    assert steps(team_id=payments.team_id) == {
        (True, MINI, "escalated", ""): (2, 4, 20),
        (True, MINI, "promoted", ""): (1, 10, 10),
        (False, FULL, "", MINI): (2, 19, 20),
    }
    # Nothing changed: a second refresh counts no day again.
    assert job_steps_refresh(today=TODAY, days=7) == 0


def test_job_steps__run_recorded_on_a_counted_day__that_day_is_read_raw_until_counted_again(month):
    payments, _ = month
    job_steps_refresh(today=TODAY, days=7)

    promoted_job(payments, "e", days_ago=3)

    assert steps()[(True, MINI, "promoted", "")] == (3, 30, 30)
    assert job_steps_refresh(today=TODAY, days=7) == 1
    with CaptureQueriesContext(connection) as queries:
        assert steps()[(True, MINI, "promoted", "")] == (3, 30, 30)
    assert not any("quality_suiterun" in q["sql"] for q in queries.captured_queries)


def test_job_steps__write_lands_while_a_day_is_counted__the_day_stays_stale_not_wrong(
    month, monkeypatch
):
    payments, _ = month
    count_days = rollup_services.job_steps_of_days

    def count_then_write(days, **kwargs):
        counted = count_days(days, **kwargs)
        promoted_job(payments, "late", days_ago=3)
        return counted

    monkeypatch.setattr(rollup_services, "job_steps_of_days", count_then_write)
    job_steps_refresh(today=TODAY, days=7)

    # The day was stored at the version read before the late run: it is read raw.
    assert steps()[(True, MINI, "promoted", "")] == (3, 30, 30)
    monkeypatch.undo()
    assert job_steps_refresh(today=TODAY, days=7) == 1
    assert steps()[(True, MINI, "promoted", "")] == (3, 30, 30)
