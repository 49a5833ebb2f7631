"""Demo data for the dashboard: its roll-ups of the demo's calls.

They are rebuilt from the stored calls for the last 90 days, so the
loader is safe to run again and correct whether or not the ingestion path
already counted the calls.
"""

from __future__ import annotations

from datetime import timedelta

from governance.dashboard.services import rollups_dashboard_rebuild


def load(*, rng, now, out) -> None:
    counted = rollups_dashboard_rebuild(start=now - timedelta(days=90), end=now + timedelta(days=1))
    out.write(f"demo: roll-ups rebuilt from {counted} calls")
