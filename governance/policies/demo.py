"""Demo policy: the shipped default published as version 1, model health
evaluated from the demo's calls, and the snapshot built. Safe to run again."""

from __future__ import annotations

from governance.policies.services import (
    model_health_evaluate,
    policy_default_publish,
    policy_snapshot_rebuild,
)


def load(*, rng, now, out) -> None:
    version = policy_default_publish(actor="system:demo")
    model_health_evaluate(now=now)
    snapshot = policy_snapshot_rebuild()
    out.write(
        f"  policy version {version.number} in force; snapshot generation {snapshot.generation}"
    )
