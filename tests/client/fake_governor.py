"""A stand-in Governor speaking the two endpoints the routing client uses,
which a test can stop and start again on the same port (an outage)."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGovernor:
    def __init__(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        self.stored: dict[str, dict] = {}  # call_id -> record, deduplicated as Governor does
        self.posted_records = 0
        self.drop_next_answers = 0  # store the batch, then close without answering
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def etag(self) -> str:
        return (
            '"'
            + hashlib.sha256(json.dumps(self.snapshot, sort_keys=True).encode()).hexdigest()[:16]
            + '"'
        )

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def do_GET(self) -> None:
                if self.path != "/api/v1/policy":
                    self.send_error(404)
                    return
                etag = fake.etag()
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                body = json.dumps(fake.snapshot).encode()
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                records = json.loads(self.rfile.read(length))["calls"]
                with fake._lock:
                    fake.posted_records += len(records)
                    for record in records:
                        fake.stored.setdefault(record["call_id"], record)
                    drop = fake.drop_next_answers > 0
                    fake.drop_next_answers -= 1 if drop else 0
                if drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = json.dumps(
                    {"accepted": len(records), "duplicates": 0, "rejected": []}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
