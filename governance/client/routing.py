"""The routing client: decides locally from Governor's policy snapshot and
ships call logs in the background. Standard library only; no Django.

    client = GovernorClient("https://governor.example", api_key)
    decision = client.decide(task_type="unit_test_draft", risk="low")
    ...call decision.model...
    client.log_call({"model": decision.model, "decision_id": decision.decision_id, ...})
    client.close()

A decision never makes a network call. The snapshot is refreshed by a
background thread with ETag polling (jittered interval, jittered exponential
backoff while Governor is unreachable); the last good snapshot is kept on disk,
so a restarted process decides with it before (or without) reaching Governor;
with neither, the built-in default policy decides. Call logs wait in a
bounded queue and go out in batches, retried until accepted; each carries a
call_id, which Governor deduplicates, so a batch resent after a lost answer
is never counted twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance.client.http import GovernorError, Transport
from governance.engine.context import context_parse
from governance.engine.default_policy import empty_snapshot
from governance.engine.policy import CompiledPolicy, Decision

logger = logging.getLogger("governance.client")

POLICY_PATH = "/api/v1/policy"
CALLS_PATH = "/api/v1/calls"
SOURCE_SERVER, SOURCE_DISK, SOURCE_DEFAULT = "server", "disk", "default"


def default_cache_dir() -> Path:
    configured = os.environ.get("GOVERNOR_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "governor"


class GovernorClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        cache_dir: str | Path | None = None,
        poll_interval: float = 30.0,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        request_timeout: float = 5.0,
        log_batch_size: int = 500,
        log_flush_interval: float = 2.0,
        log_buffer_max: int = 50_000,
        start: bool = True,
        rng: random.Random | None = None,
        transport: Transport | None = None,
        flag_evaluator: Callable | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_interval = poll_interval
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.log_batch_size = log_batch_size
        self.log_flush_interval = log_flush_interval
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        # One attempt per request: the background loop owns retries and backoff,
        # so a slow Governor never holds up polling or shipping for long.
        self._transport = transport or Transport(
            base_url, api_key, timeout=request_timeout, max_attempts=1
        )
        self._flag_evaluator = flag_evaluator
        key_id = hashlib.sha256(f"{self.base_url}\n{api_key}".encode()).hexdigest()[:16]
        self._cache_file = Path(cache_dir or default_cache_dir()) / f"policy-{key_id}.json"

        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._queue: deque[dict[str, Any]] = deque()
        self._queue_max = log_buffer_max
        self._inflight: list[dict[str, Any]] = []
        self.logs_sent = 0
        self.logs_dropped = 0
        self.logs_rejected = 0
        self._poll_failures = 0
        self._ship_failures = 0
        self._next_poll = 0.0
        self._next_ship = 0.0

        self._etag: str | None = None
        self.source = SOURCE_DEFAULT
        self._compiled = CompiledPolicy(empty_snapshot(), flag_evaluator=flag_evaluator)
        self._load_from_disk()

        self._thread: threading.Thread | None = None
        if start:
            self.start()

    # --- deciding ---------------------------------------------------------

    def decide(
        self,
        *,
        task_type: str = "",
        risk: str = "medium",
        environment: str = "other",
        targeting_key: str = "",
        attributes: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Decision:
        """The decision for a job, from the snapshot in memory: no network call.

        The context is read as `POST /api/v1/decide` reads it: a value Governor
        would refuse (a risk it does not know, an attribute that is not text,
        a number, a boolean or null) raises ContextInvalid, a ValueError
        naming each such field, rather than deciding on a context no rule
        was written for."""
        context = context_parse(
            {
                "task_type": task_type,
                "risk": risk,
                "environment": environment,
                "targeting_key": targeting_key,
                "attributes": attributes,
            }
        )
        return self._compiled.decide(context, now=now)

    @property
    def snapshot(self) -> Mapping[str, Any]:
        return self._compiled.snapshot

    @property
    def policy_version(self) -> int:
        return self._compiled.policy_version

    # --- the snapshot -------------------------------------------------------

    def refresh(self) -> bool:
        """Fetch the snapshot now (If-None-Match); True when a new one arrived.
        Raises GovernorError when Governor cannot be reached."""
        headers = {"If-None-Match": self._etag} if self._etag else {}
        response = self._transport.request(
            "GET", POLICY_PATH, headers=headers, ok_statuses=frozenset({200, 304})
        )
        if response.status == 304:
            self.source = SOURCE_SERVER
            return False
        snapshot = json.loads(response.body)
        compiled = CompiledPolicy(snapshot, flag_evaluator=self._flag_evaluator)
        etag = response.headers.get("etag")
        with self._lock:
            self._compiled, self._etag, self.source = compiled, etag, SOURCE_SERVER
        self._save_to_disk(snapshot, etag)
        logger.info("client.snapshot_updated", extra={"policy_version": compiled.policy_version})
        return True

    def _load_from_disk(self) -> None:
        try:
            stored = json.loads(self._cache_file.read_text())
            compiled = CompiledPolicy(stored["snapshot"], flag_evaluator=self._flag_evaluator)
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning(
                "client.disk_snapshot_unusable",
                extra={"path": str(self._cache_file), "error": str(exc)},
            )
            return
        self._compiled, self._etag, self.source = compiled, stored.get("etag"), SOURCE_DISK

    def _save_to_disk(self, snapshot: Mapping[str, Any], etag: str | None) -> None:
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=self._cache_file.parent, prefix=".policy-", suffix=".tmp"
            )
            with os.fdopen(fd, "w") as out:
                json.dump(
                    {"etag": etag, "saved_at": datetime.now(UTC).isoformat(), "snapshot": snapshot},
                    out,
                )
            # Atomic: a crash mid-write leaves the previous good copy in place.
            os.replace(tmp, self._cache_file)
        except OSError as exc:
            logger.warning(
                "client.disk_snapshot_not_saved",
                extra={"path": str(self._cache_file), "error": str(exc)},
            )

    # --- call logs ----------------------------------------------------------

    def log_call(self, record: Mapping[str, Any]) -> str:
        """Queue one call log for shipping; returns its call_id. Never blocks.
        When the queue is full the oldest log is dropped (and counted)."""
        item = dict(record)
        item.setdefault("call_id", uuid.uuid4().hex)
        item.setdefault("timestamp", datetime.now(UTC).isoformat())
        with self._lock:
            if len(self._queue) >= self._queue_max:
                self._queue.popleft()
                self.logs_dropped += 1
            self._queue.append(item)
            if len(self._queue) >= self.log_batch_size:
                self._wake.set()
        return item["call_id"]

    @property
    def logs_pending(self) -> int:
        with self._lock:
            return len(self._queue) + len(self._inflight)

    def ship_once(self) -> bool:
        """Send one batch now; True when it was accepted (or there was nothing
        to send). A batch that fails stays in flight and is sent again first."""
        with self._lock:
            if not self._inflight:
                count = min(self.log_batch_size, len(self._queue))
                self._inflight = [self._queue.popleft() for _ in range(count)]
            batch = list(self._inflight)
        if not batch:
            return True
        body = json.dumps({"calls": batch}).encode()
        try:
            response = self._transport.request("POST", CALLS_PATH, body=body)
        except GovernorError as exc:
            if (
                exc.status is not None
                and 400 <= exc.status < 500
                and exc.status not in (401, 403, 408, 425, 429)
            ):
                # The server refused the batch as a whole: resending it cannot help.
                with self._lock:
                    self.logs_rejected += len(batch)
                    self._inflight = []
                logger.error(
                    "client.logs_rejected", extra={"status": exc.status, "count": len(batch)}
                )
                return True
            return False
        rejected = _rejected_count(response.json() if response.body else None)
        with self._lock:
            self._inflight = []
            self.logs_sent += len(batch) - rejected
            self.logs_rejected += rejected
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        """Ship everything queued, retrying until `timeout`; True when all went."""
        deadline = time.monotonic() + timeout
        attempt = 0
        while self.logs_pending:
            if self.ship_once():
                attempt = 0
                continue
            attempt += 1
            delay = min(self._backoff(attempt), deadline - time.monotonic())
            if delay <= 0:
                return False
            time.sleep(delay)
        return True

    # --- background loop ----------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="governor-client", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the background thread after a last attempt to ship the logs."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush(timeout=timeout)

    def __enter__(self) -> GovernorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _backoff(self, failures: int) -> float:
        """Full jitter on an exponential ceiling, never less than a tenth of the base."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (failures - 1))
        return max(self.backoff_base / 10, self._rng.uniform(0, ceiling))

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= self._next_poll:
                self._poll_step(now)
            if self.logs_pending and now >= self._next_ship:
                self._ship_step(now)
            wait = (
                min(self._next_poll, self._next_ship if self.logs_pending else self._next_poll)
                - time.monotonic()
            )
            if wait > 0:
                self._wake.wait(min(wait, self.log_flush_interval))
                self._wake.clear()

    def _poll_step(self, now: float) -> None:
        try:
            self.refresh()
        except (GovernorError, ValueError) as exc:
            self._poll_failures += 1
            self._next_poll = now + self._backoff(self._poll_failures)
            logger.warning(
                "client.snapshot_refresh_failed",
                extra={"error": str(exc), "failures": self._poll_failures},
            )
            return
        self._poll_failures = 0
        # +-10 % so a fleet started together does not poll in lockstep.
        self._next_poll = now + self.poll_interval * self._rng.uniform(0.9, 1.1)

    def _ship_step(self, now: float) -> None:
        if self.ship_once():
            self._ship_failures = 0
            with self._lock:
                more = len(self._queue) >= self.log_batch_size
            self._next_ship = now if more else now + self.log_flush_interval
        else:
            self._ship_failures += 1
            self._next_ship = now + self._backoff(self._ship_failures)


def _rejected_count(body: Any) -> int:
    if isinstance(body, Mapping):
        rejected = body.get("rejected")
        if isinstance(rejected, list):
            return len(rejected)
        if isinstance(rejected, int):
            return rejected
    return 0
