"""Live state for /metrics, read at scrape time through each app's selectors.

Each reader yields (name, documentation, labels, value). Apps that own
state worth watching (policy snapshot version, budget states) add a reader
here and register it in OpsConfig.ready().
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError

logger = logging.getLogger("governance.ops")

Sample = tuple[str, str, dict[str, str], float]


def flags_state() -> Iterator[Sample]:
    from governance.flags.selectors import flags_snapshot_current

    try:
        snapshot = flags_snapshot_current()
    except DatabaseError as exc:
        # A scrape during a database outage still shows the process metrics.
        logger.warning(
            "metrics.state_unavailable", extra={"reader": "flags", "error": type(exc).__name__}
        )
        return
    yield (
        "governor_flags_snapshot_version",
        "Version of the flags snapshot served to clients.",
        {},
        float(snapshot.version),
    )
    yield ("governor_flags", "Flags defined.", {}, float(len(snapshot.specs)))
