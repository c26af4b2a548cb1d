"""Background work: outboxes drained after a commit, and periodic jobs run once per machine.

After a commit. An outbox (notifications, case events, exchange events) is drained after the
transaction that filled it, by a Celery worker when a broker is configured, in-process otherwise.
With a broker, waking a worker costs a publish to the broker on the request's path. A worker drains
everything that is due, so one wake-up serves every commit before it starts: a process sends at
most one wake-up per task every WAKE_GAP seconds, and asks for it to run WAKE_GAP seconds later, so
that whatever commits in between is already there when it runs. Beat's pass every minute catches
anything a lost wake-up left behind.

Periodic jobs without a broker (`register`, `start`). Apps register their jobs in AppConfig.ready()
when their SHENPI_…_IN_PROCESS setting is on; the web server (wsgi.py) starts them. Every process
of every web server on the machine starts a thread per job, but only the one holding the job's
exclusive file lock (`SHENPI_VAR_DIR/run/<job>.lock`, flock) runs it; the others wait on the lock.
The kernel releases a flock when its process ends however it ends (SIGKILL, OOM), so a waiting
process takes the job over at once, with no lease to expire and no stale row to clean.

Why not a lock in the database: SQLite has no advisory lock, and a write lock held for the life of a
process would stop every other writer; a lock row with a lease needs a heartbeat and leaves a dead
holder's job undone until the lease ends. PostgreSQL's session advisory locks would do, but the
embedded default without a broker is one machine by design (several machines run Celery beat, which
runs each periodic task once across the cluster), and one mechanism for both databases is simpler.

A job can be woken (`wake`), e.g. the supervision scan soon after a case action commits: the
process that holds the job listens on a Unix datagram socket beside its lock, and any process of
the machine sends it one byte (nothing happens when no process holds the job: it runs on its
interval anyway).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger("shenpi.background")

WAKE_GAP = 1.0  # seconds

_woken: dict[str, float] = {}
_lock = threading.Lock()


def once_after_commit(function: Callable[[], object]) -> None:
    """Run `function` after the current transaction commits, once however often a transaction asks.

    robust: the change is committed by then; a broker outage must not turn it into an error."""
    if any(entry[1] is function for entry in connection.run_on_commit):
        return
    transaction.on_commit(function, robust=True)


def wake(task_name: str, inline: Callable[[], object]) -> None:
    """Have the named task run soon: queued for a worker with a broker, `inline` right now without one."""
    if not settings.CELERY_BROKER_URL:
        inline()
        return
    now = time.monotonic()
    with _lock:
        if now - _woken.get(task_name, -WAKE_GAP) < WAKE_GAP:
            return  # the wake-up sent then runs after this commit
        _woken[task_name] = now
    current_app.send_task(task_name, countdown=WAKE_GAP)


def forget_wake_ups() -> None:
    """Tests: the next commit sends a wake-up of its own."""
    _woken.clear()


# -- periodic jobs without a broker: one process of the machine runs each ------------------------------

@dataclass(frozen=True)
class Job:
    name: str
    function: Callable[[], object]
    interval: float  # seconds between runs
    soon: float = 0.0  # after a wake-up, at most one run every `soon` seconds (a burst of commits: one run)
    first_after: float = 0.0  # seconds after taking the job before its first run


_jobs: dict[str, Job] = {}
_started: set[str] = set()
_start_lock = threading.Lock()


def register(name: str, function: Callable[[], object], *, interval: float, soon: float = 0.0,
             first_after: float = 0.0) -> Job:
    """Declare a periodic job (AppConfig.ready()); it runs once `start` is called (the web server)."""
    job = Job(name, function, interval, soon, first_after)
    _jobs[name] = job
    return job


def registered() -> dict[str, Job]:
    return dict(_jobs)


def run_dir() -> Path:
    path = Path(settings.VAR_DIR) / "run"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def start(names: list[str] | None = None) -> list[threading.Thread]:
    """Start a thread per registered job (once per process): each waits for the job's lock, then runs it."""
    threads = []
    with _start_lock:
        for name, job in _jobs.items():
            if (names is not None and name not in names) or name in _started:
                continue
            _started.add(name)
            thread = threading.Thread(target=_hold, args=(job,), name=f"shenpi-{name}", daemon=True)
            thread.start()
            threads.append(thread)
    return threads


def running(name: str) -> bool:
    """This process has started the job's thread (it may be waiting for another process to let go)."""
    return name in _started


def wake_job(name: str) -> None:
    """Ask the process holding the job to run it soon; nothing when no process of this machine holds it."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.sendto(b"!", _address(name))


def holder(name: str) -> int | None:
    """The process id holding the job on this machine, or None (status pages, tests)."""
    path = run_dir() / f"{name}.lock"
    try:
        with open(path) as file:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None  # nobody holds it exclusively
    except BlockingIOError:
        with contextlib.suppress(OSError, ValueError):
            return int(path.read_text().strip() or 0) or None
        return None
    except FileNotFoundError:
        return None


def _address(name: str) -> str:
    """The wake-up socket: a file beside the lock when the path fits a Unix socket name, else abstract (Linux)."""
    path = str(run_dir() / f"{name}.wake")
    if len(path.encode()) < 100:
        return path
    return "\0shenpi-" + hashlib.sha256(path.encode()).hexdigest()[:32]


def _hold(job: Job) -> None:
    """Wait (in the kernel) for the job's lock, then run the job for the rest of this process's life."""
    path = run_dir() / f"{job.name}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)  # blocks until the holder lets go or dies
    os.ftruncate(descriptor, 0)
    os.write(descriptor, str(os.getpid()).encode())
    logger.info("本进程（%d）承担后台任务 %s", os.getpid(), job.name)
    inbox = _listen(job.name)
    _loop(job, inbox)


def _listen(name: str) -> socket.socket:
    address = _address(name)
    if not address.startswith("\0"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # left by a holder that died; we hold the lock, so it is nobody's
    inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    inbox.bind(address)
    return inbox


def _loop(job: Job, inbox: socket.socket) -> None:
    last = time.monotonic() - job.interval + job.first_after
    while True:
        wait = last + job.interval - time.monotonic()
        if wait > 0 and _woken_within(inbox, wait):
            time.sleep(max(0.0, job.soon - (time.monotonic() - last)))
        _drain(inbox)
        last = time.monotonic()
        _run(job)


def _woken_within(inbox: socket.socket, seconds: float) -> bool:
    inbox.settimeout(seconds)
    try:
        inbox.recv(16)
        return True
    except TimeoutError:
        return False


def _drain(inbox: socket.socket) -> None:
    """Wake-ups that came in meanwhile are served by the run about to start."""
    inbox.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        while inbox.recv(16):
            pass


def _run(job: Job) -> None:
    close_old_connections()
    try:
        job.function()
    except Exception:  # the next round tries again; the web server must not die with its background job
        logger.exception("后台任务 %s 失败", job.name)
    finally:
        close_old_connections()
