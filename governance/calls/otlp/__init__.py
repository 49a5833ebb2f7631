"""OTLP/HTTP intake: coding agents and OpenTelemetry GenAI instrumentation send
their calls as log records and spans, with nothing but an endpoint and a key.

  wire      the HTTP body in (identity or gzip, inflated under a cap, records
            counted before they are decoded) and the answers out
  decoding  protobuf (the official opentelemetry-proto messages) and OTLP/JSON
            (read by its own rules) into one flat `Record` per log record or span
  mapping   which records are model calls (Codex CLI, Claude Code, GenAI spans
            and events) and the call record each one is, with a stable call id
  api       the two receivers, POST /otlp/v1/logs and /otlp/v1/traces

Mapped records go through the same validation and the same `calls_ingest` as
`POST /api/v1/calls`, so a call is stored, priced and rolled up the same way
whichever door it came through. docs/otlp.md has the mapping tables.
"""
