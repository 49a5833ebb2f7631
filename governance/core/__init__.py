"""Shared building blocks that belong to no domain app.

Every module here is imported by several apps and imports none of them:
  env        typed readers of environment variables (no Django)
  errors     the error a service or the engine raises about one input field (no Django)
  rates      rate strings such as "600/min" (no Django)
  rest       the one error shape of every API answer; OpenAPI from msgspec types
  parsers    the one strict reader of request bodies (size, encoding, JSON)
  tasking    how every Celery task is declared
  enqueue    enqueuing work so that a broker outage never fails a request
  jobs       background jobs: one row, checkpoints, heartbeat, where work stands
  metrics    the Prometheus metrics, defined once
  csvsafe    CSV cells a spreadsheet cannot run as formulas
  egress     outgoing HTTP that cannot reach loopback, private or metadata addresses
  money      money as people read it: two decimals and the currency (no Django)
  progress   how far a long command got, for the person watching it (no Django)
  freshness  how an in-process cache knows it is stale, and the one ETag of a body
"""
