"""A small closed-loop HTTP load client for 127.0.0.1 only: threads + http.client, or wrk.

Each of C clients sends a request, waits for the whole response, records the latency and sends
the next, until the time or the request budget runs out. Requests cycle through a list of
(path, headers), so consecutive calls hit different departments and users.
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
