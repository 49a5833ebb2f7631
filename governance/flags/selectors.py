"""Reads of flags. Evaluation reads an in-process snapshot, never the flag rows per request."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from governance.core.freshness import Generation, Memo
from governance.engine.flag_spec import FlagSpec, flag_spec_from_dict
from governance.engine.flags import Resolution, evaluate_flag
from governance.flags.models import Flag, FlagsVersion

STALE_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class FlagsSnapshot:
    """Every flag as a spec, as of one version of the flags."""

    version: int
    token: str
    specs: dict[str, FlagSpec]
    dicts: tuple[dict, ...]


def flags_version() -> tuple[int, str]:
    row = FlagsVersion.objects.filter(pk=1).values_list("version", "token").first()
    return row if row is not None else (0, "initial")


def _snapshot_build(current: Hashable | None) -> tuple[Hashable | None, FlagsSnapshot]:
    # Kept under the version read before the flags, which are never older than it.
    version, token = current if isinstance(current, tuple) else flags_version()
    dicts = tuple(
        flag.spec_dict() for flag in Flag.objects.filter(archived_at__isnull=True).order_by("key")
    )
    specs = {d["key"]: flag_spec_from_dict(d) for d in dicts}
    return (version, token), FlagsSnapshot(version=version, token=token, specs=specs, dicts=dicts)


# The flags version row (its number and token) is the generation
# (governance.core.freshness).
FLAGS_GENERATION = Generation("flags", read=flags_version)
_memory = Memo(FLAGS_GENERATION, _snapshot_build)


def flags_snapshot_current() -> FlagsSnapshot:
    """The snapshot, rebuilt only when the flags changed in any process.

    One generation check per call (see governance.core.freshness); call it
    once per request.
    """
    return _memory.get()


def flags_snapshot() -> list[dict]:
    """All flags as spec dicts (see governance.engine.flag_spec), from the in-process snapshot."""
    return [dict(d) for d in flags_snapshot_current().dicts]


def flag_list() -> QuerySet[Flag]:
    return Flag.objects.filter(archived_at__isnull=True).order_by("key")


def flag_get(*, key: str) -> Flag | None:
    return Flag.objects.filter(key=key).first()


def flag_is_stale(*, flag: Flag, now: datetime) -> bool:
    """Past its expiry date, or not evaluated for 30 days (counting from creation)."""
    if flag.expires_at is not None and flag.expires_at <= now:
        return True
    last_seen = flag.last_evaluated_at or flag.created_at
    return now - last_seen > STALE_AFTER


def flags_stale(*, now: datetime) -> QuerySet[Flag]:
    cutoff = now - STALE_AFTER
    return Flag.objects.filter(
        Q(expires_at__lte=now)
        | Q(last_evaluated_at__lt=cutoff)
        | Q(last_evaluated_at__isnull=True, created_at__lt=cutoff)
    )


def flag_evaluate(*, key: str, context: dict, now: datetime) -> Resolution | None:
    """Evaluate one flag from the snapshot; None when no flag has that key."""
    spec = flags_snapshot_current().specs.get(key)
    if spec is None:
        return None
    return evaluate_flag(spec, context, now=now)
