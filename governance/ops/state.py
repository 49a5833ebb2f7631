"""Live state for /metrics, read at scrape time through each app's selectors.

Each reader yields (name, documentation, labels, value) and is registered in
OpsConfig.ready(). A reader that cannot reach the database yields nothing:
the scrape still shows the process metrics.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterator

from django.db import DatabaseError
from django.utils import timezone

from governance.budgets import selectors as budgets_selectors
from governance.budgets.models import BudgetState
from governance.core.jobs import jobs_gauges
from governance.flags import selectors as flags_selectors
from governance.policies import selectors as policies_selectors

logger = logging.getLogger("governance.ops")

Sample = tuple[str, str, dict[str, str], float]


def _guarded(reader: Callable[[], Iterator[Sample]]) -> Callable[[], Iterator[Sample]]:
    @functools.wraps(reader)
    def guarded() -> Iterator[Sample]:
        try:
            samples = list(reader())
        except DatabaseError as exc:
            logger.warning(
                "metrics.state_unavailable",
                extra={"reader": reader.__name__, "error": type(exc).__name__},
            )
            return
        yield from samples

    return guarded


@_guarded
def flags_state() -> Iterator[Sample]:
    snapshot = flags_selectors.flags_snapshot_current()
    yield (
        "governor_flags_snapshot_version",
        "Version of the flags snapshot served to clients.",
        {},
        float(snapshot.version),
    )
    yield ("governor_flags", "Flags defined.", {}, float(len(snapshot.specs)))


@_guarded
def policy_state() -> Iterator[Sample]:
    current = policies_selectors.policy_current()
    yield (
        "governor_policy_version",
        "Number of the policy version in force (0: none published).",
        {},
        float(current.number if current else 0),
    )
    for health in policies_selectors.model_health_list():
        yield (
            "governor_model_health",
            "1 for each model's current circuit state.",
            {"model": health.model, "state": health.state},
            1.0,
        )


@_guarded
def budget_state() -> Iterator[Sample]:
    counts = Counter(budgets_selectors.budgets_visible().values_list("state", flat=True))
    for state in BudgetState.values:
        yield (
            "governor_budgets",
            "Budgets in each state, as last evaluated.",
            {"state": state},
            float(counts.get(state, 0)),
        )


@_guarded
def jobs_state() -> Iterator[Sample]:
    yield from jobs_gauges(now=timezone.now())
