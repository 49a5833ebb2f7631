"""The policy snapshot as served: one global body in the database (pk=1),
held in each process's memory, and a per-client view of it derived on first
use (the client's own team and budget only, since a key sees only its team).

Freshness: each process checks the current generation number at most every
`CHECK_INTERVAL` seconds (so a request usually touches neither cache nor
database), reading it from the cache (one GET), falling back to one
primary-key read every `GENERATION_TTL` seconds. A rebuild is seen at once by
the process that made it; by the others within `CHECK_INTERVAL` with a shared
cache (Redis), within `CHECK_INTERVAL + GENERATION_TTL` with the per-process
local-memory cache of the embedded default.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction

from governance.engine.policy import CompiledPolicy
from governance.policies.models import PolicySnapshot

GENERATION_KEY = "policies:snapshot:generation"
GENERATION_TTL = 2
CHECK_INTERVAL = 1.0
MAX_VIEWS = 10_000


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


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


class _Memory:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: int | None = None
        self.checked_at = float("-inf")
        self.body: dict[str, Any] | None = None
        self.views: dict[tuple[int, str | None, str | None], ClientView] = {}


_memory = _Memory()


def generation_publish(*, generation: int) -> None:
    """Tell every process a new snapshot exists, once the rebuild is committed
    (and this process at its next request)."""

    def publish() -> None:
        cache.set(GENERATION_KEY, generation, GENERATION_TTL)
        _memory.checked_at = float("-inf")

    transaction.on_commit(publish)


def _current_generation() -> int | None:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = (
            PolicySnapshot.objects.filter(pk=1).values_list("generation", flat=True).first()
        )
        if generation is not None:
            cache.set(GENERATION_KEY, generation, GENERATION_TTL)
    return generation


def snapshot_global() -> dict[str, Any] | None:
    """The current global snapshot body, from memory when it is current."""
    now = time.monotonic()
    if _memory.body is not None and now - _memory.checked_at < CHECK_INTERVAL:
        return _memory.body
    generation = _current_generation()
    _memory.checked_at = now
    if generation is None:
        return None
    if generation != _memory.generation:
        row = PolicySnapshot.objects.filter(pk=1).values_list("generation", "body").first()
        if row is None:
            return None
        with _memory.lock:
            # The generation is the row's own, so a half-published rebuild can
            # never be cached under the new number.
            _memory.generation, _memory.body = row
            _memory.views = {}
    return _memory.body


def view_build(*, body: dict[str, Any], team: str | None, client: str | None) -> dict[str, Any]:
    budgets = body.get("budgets") or {}
    return {
        "schema": body["schema"],
        "policy_version": body["policy_version"],
        "policy": body["policy"],
        "flags": body.get("flags") or {},
        "budgets": {k: budgets[k] for k in (team, "*") if k is not None and k in budgets},
        "models": body.get("models") or {},
        "team": team,
        "client": client,
    }


def snapshot_for_client(*, client_id: int, team: str, client: str) -> ClientView | None:
    body = snapshot_global()
    if body is None:
        return None
    # Keyed by name and team too: a renamed or moved client gets a fresh view.
    memo_key = (client_id, team, client)
    view = _memory.views.get(memo_key)
    if view is None:
        data = view_build(body=body, team=team, client=client)
        raw = canonical_json(data)
        view = ClientView(etag=etag_for(raw), body=raw, snapshot=data)
        with _memory.lock:
            if len(_memory.views) >= MAX_VIEWS:
                _memory.views = {}
            _memory.views[memo_key] = view
    return view


def memory_reset() -> None:
    """Forget the in-process copy (tests; a process after a fork)."""
    with _memory.lock:
        _memory.generation, _memory.body, _memory.views = None, None, {}
        _memory.checked_at = float("-inf")
