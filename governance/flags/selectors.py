"""Reads of flags. Evaluation reads an in-process snapshot, never the flag rows per request."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

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

    @property
    def etag(self) -> str:
        """A strong ETag of the flag definitions (quoted, as sent in headers)."""
        return f'"flags-{self.version}-{self.token}"'


_lock = threading.Lock()
_current: FlagsSnapshot | None = None


def _version_row() -> tuple[int, str]:
    row = FlagsVersion.objects.filter(pk=1).values_list("version", "token").first()
    return row if row is not None else (0, "initial")


def flags_snapshot_current() -> FlagsSnapshot:
    """The snapshot, rebuilt only when the version row says the flags changed.

    One primary-key read per call; call it once per request.
    """
    global _current
    version, token = _version_row()
    snapshot = _current
    if snapshot is not None and snapshot.token == token and snapshot.version == version:
        return snapshot
    with _lock:
        flags = list(Flag.objects.order_by("key"))
        dicts = tuple(flag.spec_dict() for flag in flags)
        specs = {d["key"]: flag_spec_from_dict(d) for d in dicts}
        snapshot = FlagsSnapshot(version=version, token=token, specs=specs, dicts=dicts)
        _current = snapshot
    return snapshot


def flags_snapshot() -> list[dict]:
    """All flags as spec dicts (see governance.engine.flag_spec), from the in-process snapshot."""
    return [dict(d) for d in flags_snapshot_current().dicts]


def flags_snapshot_etag() -> str:
    return flags_snapshot_current().etag


def flags_digest(payload: object) -> str:
    """A strong ETag for a JSON response body."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def flag_list() -> QuerySet[Flag]:
    return Flag.objects.order_by("key")


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
