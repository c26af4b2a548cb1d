"""HTTP load clients for 127.0.0.1 only: threads + http.client or wrk (closed loop), and asyncio.

Closed loop: each of C clients sends a request, waits for the whole response, records the
latency and sends the next, until the time or the request budget runs out. Requests cycle
through a list, so consecutive calls hit different departments, users or cases. With no pause
between requests the figures say where the server saturates; latency is then mostly queueing
(C requests always waiting), not what a user sees.

`run_async` also pauses each user for a think time (exponential, so users behave like arrivals
from a large population), or sends requests at a fixed rate whatever the server's pace (open
loop): the latency a user sees at a given load.
"""

from __future__ import annotations

import http.client
import itertools
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .stats import percentile

HOST = "127.0.0.1"


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class LoadResult:
    tool: str
    clients: int
    seconds: float
    requests: int
    errors: int
    median_ms: float
    p90_ms: float
    p99_ms: float
    statuses: dict = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def get(port: int, request: Request, timeout: float = 30.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", request.path, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_python(port: int, requests: list[Request], clients: int, seconds: float,
               max_requests: int = 0) -> LoadResult:
    budget = itertools.count(1)
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[Counter] = [Counter() for _ in range(clients)]

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine, seen = latencies[index], statuses[index]
        for n in itertools.count(index * 7919):
            if time.perf_counter() >= deadline or (max_requests and next(budget) > max_requests):
                break
            request = requests[n % len(requests)]
            started = time.perf_counter()
            try:
                connection.request("GET", request.path, headers=request.headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                # A worker closed a kept-alive connection: count it, reconnect, go on.
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                status = 0
            mine.append(time.perf_counter() - started)
            seen[status] += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    samples = [s for chunk in latencies for s in chunk]
    total = Counter()
    for seen in statuses:
        total.update(seen)
    return LoadResult("python", clients, elapsed, len(samples), sum(v for k, v in total.items() if k != 200),
                      percentile(samples, 50) * 1000, percentile(samples, 90) * 1000,
                      percentile(samples, 99) * 1000, dict(total))


# -- wrk, when installed ----------------------------------------------------------------------

def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrk_script(requests: list[Request]) -> str:
    entries = ",\n".join(
        "{" + _lua_string(r.path) + ", {" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}"
                                                      for k, v in r.headers.items()) + "}}"
        for r in requests)
    return f"""
local requests = {{
{entries}
}}
local counter = 0
setup = function(thread)
  thread:set("offset", math.random(1, #requests))
end
request = function()
  counter = counter + 1
  local r = requests[((offset + counter) % #requests) + 1]
  return wrk.format("GET", r[1], r[2])
end
"""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(port: int, requests: list[Request], clients: int, seconds: float, threads: int = 2) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="shenpi-wrk-") as folder:
        script = Path(folder) / "requests.lua"
        script.write_text(_wrk_script(requests))
        output = subprocess.run(
            ["wrk", "-t", str(min(threads, clients)), "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
             "--latency", "--timeout", "30s", "-s", str(script), f"http://{HOST}:{port}/"],
            capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m)", output)
    if total is None or len(percentiles) < 3:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    count = int(total.group(1))
    elapsed = float(total.group(2)) * (60 if total.group(3) == "m" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return LoadResult("wrk", clients, elapsed, count, errors, _ms(percentiles["50"]), _ms(percentiles["90"]),
                      _ms(percentiles["99"]), {})


# -- asyncio: closed loop, think time, open loop ----------------------------------------------
#
# One event loop, raw HTTP/1.1 over kept-alive connections: a request costs the client a few
# tens of microseconds of CPU, so the client does not compete with the server for the two CPUs,
# and every answer is read whole and checked (status and content), which wrk does not do.

@dataclass
class Call:
    """One prepared request and what a right answer contains."""

    raw: bytes  # the whole HTTP/1.1 request
    must: tuple[bytes, ...] = ()  # every one of these is in the body
    must_not: tuple[bytes, ...] = ()  # none of these is


def http_request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "User-Agent: shenpi-bench", "Accept: text/html"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class AsyncResult:
    mode: str  # "closed", "think" or "open"
    clients: int  # concurrent users (closed, think) or connections (open)
    seconds: float  # the measured window
    requests: int  # answered requests sent in the window
    errors: int  # status other than 200, a wrong answer, a broken connection or a timeout
    latencies_ms: list[float]
    statuses: dict
    wrong_answers: int
    reconnects: int  # connections the server had closed (keep-alive timeout) and the client opened again
    client_cpu_ms: float  # the client's own CPU per request
    offered_per_second: float = 0.0  # open loop: the arrival rate asked for
    think_ms: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def figures(self) -> dict:
        from .stats import percentile

        lat = self.latencies_ms
        return {"mode": self.mode, "clients": self.clients, "seconds": self.seconds, "requests": self.requests,
                "per_second": self.per_second, "offered_per_second": self.offered_per_second,
                "think_ms": self.think_ms,
                "median_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "p99_ms": percentile(lat, 99),
                "max_ms": max(lat) if lat else float("nan"), "errors": self.errors,
                "wrong_answers": self.wrong_answers, "statuses": self.statuses, "reconnects": self.reconnects,
                "client_cpu_ms": self.client_cpu_ms}


# gunicorn closes a kept-alive connection idle for 2 s (--keep-alive); a connection idle for longer
# than this is opened again before sending, as a browser does, rather than racing the server's close.
IDLE_LIMIT_S = 1.5


class _Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None
        self.used = 0.0  # loop time of the last answer

    async def open(self) -> None:
        import asyncio

        self.close()
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.used = asyncio.get_running_loop().time()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    def stale(self, now: float) -> bool:
        return (self.reader is None or self.reader.at_eof() or self.writer.is_closing()
                or now - self.used > IDLE_LIMIT_S)

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            self.close()
        else:
            import asyncio

            self.used = asyncio.get_running_loop().time()
        return status, body

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


class _Tally:
    """What the clients saw; only requests sent inside the measured window count."""

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.errors = self.wrong = self.reconnects = 0

    def record(self, sent: float, done: float, status: int, right: bool) -> None:
        if not self.start <= sent < self.end:
            return
        self.latencies.append((done - sent) * 1000)
        self.statuses[status] += 1
        if status != 200 or not right:
            self.errors += 1
            self.wrong += status == 200 and not right


def _right(call: Call, body: bytes) -> bool:
    return all(text in body for text in call.must) and not any(text in body for text in call.must_not)


async def _send(connection: _Connection, call: Call, tally: _Tally, sent: float, timeout: float) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    for attempt in range(2):
        reused = False
        try:
            if connection.stale(loop.time()):
                tally.reconnects += connection.reader is not None
                await connection.open()
            else:
                reused = True
            status, body = await asyncio.wait_for(connection.exchange(call.raw), timeout)
            tally.record(sent, loop.time(), status, _right(call, body))
            return
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            # TimeoutError (wait_for) is an OSError: the request failed, the connection is dropped.
            connection.close()
            # A kept-alive connection the server closed just as the request went out, before any
            # answer: sent again once on a new connection, as browsers do.
            unanswered = isinstance(error, ConnectionError) or (
                isinstance(error, asyncio.IncompleteReadError) and not error.partial)
            if attempt == 0 and reused and unanswered:
                tally.reconnects += 1
                continue
            tally.record(sent, loop.time(), 0, False)
            return


async def _run_users(port: int, calls: list[Call], clients: int, think_s: float, warmup: float, seconds: float,
                     timeout: float, seed: int) -> _Tally:
    """Closed loop: each user sends, waits for the answer, thinks (exponential, mean think_s), sends again."""
    import asyncio
    import random

    loop = asyncio.get_running_loop()
    start = loop.time() + warmup
    tally = _Tally(start, start + seconds)

    async def user(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        connection = _Connection(port)
        n = rng.randrange(len(calls))
        if think_s:
            await asyncio.sleep(rng.expovariate(1 / think_s))  # users arrive spread out, not all at once
        while loop.time() < tally.end:
            await _send(connection, calls[n % len(calls)], tally, loop.time(), timeout)
            n += 1
            if think_s:
                await asyncio.sleep(rng.expovariate(1 / think_s))
        connection.close()

    await asyncio.gather(*(user(i) for i in range(clients)))
    return tally


async def _run_arrivals(port: int, calls: list[Call], rate: float, connections: int, warmup: float, seconds: float,
                        timeout: float, seed: int) -> _Tally:
    """Open loop: requests arrive at `rate` a second (Poisson), whatever the server's pace, over a pool of
    connections; a request waiting for a free connection waits in its latency, as a user would."""
    import asyncio
    import random

    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    start = loop.time() + warmup
    tally = _Tally(start, start + seconds)
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(_Connection(port))

    async def one(call: Call, due: float) -> None:
        connection = await pool.get()
        try:
            await _send(connection, call, tally, due, timeout)
        finally:
            pool.put_nowait(connection)

    pending = set()
    due, n = loop.time(), rng.randrange(len(calls))
    while due < tally.end:
        due += rng.expovariate(rate)
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(calls[n % len(calls)], due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1
    if pending:
        await asyncio.wait(pending, timeout=timeout + 5)
    while not pool.empty():
        pool.get_nowait().close()
    return tally


def run_async(port: int, calls: list[Call], *, clients: int, seconds: float, warmup: float = 3.0,
              think_s: float = 0.0, rate: float = 0.0, timeout: float = 30.0, seed: int = 1) -> AsyncResult:
    """Closed loop (think_s = 0: saturation), closed loop with think time, or open loop (rate > 0)."""
    import asyncio

    cpu_before = time.process_time()
    if rate:
        tally = asyncio.run(_run_arrivals(port, calls, rate, clients, warmup, seconds, timeout, seed))
        mode = "open"
    else:
        tally = asyncio.run(_run_users(port, calls, clients, think_s, warmup, seconds, timeout, seed))
        mode = "think" if think_s else "closed"
    spent = time.process_time() - cpu_before
    count = len(tally.latencies)
    return AsyncResult(mode, clients, seconds, count, tally.errors, tally.latencies, dict(tally.statuses),
                       tally.wrong, tally.reconnects, spent * 1000 / max(1, count),
                       offered_per_second=rate, think_ms=think_s * 1000)
