"""How an in-process cache knows it is stale, and the one ETag of a body.

Each cached thing (the policy snapshot, the flags, the price book, the API
keys the decision endpoints remember) has a *generation*: a value stored in a
row of its own app's table and replaced, in the transaction of every change,
by a new random one (`generation_new`). Random rather than a counter: a
counter goes back when a change is rolled back, so the number a process
cached inside the rolled-back transaction would later come back meaning other
content.

`Generation.current()` says which generation is in force. The shared cache
(Redis) mirrors the row, so a check is one cache GET; the row is read instead
when the mirror is missing, when the cache is the per-process memory of the
embedded default (it cannot tell one process about another's change), and
inside a transaction (which may see its own uncommitted change and must not
mirror it). A change clears the mirror in its transaction and sets it once
committed, so no process can mirror the old value over the new one; the
mirror also expires, which bounds what a process dying between its commit
and that set can leave behind.

`Memo` holds one value per process and rebuilds it when the generation moves
on, checking at most every `check_every` seconds (0: on every read), and on
every read while nothing is stored yet.
`HostGeneration` is for what must be checked on every request at no cost:
the API keys the decision endpoints remember.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import secrets
import struct
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction

T = TypeVar("T")

# How long the shared cache keeps a mirrored generation before the row is read again.
MIRROR_SECONDS = 60
_WORD = struct.Struct("<Q")


def generation_new() -> int:
    """A fresh generation: 62 random bits, never 0 (the value of a row never written)."""
    return secrets.randbits(62) + 1


def _cache_is_shared() -> bool:
    return not isinstance(caches["default"], LocMemCache | DummyCache)


class Generation:
    """The generation of one cached thing; `read` returns it from its row
    (None while the row does not exist)."""

    def __init__(self, name: str, *, read: Callable[[], Hashable | None]) -> None:
        self.key = f"generation:{name}"
        self._read = read
        # Bumped by this process's own changes, so its memos look at once.
        self.local_changes = 0

    def current(self) -> Hashable | None:
        if connection.in_atomic_block or not _cache_is_shared():
            return self._read()
        value = cache.get(self.key)
        if value is None:
            value = self._read()
            if value is not None:
                # add, not set: a change committed meanwhile has set the new value.
                cache.add(self.key, value, MIRROR_SECONDS)
        return value

    def changed(self, value: Hashable) -> None:
        """Call in the transaction that stored `value` in the row."""
        cache.delete(self.key)
        self.local_changes += 1

        def mirror() -> None:
            cache.set(self.key, value, MIRROR_SECONDS)
            self.local_changes += 1

        transaction.on_commit(mirror)


class HostGeneration(Generation):
    """A generation checked on every request without leaving the process.

    A change committed on this machine is also written into a word of memory
    that every process of the machine shares (a file under GOVERNOR_VAR_DIR
    mapped into each), so the very next read in any of them sees it, at the
    cost of a memory read rather than a round trip to the cache. A change
    committed on another machine arrives through the installation's
    generation (as `Generation`), which each process reads at most every
    `shared_every` seconds. `current()` is the pair of both.
    """

    def __init__(
        self, name: str, *, read: Callable[[], Hashable | None], shared_every: float
    ) -> None:
        super().__init__(name, read=read)
        self._filename = name.replace(":", "-") + ".generation"
        self._shared_every = shared_every
        self._shared: Hashable | None = None
        self._shared_at = float("-inf")
        self._seen_local = -1
        self._words: mmap.mmap | None = None
        # A forked child maps the file again rather than share the parent's object.
        os.register_at_fork(after_in_child=self._unmap)

    def _unmap(self) -> None:
        self._words = None

    def _mapped(self) -> mmap.mmap:
        if self._words is None:
            path = Path(settings.VAR_DIR) / self._filename
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size < _WORD.size:
                    os.ftruncate(fd, _WORD.size)
                self._words = mmap.mmap(fd, _WORD.size)
            finally:
                os.close(fd)
        return self._words

    def current(self) -> Hashable | None:
        if connection.in_atomic_block:
            return self._read()
        now = time.monotonic()
        if now - self._shared_at >= self._shared_every or self._seen_local != self.local_changes:
            self._seen_local = self.local_changes
            self._shared, self._shared_at = super().current(), now
        return (_WORD.unpack_from(self._mapped())[0], self._shared)

    def changed(self, value: Hashable) -> None:
        if not isinstance(value, int):
            raise TypeError("a machine-wide generation is a whole number")
        super().changed(value)
        transaction.on_commit(lambda: _WORD.pack_into(self._mapped(), 0, value))


class Memo(Generic[T]):
    """One value per process, rebuilt when its generation moves on.

    `build(current)` returns the value and the generation it was built from:
    the row's own when the content is read with it, else the `current` it was
    given (read before the content, so the content is never older than it).
    """

    def __init__(
        self,
        generation: Generation,
        build: Callable[[Hashable | None], tuple[Hashable | None, T]],
        *,
        check_every: float = 0.0,
    ) -> None:
        self.generation = generation
        self._build = build
        self._check_every = check_every
        self._lock = threading.Lock()
        # (generation built from, value) as one attribute, so that a reader in
        # another thread never pairs one build's generation with another's value.
        self._entry: tuple[Hashable | None, T] | None = None
        self._checked_at = float("-inf")
        self._local_changes = -1

    def get(self) -> T:
        now = time.monotonic()
        entry = self._entry
        # A value built while nothing was stored (generation None) is checked
        # on every read: what another process stores next must be seen at
        # once, not a whole interval later.
        if (
            entry is not None
            and entry[0] is not None
            and now - self._checked_at < self._check_every
            and self._local_changes == self.generation.local_changes
        ):
            return entry[1]
        local_changes = self.generation.local_changes
        current = self.generation.current()
        if entry is None or current != entry[0]:
            with self._lock:
                entry = self._entry = self._build(current)
        self._checked_at, self._local_changes = now, local_changes
        return entry[1]

    def reset(self) -> None:
        """Forget the value (tests; a process after a fork)."""
        with self._lock:
            self._entry = None
            self._checked_at = float("-inf")


def canonical_json(data: Any) -> bytes:
    """One byte form per JSON value (sorted keys, no spaces), so equal content
    has an equal ETag."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def etag_for(body: bytes) -> str:
    """A strong ETag of a response body, quoted as sent in headers."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, as
    RFC 9110 asks for If-None-Match; "*" matches any)."""
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False
