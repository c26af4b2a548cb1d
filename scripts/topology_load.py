"""A steady load of case actions against the topology's app servers, and a counting receiver of events.

Used by tests/topology/test_topology.py and scripts/faults.py (docs/topology.md). Standard library and
`requests` only, plus shenpi.exchange.signing to check the receiver's signatures.

- `Load(urls, token, items, rate)`: threads that receive and accept cases through POST /api/v1/cases/,
  alternating between the app servers, `rate` cases a second in all; counts what each answer was.
- `Receiver(secret, delay)`: a local HTTP server taking signed batches of events on POST /events and
  answering GET /stats with {batches, events, unique, duplicates, out_of_order, refused}. An event
  seen again (same id) is a duplicate the receiver drops; out_of_order counts events of a case that
  arrived before an earlier one of the same case.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

APPLICANT = {"kind": "organisation", "name": "示范市恒通置业有限公司", "id_number": "91350100M000100Y43",
             "contact_name": "张三", "phone": "13812341234"}


class Load:
    """Cases received and accepted at a steady rate, round-robin over the app servers."""

    def __init__(self, urls: list[str], token: str, items: list[dict], rate: float = 4.0, threads: int = 4):
        self.urls = [url.rstrip("/") for url in urls]
        self.token = token
        self.items = items
        self.rate = rate
        self.threads = threads
        self.answers: Counter[str] = Counter()  # "201", "503", "connection" …
        self.cases: list[str] = []
        self.by_server: Counter[str] = Counter()
        self._stop = threading.Event()
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def start(self) -> Load:
        for number in range(self.threads):
            thread = threading.Thread(target=self._run, args=(number,), daemon=True, name=f"load-{number}")
            thread.start()
            self._workers.append(thread)
        return self

    def stop(self) -> Load:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=30)
        return self

    def _run(self, number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.token}"
        period = self.threads / self.rate
        next_at = time.monotonic() + number * period / self.threads
        while not self._stop.is_set():
            self._stop.wait(max(0.0, next_at - time.monotonic()))
            next_at += period
            if not self._stop.is_set():
                self._one(session, next(self._turn))

    def _one(self, session: requests.Session, turn: int) -> None:
        url = self.urls[turn % len(self.urls)]
        item = self.items[turn % len(self.items)]
        body = {"item": item["code"], "channel": "window", "title": f"负载办件 {turn}", "decision": "accept",
                "applicant": APPLICANT, "materials": [{"spec": spec, "received": True} for spec in item["materials"]]}
        try:
            answer = session.post(f"{url}/api/v1/cases/", json=body, timeout=30)
            outcome = str(answer.status_code)
        except requests.RequestException:
            answer, outcome = None, "connection"
        with self._lock:
            self.answers[outcome] += 1
            if answer is not None and answer.status_code == 201:
                self.cases.append(answer.json()["number"])
                self.by_server[url] += 1


class Receiver(ThreadingHTTPServer):
    """Signed batches of events on POST /events (checked), counts on GET /stats."""

    daemon_threads = True

    def __init__(self, secret: str, delay: float = 0.0, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.secret = secret
        self.delay = delay
        self.failing = False  # a receiver that is down: every POST answers 503 (a fault run)
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()
        self.last_at: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/events"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/stats"

    def stats(self) -> dict:
        with self.lock:
            return {"batches": self.counts["batches"], "events": sum(self.ids.values()), "unique": len(self.ids),
                    "duplicates": sum(self.ids.values()) - len(self.ids), "out_of_order": self.counts["order"],
                    "refused": self.counts["refused"], "ids": sorted(self.ids)}

    def take(self, events: list[dict]) -> None:
        with self.lock:
            self.counts["batches"] += 1
            for event in events:
                self.ids[event["id"]] += 1
                case, at = event.get("case"), event.get("at") or ""
                if case and self.ids[event["id"]] == 1:
                    if at < self.last_at.get(case, ""):
                        self.counts["order"] += 1
                    self.last_at[case] = max(at, self.last_at.get(case, ""))


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        from shenpi.exchange import signing

        server: Receiver = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if server.failing:
            return self._answer(503, b"")
        if signing.verify(server.secret, dict(self.headers), body):
            with server.lock:
                server.counts["refused"] += 1
            return self._answer(401, b"")
        delay = server.delay
        if delay:
            time.sleep(delay)  # a slow receiver: a worker is mid-delivery most of the time
        server.take(json.loads(body)["events"])
        self._answer(200, b"")

    def do_GET(self):
        self._answer(200, json.dumps(self.server.stats()).encode(), "application/json")

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass
