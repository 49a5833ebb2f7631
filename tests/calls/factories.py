"""Builders for ingestion payloads (what a routing client sends)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

_seq = itertools.count(1)


def call_record(**overrides) -> dict:
    """One valid call record as JSON-able data; override any field."""
    ts: datetime = overrides.pop("ts", None) or timezone.now() - timedelta(minutes=10)
    record = {
        "call_id": f"call-{next(_seq)}",
        "timestamp": ts.isoformat(),
        "model": "gpt-5-codex",
        "provider": "openai",
        "task_type": "completion",
        "risk": "low",
        "environment": "ci",
        "input_tokens": 1000,
        "cached_input_tokens": 200,
        "output_tokens": 500,
        "reasoning_tokens": 100,
        "latency_ms": 1200,
        "status": "ok",
        "retries": 0,
        "metadata": {"repo": "acme/payments", "pull_request": 42},
    }
    record.update(overrides)
    return record


def post_calls(client, records, **kwargs):
    return client.post("/api/v1/calls", {"calls": records}, format="json", **kwargs)
