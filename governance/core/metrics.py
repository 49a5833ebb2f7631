"""Prometheus metrics, defined once.

Under the web server every worker is a separate process, so counters live in
prometheus-client's multiprocess mode (files under PROMETHEUS_MULTIPROC_DIR,
aggregated at scrape time) whenever that variable is set; the Celery worker
on the same machine writes to the same directory, so one scrape of /metrics
shows web and task numbers together.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

HTTP_REQUESTS = Counter(
    "governor_http_requests",
    "HTTP requests answered, by method, URL route and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "governor_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CALLS_INGESTED = Counter(
    "governor_calls_ingested",
    "Calls received by ingestion, by outcome (stored, duplicate, rejected).",
    ["outcome"],
)
INGEST_REQUESTS_REJECTED = Counter(
    "governor_ingest_requests_rejected",
    "Ingestion requests refused as a whole, by HTTP status.",
    ["status"],
)
OTLP_RECORDS = Counter(
    "governor_otlp_records",
    "OTLP log records and spans received, by signal and outcome (call, ignored, rejected).",
    ["signal", "outcome"],
)
TASKS = Counter(
    "governor_celery_tasks",
    "Celery task outcomes (succeeded, failed, retried), by task name.",
    ["task", "outcome"],
)
CALLS_PURGED = Counter("governor_calls_purged", "Calls deleted by retention.")

# Readers of live state (policy snapshot version, budget states) register
# here; they are asked at scrape time, so the numbers are never stale.
_STATE_READERS: list = []


def register_state_reader(reader) -> None:
    """`reader()` returns an iterable of (name, documentation, labels, value)."""
    if reader not in _STATE_READERS:
        _STATE_READERS.append(reader)


def record_ingest(*, stored: int, duplicates: int = 0, rejected: int = 0) -> None:
    for outcome, count in (("stored", stored), ("duplicate", duplicates), ("rejected", rejected)):
        if count:
            CALLS_INGESTED.labels(outcome=outcome).inc(count)


def record_otlp(*, signal: str, calls: int, ignored: int, rejected: int) -> None:
    for outcome, count in (("call", calls), ("ignored", ignored), ("rejected", rejected)):
        if count:
            OTLP_RECORDS.labels(signal=signal, outcome=outcome).inc(count)


class _StateCollector:
    def collect(self):
        families: dict[str, GaugeMetricFamily] = {}
        for reader in _STATE_READERS:
            for name, documentation, labels, value in reader():
                family = families.get(name)
                if family is None:
                    family = families[name] = GaugeMetricFamily(
                        name, documentation, labels=sorted(labels)
                    )
                family.add_metric([labels[key] for key in sorted(labels)], value)
        yield from families.values()


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    state = CollectorRegistry()
    state.register(_StateCollector())
    return generate_latest(registry) + generate_latest(state), CONTENT_TYPE_LATEST
