"""The sandbox server: routes by prefix, and misbehaves on request the way outside systems do."""

import json
import time
import urllib.error
import urllib.request

import pytest

from shenpi.sandboxes import SANDBOXES
from shenpi.sandboxes.server import Response, Sandbox, SandboxServer


class Echo(Sandbox):
    name = "echo"

    def reset(self):
        self.received = []

    def handle(self, request):
        self.received.append(request)
        return Response.json({"path": request.path, "query": request.query, "body": request.body.decode()})


@pytest.fixture
def server():
    server = SandboxServer(("127.0.0.1", 0), {"echo": Echo()})
    server.start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def call(url, data=None, timeout=5):
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body)  # noqa: S310 - the local sandbox server
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_routes_by_prefix_and_reads_the_request(server):
    status, answer = call(server.url("echo") + "/verify?x=1", {"a": 1})
    assert status == 200
    assert answer == {"path": "/verify", "query": {"x": "1"}, "body": '{"a": 1}'}
    assert server.sandboxes["echo"].received[0].method == "POST"


def test_unknown_sandbox_is_404(server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        call(server.base_url + "/nothing/here")
    assert refused.value.code == 404


def test_told_to_fail_answers_503_until_told_otherwise(server):
    call(server.base_url + "/_control/echo", {"mode": "fail"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        call(server.url("echo") + "/x")
    assert refused.value.code == 503
    call(server.base_url + "/_control/echo", {"mode": "ok"})
    assert call(server.url("echo") + "/x")[0] == 200


def test_stalled_sandbox_makes_the_caller_time_out(server):
    call(server.base_url + "/_control/echo", {"mode": "stall", "seconds": 2})
    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        call(server.url("echo") + "/x", timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_reset_forgets_what_was_received(server):
    call(server.url("echo") + "/x")
    call(server.base_url + "/_control/echo/reset", {})
    assert server.sandboxes["echo"].received == []


def test_bad_control_is_400(server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        call(server.base_url + "/_control/echo", {"mode": "explode"})
    assert refused.value.code == 400


def test_every_registered_sandbox_loads(sandboxes):
    assert set(sandboxes.sandboxes) == set(SANDBOXES)
    status, answer = call(sandboxes.base_url + "/_health")
    assert answer == {"sandboxes": sorted(SANDBOXES)}
