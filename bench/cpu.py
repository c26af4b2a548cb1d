"""CPU time used by the server, the database and the load client, read from /proc (Linux).

Latency under load on a shared machine moves with whatever else runs there; CPU time spent per
request by the processes of the benchmark itself moves much less, and says where the time goes.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid → (parent pid, command line, CPU seconds) of every process we may read."""
    found = {}
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # Fields after the command name: state ppid … utime (12th) stime (13th).
        found[int(name)] = (int(fields[1]), command, (int(fields[11]) + int(fields[12])) / _TICK)
    return found


@dataclass
class Sample:
    server: dict[int, float]  # the gunicorn master and its workers, by pid
    database: dict[int, float]  # PostgreSQL backends of the bench database (when on this machine), by pid
    client: float  # the load client: wrk (a child process) or the Python client's threads
    moment: float


def sample(server_pid: int, database: str) -> Sample:
    processes = _processes()
    server = {pid: cpu for pid, (parent, _, cpu) in processes.items() if server_pid in (pid, parent)}
    # A backend's title is "postgres: <cluster>: <user> <database> <client address> <activity>".
    marker = f" {database} "
    backends = {pid: cpu for pid, (_, command, cpu) in processes.items()
                if command.startswith("postgres:") and marker in command}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = children.ru_utime + children.ru_stime + time.process_time()
    return Sample(server, backends, client, time.monotonic())


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    # A process that started in between counts whole; one that ended in between is lost (a
    # connection closed after SHENPI_DB_CONN_MAX_AGE), so the figure is a lower bound.
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def per_request_ms(before: Sample, after: Sample, requests: int) -> dict[str, float]:
    """CPU milliseconds per request of each side, and the share of the machine they used."""
    if not requests:
        return {}
    spent = {"server": _spent(before.server, after.server), "database": _spent(before.database, after.database),
             "client": after.client - before.client}
    out = {f"{side}_cpu_ms": seconds * 1000 / requests for side, seconds in spent.items()}
    elapsed = after.moment - before.moment
    cpus = os.cpu_count() or 1
    out["bench_cpu_share"] = sum(spent.values()) / (elapsed * cpus) if elapsed > 0 else float("nan")
    return out
