"""Periodic jobs without a broker: however many web server processes start them, one process of the
machine runs each at a time; when it dies another takes over; a wake-up from any process reaches it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shenpi import background

# A web server process in miniature: Django set up, one job registered and started, then nothing else.
CHILD = """
import os, sys, time
import django
django.setup()
from shenpi import background
log, interval = sys.argv[1], float(sys.argv[2])
def tick():
    with open(log, "a") as file:
        file.write(f"{os.getpid()} {time.monotonic()}\\n")
background.register("tick", tick, interval=interval)
background.start(["tick"])
print("started", flush=True)
time.sleep(600)
"""


@pytest.fixture
def var(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    return tmp_path


def spawn(var: Path, log: Path, interval: float) -> subprocess.Popen:
    env = {**os.environ, "SHENPI_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "shenpi.settings",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(log), str(interval)], env=env,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    return child


def runs(log: Path) -> list[tuple[int, float]]:
    if not log.exists():
        return []
    return [(int(pid), float(at)) for pid, at in (line.split() for line in log.read_text().splitlines())]


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail("condition not met in time")


@pytest.fixture
def children():
    started: list[subprocess.Popen] = []
    yield started
    for child in started:
        child.kill()
        child.wait()


def test_two_processes_run_the_job_once_per_period_and_the_survivor_takes_over(var, children):
    log = var / "runs.log"
    first = spawn(var, log, 0.3)
    children.append(first)
    wait_for(lambda: background.holder("tick") == first.pid)
    second = spawn(var, log, 0.3)
    children.append(second)
    both_from = time.monotonic()
    time.sleep(2.0)
    seen = runs(log)
    assert {pid for pid, _ in seen} == {first.pid}  # the second process waits, it does not run the job too
    gaps = [b - a for (_, a), (_, b) in zip(seen, seen[1:], strict=False)]
    assert min(gaps) > 0.25  # once per period, not once per process
    assert 5 <= len([at for _, at in seen if at >= both_from]) <= 8  # 2 s of 0.3 s periods

    killed_at = time.monotonic()
    os.kill(first.pid, signal.SIGKILL)  # no clean-up runs: the kernel releases the lock
    first.wait()
    taken = wait_for(lambda: [at for pid, at in runs(log) if pid == second.pid], seconds=5)
    assert taken[0] - killed_at < 1.0
    assert background.holder("tick") == second.pid


def test_a_wake_up_from_another_process_reaches_the_holder(var, children):
    log = var / "runs.log"
    holder = spawn(var, log, 30.0)  # the first run is now, the next one in half a minute
    children.append(holder)
    wait_for(lambda: len(runs(log)) == 1)
    woken_at = time.monotonic()
    background.wake_job("tick")  # this test's process holds nothing: the byte goes to the holder
    wait_for(lambda: len(runs(log)) == 2, seconds=5)
    assert runs(log)[1][1] - woken_at < 1.0


def test_nobody_holding_the_job_makes_a_wake_up_a_no_op(var):
    background.wake_job("nobody-runs-this")
    assert background.holder("nobody-runs-this") is None
