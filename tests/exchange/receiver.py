"""A receiver of events for tests: a local HTTP server that checks signatures and keeps what it got."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from shenpi.exchange import signing


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, secret: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = secret
        self.batches: list[list[dict]] = []
        self.refusals: list[str] = []
        self.status = 200
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/events"

    @property
    def events(self) -> list[dict]:
        return [event for batch in self.batches for event in batch]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Receiver = self.server
        why = signing.verify(server.secret, dict(self.headers), body)
        with server.lock:
            if why:
                server.refusals.append(why)
                status = 401
            else:
                status = server.status
                if status == 200:
                    server.batches.append(json.loads(body)["events"])
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass
