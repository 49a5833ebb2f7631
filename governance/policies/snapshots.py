"""The policy snapshot as served: one global body in the database (pk=1),
held in each process's memory, and a per-client view of it derived on first
use (the client's own team and budget only, since a key sees only its team).

Freshness (governance.core.freshness): each process checks the snapshot's
generation at most every `CHECK_INTERVAL` seconds, so a request usually
touches neither the cache nor the database. A rebuild is seen at once by the
process that made it, and by the others at their next check.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from governance.core.freshness import Generation, Memo, canonical_json, etag_for
from governance.engine.policy import CompiledPolicy
from governance.policies.models import PolicySnapshot

CHECK_INTERVAL = 1.0
MAX_VIEWS = 10_000


@dataclass
class ClientView:
    etag: str
    body: bytes
    snapshot: dict[str, Any]
    _compiled: CompiledPolicy | None = None

    @property
    def compiled(self) -> CompiledPolicy:
        if self._compiled is None:
            self._compiled = CompiledPolicy(self.snapshot)
        return self._compiled


@dataclass
class _Stored:
    """The stored body (None before the first rebuild) and the views derived from it."""

    body: dict[str, Any] | None
    views: dict[tuple[int, str | None, str | None], ClientView] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _row_generation() -> int | None:
    return PolicySnapshot.objects.filter(pk=1).values_list("generation", flat=True).first()


def _stored(current: Hashable | None) -> tuple[Hashable | None, _Stored]:
    # The generation read with the body, so a body is never kept under a
    # generation it is older than.
    row = PolicySnapshot.objects.filter(pk=1).values_list("generation", "body").first()
    if row is None:
        return None, _Stored(body=None)
    return row[0], _Stored(body=row[1])


SNAPSHOT_GENERATION = Generation("policies:snapshot", read=_row_generation)
_memory = Memo(SNAPSHOT_GENERATION, _stored, check_every=CHECK_INTERVAL)


def snapshot_global() -> dict[str, Any] | None:
    """The current global snapshot body, from memory when it is current."""
    return _memory.get().body


# Worse states win when a team's own circuit and the organisation's disagree.
_HEALTH_RANK = {"healthy": 0, "half_open": 1, "degraded": 2}


def _models_for(body: dict[str, Any], team: str | None) -> dict[str, Any]:
    models = body.get("models") or {}
    own = (body.get("team_health") or {}).get(team or "") or {}
    if not own:
        return models
    merged = dict(models)
    for name, state in own.items():
        entry = merged.get(name)
        if entry is not None and _HEALTH_RANK.get(state, 0) > _HEALTH_RANK.get(entry["health"], 0):
            merged[name] = {**entry, "health": state}
    return merged


def view_build(*, body: dict[str, Any], team: str | None, client: str | None) -> dict[str, Any]:
    """A client's snapshot: its own team's budgets and model health only."""
    budgets = body.get("budgets") or {}
    return {
        "schema": body["schema"],
        "policy_version": body["policy_version"],
        "policy": body["policy"],
        "flags": body.get("flags") or {},
        "budgets": {k: budgets[k] for k in (team, "*") if k is not None and k in budgets},
        "models": _models_for(body, team),
        "team": team,
        "client": client,
    }


def snapshot_for_client(*, client_id: int, team: str, client: str) -> ClientView | None:
    stored = _memory.get()
    if stored.body is None:
        return None
    # Keyed by name and team too: a renamed or moved client gets a fresh view.
    memo_key = (client_id, team, client)
    view = stored.views.get(memo_key)
    if view is None:
        data = view_build(body=stored.body, team=team, client=client)
        raw = canonical_json(data)
        view = ClientView(etag=etag_for(raw), body=raw, snapshot=data)
        with stored.lock:
            if len(stored.views) >= MAX_VIEWS:
                stored.views.clear()
            stored.views[memo_key] = view
    return view


def memory_reset() -> None:
    """Forget the in-process copy (tests; a process after a fork)."""
    _memory.reset()
