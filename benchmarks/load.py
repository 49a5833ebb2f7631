"""Mixed load on loopback: ingestion, decisions and dashboard pages together.

    python benchmarks/load.py [--duration 120] [--ingesters 2] [--deciders 2] [--readers 1] [--workers 3]

Serves Governor with its production web server on a fresh PostgreSQL database, then, for a
bounded time, runs concurrent clients:
  - ingesters posting batches of calls (POST /api/v1/calls),
  - deciders asking for decisions (POST /api/v1/decide when the server has
    it, else OFREP flag evaluation, the other per-request decision),
  - readers opening the dashboard pages as a signed-in manager.
Before that, the same number of clients hit GET /healthz for a short while:
the baseline (the cheapest request through the same server, middleware and
connections). Reports per kind: requests, throughput, p50 and p99 latency and
errors (which must be 0), the mix's throughput as a ratio of the baseline,
and writes them into RESULTS.md. Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import manage, migrated_database, web_server, write_section  # noqa: E402

DATABASE = "gov_ops_load"
PAGES_WANTED = [
    "/",
    "/spend/",
    "/savings/",
    "/quality/",
    "/burn-down/",
    "/budgets/",
    "/flags/",
    "/audit/",
]

SESSION_SCRIPT = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from governance.accounts import roles
user, _ = User.objects.get_or_create(username="load-manager")
user.groups.add(Group.objects.get(name=roles.MANAGER_GROUP))
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if error is not None:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(error)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Request = Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]


def run_clients(
    base: str, kinds: dict[str, tuple[int, Request]], duration: float
) -> dict[str, Tally]:
    """Run `count` threads per kind, each sending its requests back to back until time is up."""
    url = urlsplit(base)
    assert url.hostname == "127.0.0.1", "the load test only ever targets loopback"
    tallies = {kind: Tally() for kind in kinds}
    stop_at = time.monotonic() + duration

    def client(kind: str, make: Request, thread_no: int) -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        n = 0
        while time.monotonic() < stop_at:
            method, path, body, headers = make(thread_no * 1_000_000 + n)
            n += 1
            started = time.perf_counter()
            error = None
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                if response.status >= 400 or (
                    kind == "ingest" and json.loads(payload).get("rejected")
                ):
                    error = f"{method} {path} -> {response.status} {payload[:200]!r}"
            except (OSError, http.client.HTTPException, ValueError) as exc:
                error = f"{method} {path} -> {type(exc).__name__}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            tallies[kind].add(time.perf_counter() - started, error)
        conn.close()

    threads = [
        threading.Thread(target=client, args=(kind, make, i), daemon=True)
        for kind, (count, make) in kinds.items()
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    return tallies


def calls_batch(seq: int, size: int) -> bytes:
    now = datetime.now(UTC) - timedelta(minutes=1)
    return json.dumps(
        {
            "calls": [
                {
                    "call_id": f"load-{seq}-{i}",
                    "timestamp": now.isoformat(),
                    "model": "gpt-5-codex-mini" if i % 3 else "gpt-5-codex",
                    "task_type": ("boilerplate", "test_generation", "review")[i % 3],
                    "risk": ("low", "medium", "high")[i % 3],
                    "environment": "ci",
                    "input_tokens": 2000 + i,
                    "cached_input_tokens": 500,
                    "output_tokens": 400,
                    "latency_ms": 900,
                    "status": "ok",
                }
                for i in range(size)
            ]
        }
    ).encode()


def server_paths(base: str, key: str, session: str) -> tuple[bool, list[str]]:
    """Whether /api/v1/decide exists, and which dashboard pages answer 200."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request("GET", "/api/schema/", headers={"Accept": "application/json"})
    schema = conn.getresponse().read().decode()
    pages = []
    for page in PAGES_WANTED:
        conn.request("GET", page, headers={"Cookie": f"sessionid={session}"})
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            pages.append(page)
    conn.close()
    return "/api/v1/decide" in schema, pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=120.0, help="seconds of mixed load (bounded)"
    )
    parser.add_argument(
        "--baseline", type=float, default=10.0, help="seconds of the /healthz baseline"
    )
    parser.add_argument("--ingesters", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--deciders", type=int, default=2)
    parser.add_argument("--readers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=3, help="web server workers")
    parser.add_argument("--threads", type=int, default=2, help="Python threads per worker")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    if not 0 < args.duration <= 900:
        parser.error("--duration must be in (0, 900] seconds")

    env = migrated_database(
        DATABASE,
        GOVERNOR_API_KEY_RATE="1000000/min",
        GOVERNOR_OFREP_RATE="1000000/min",
        LOG_LEVEL="ERROR",
    )
    key = (
        manage(env, "create_client", "--team", "load", "--name", "load-runner")
        .strip()
        .splitlines()[-1]
    )
    session = manage(env, "shell", "-c", SESSION_SCRIPT).strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    cookie = {"Cookie": f"sessionid={session}"}

    with web_server(env, workers=args.workers, threads=args.threads) as base:
        has_decide, pages = server_paths(base, key, session)
        clients = args.ingesters + args.deciders + args.readers
        baseline = run_clients(
            base, {"healthz": (clients, lambda n: ("GET", "/healthz", None, {}))}, args.baseline
        )

        def decide(n: int):
            if has_decide:
                body = {"task_type": "test_generation", "risk": "low", "environment": "ci"}
                return "POST", "/api/v1/decide", json.dumps(body).encode(), auth
            body = {"context": {"targetingKey": f"job-{n}", "task_type": "test_generation"}}
            return "POST", "/ofrep/v1/evaluate/flags", json.dumps(body).encode(), auth

        kinds: dict[str, tuple[int, Request]] = {
            "ingest": (
                args.ingesters,
                lambda n: ("POST", "/api/v1/calls", calls_batch(n, args.batch), auth),
            ),
            "decide" if has_decide else "decide (OFREP)": (args.deciders, decide),
        }
        if pages and args.readers:
            kinds["pages"] = (args.readers, lambda n: ("GET", pages[n % len(pages)], None, cookie))
        mix = run_clients(base, kinds, args.duration)

    base_rate = len(baseline["healthz"].latencies) / args.baseline
    rows = []
    total_requests = total_errors = 0
    for kind, tally in mix.items():
        count = len(tally.latencies)
        total_requests += count
        total_errors += tally.errors
        extra = f" ({count * args.batch / args.duration:,.0f} calls/s)" if kind == "ingest" else ""
        rows.append(
            f"| {kind} | {count:,} | {count / args.duration:,.1f}{extra} | {percentile(tally.latencies, 0.5) * 1000:.1f} | "
            f"{percentile(tally.latencies, 0.99) * 1000:.1f} | {tally.errors} |"
        )
    mix_rate = total_requests / args.duration
    table = "\n".join(
        [
            "| traffic | requests | req/s | p50 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| baseline: GET /healthz | {len(baseline['healthz'].latencies):,} | {base_rate:,.1f} | "
            f"{percentile(baseline['healthz'].latencies, 0.5) * 1000:.1f} | {percentile(baseline['healthz'].latencies, 0.99) * 1000:.1f} | {baseline['healthz'].errors} |",
            *rows,
        ]
    )
    body = (
        f"`python benchmarks/load.py --duration {args.duration:g}`: {args.ingesters} ingesters (batches of {args.batch}), "
        f"{args.deciders} deciders, {args.readers if pages else 0} page readers ({', '.join(pages) or 'no pages yet'}) "
        f"against Granian with {args.workers} workers x {args.threads} threads on PostgreSQL, all on loopback.\n\n{table}\n\n"
        f"Mixed throughput: {mix_rate:,.1f} req/s = **{mix_rate / base_rate:.2f}x** the /healthz baseline; "
        f"errors: **{total_errors}**."
    )
    print(body)
    for tally in mix.values():
        for sample in tally.error_samples:
            print("error:", sample, file=sys.stderr)
    if not args.no_write:
        write_section("Load: ingestion, decisions and pages together", body)
    return 1 if total_errors or baseline["healthz"].errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
