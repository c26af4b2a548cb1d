"""The load bench's HTTP client (bench/loadclient.py) reads every answer whole and checks it.

Its figures are only worth something if a refusal or a wrong page counts as an error and a
connection the server closed is opened again; a small server on 127.0.0.1 plays the site.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import loadclient
from bench.loadclient import Call, http_request


class Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # head and body in one segment, as a real server sends them (no delayed-ACK stall)

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(200, "<p>办理记录</p>" if self.path == "/right/" else "<p>办件编号或查询密码不正确</p>")

    def do_GET(self):
        if self.path == "/refused/":
            self._answer(403, "forbidden")
        elif self.path == "/chunked/":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"<p>", "办理记录".encode(), b"</p>"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            # /closing/ answers, then closes the connection without a word, as gunicorn does with
            # a kept-alive connection idle for longer than its keep-alive time.
            self._answer(200, "<p>办理记录</p>")
            self.close_connection = self.path == "/closing/"

    def _answer(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


RIGHT = "办理记录".encode()


def test_right_answers_pass_and_wrong_pages_or_refusals_are_errors(site):
    calls = [Call(http_request("POST", "/right/", body=b"a=1"), must=(RIGHT,)),
             Call(http_request("POST", "/wrong/", body=b"a=1"), must=(RIGHT,)),
             Call(http_request("GET", "/refused/"), must=(b"forbidden",))]
    result = loadclient.run_async(site, calls, clients=3, seconds=0.5, warmup=0.1)
    assert result.requests > 15
    # Every wrong page and every refusal is an error; the right answers are not.
    assert result.statuses[403] > 0 and result.wrong_answers > 0
    assert result.errors == result.statuses[403] + result.wrong_answers
    assert result.errors < result.requests


def test_closed_connections_are_opened_again_and_chunked_answers_read_whole(site):
    calls = [Call(http_request("GET", "/closing/"), must=(RIGHT,)),
             Call(http_request("GET", "/chunked/"), must=(RIGHT,))]
    result = loadclient.run_async(site, calls, clients=2, seconds=0.5, warmup=0.1)
    assert result.requests > 10 and result.errors == 0 and result.reconnects > 0


def test_think_time_and_open_loop_pace_the_requests(site):
    calls = [Call(http_request("GET", "/plain/"), must=(RIGHT,))]
    thinking = loadclient.run_async(site, calls, clients=5, seconds=1.0, warmup=0.2, think_s=0.1)
    # Five users who think 0.1 s on average send about 50 a second, not as many as the server can take.
    assert 20 < thinking.per_second < 80 and thinking.errors == 0
    paced = loadclient.run_async(site, calls, clients=4, seconds=1.0, warmup=0.2, rate=40)
    assert 20 < paced.per_second < 60 and paced.errors == 0 and paced.mode == "open"
