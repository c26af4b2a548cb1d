"""One threading HTTP server for every sandbox, and the small request/response model they share.

A sandbox is a class with a `name` and `handle(request) -> Response`; the server routes
`/<name>/<rest>` to it with `request.path` set to `/<rest>`. Every sandbox can be told how to
misbehave through `POST /_control/<name>` with JSON `{"mode": "ok" | "fail" | "stall" | "slow",
"seconds": N}`: `fail` answers 503, `stall` waits `seconds` before answering (a caller's time-out
then fires), `slow` waits `seconds` and answers normally. `POST /_control/<name>/reset` puts the
sandbox back as it started. `GET /_health` answers 200 when the server is up.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import SANDBOXES


@dataclass
class Request:
    method: str
    path: str  # below the sandbox's prefix, starting with "/"
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes
    base_url: str  # http://host:port/<name>, for links a sandbox hands out

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data, status: int = 200) -> Response:
        return cls(status, json.dumps(data, ensure_ascii=False).encode(),
                   {"Content-Type": "application/json; charset=utf-8"})

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", {"Location": location})

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


class Sandbox:
    """Base of every sandbox: its state lives on the instance; reset() starts it afresh."""

    name = ""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything received and learnt; subclasses extend it."""

    def handle(self, request: Request) -> Response:
        raise NotImplementedError


@dataclass
class Behaviour:
    mode: str = "ok"
    seconds: float = 0.0


def load(names: list[str] | None = None) -> dict[str, Sandbox]:
    chosen = SANDBOXES if names is None else {name: SANDBOXES[name] for name in names}
    loaded = {}
    for name, target in chosen.items():
        module, _, attribute = target.partition(":")
        loaded[name] = getattr(importlib.import_module(module), attribute)()
    return loaded


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandboxes: dict[str, Sandbox]):
        self.sandboxes = sandboxes
        self.behaviours = {name: Behaviour() for name in sandboxes}
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def reset(self) -> None:
        for name, sandbox in self.sandboxes.items():
            with sandbox.lock:
                sandbox.reset()
            self.behaviours[name] = Behaviour()

    def handle_error(self, request, client_address):
        """A caller that gave up (its time-out fired while the sandbox stalled) is expected, not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="sandboxes", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        """Quiet: the sandboxes' own records are what tests read."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._dispatch()

    def do_POST(self):  # noqa: N802
        self._dispatch()

    def do_PUT(self):  # noqa: N802
        self._dispatch()

    def do_DELETE(self):  # noqa: N802
        self._dispatch()

    def _dispatch(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        segments = parts.path.lstrip("/").split("/", 1)
        name, rest = segments[0], "/" + (segments[1] if len(segments) > 1 else "")
        if name == "_health":
            return self._send(Response.json({"sandboxes": sorted(self.server.sandboxes)}))
        if name == "_control":
            return self._send(self._control(rest, body))
        sandbox = self.server.sandboxes.get(name)
        if sandbox is None:
            return self._send(Response.json({"error": "no such sandbox"}, 404))
        behaviour = self.server.behaviours[name]
        if behaviour.mode in ("stall", "slow"):
            time.sleep(behaviour.seconds)
        if behaviour.mode == "fail":
            return self._send(Response.json({"error": "sandbox told to fail"}, 503))
        request = Request(
            method=self.command, path=rest,
            query={key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()},
            headers={key.lower(): value for key, value in self.headers.items()}, body=body,
            base_url=f"http://{self.headers.get('Host') or self.server.base_url[7:]}/{name}")
        with sandbox.lock:
            response = sandbox.handle(request)
        self._send(response)

    def _control(self, rest: str, body: bytes) -> Response:
        name, _, what = rest.strip("/").partition("/")
        if name not in self.server.sandboxes:
            return Response.json({"error": "no such sandbox"}, 404)
        if what == "reset":
            with self.server.sandboxes[name].lock:
                self.server.sandboxes[name].reset()
            self.server.behaviours[name] = Behaviour()
            return Response.json({"reset": name})
        try:
            data = json.loads(body or b"{}")
            behaviour = Behaviour(str(data.get("mode", "ok")), float(data.get("seconds", 0)))
        except (ValueError, TypeError, AttributeError):
            return Response.json({"error": "expected JSON {mode, seconds}"}, 400)
        if behaviour.mode not in ("ok", "fail", "stall", "slow"):
            return Response.json({"error": "mode is one of ok, fail, stall, slow"}, 400)
        self.server.behaviours[name] = behaviour
        return Response.json({"name": name, "mode": behaviour.mode, "seconds": behaviour.seconds})

    def _send(self, response: Response):
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
