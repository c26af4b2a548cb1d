"""The production topology on one machine, end to end (docs/topology.md): scripts/topology.py starts two app
servers, two Celery workers and one beat on RabbitMQ with Redis as the cache, on a PostgreSQL database of
its own; a steady load of case actions goes to both app servers.

- the supervision scan runs once per period across the cluster, never two at once;
- notifications, case-event publications and exchange events are all delivered by the workers;
- a worker killed with SIGKILL in the middle of a delivery: its events are delivered by the other one,
  and the receiver drops the repeats by id (none lost, none twice after idempotency).

Run by `make test` as its own pytest invocation after the PostgreSQL run (SHENPI_TEST_TOPOLOGY=1); it
restarts none of the shared services (scripts/faults.py does, by hand).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "topology.py"
INTERVAL = 5  # seconds between supervision scans (SHENPI_SUPERVISE_INTERVAL for beat)
SECRET = "拓扑测试密钥"

pytestmark = [
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the topology runs on PostgreSQL only (several processes share the database)"),
    pytest.mark.skipif(not os.environ.get("SHENPI_TEST_TOPOLOGY"),
                       reason="run by `make test` on its own (SHENPI_TEST_TOPOLOGY=1): it starts a dozen processes"),
]


def _load_module():
    spec = importlib.util.spec_from_file_location("topology_load", ROOT / "scripts" / "topology_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The test's own destination's deliveries (one per event written for it), by status.
DESTINATION = "topology-test"
OURS = ("SELECT count(*) FROM exchange_delivery d JOIN exchange_destination t ON t.id = d.destination_id "
        "WHERE t.code = %s AND d.status = ANY(%s)")
IN_FLIGHT = ("SELECT d.event_id::text FROM exchange_delivery d JOIN exchange_destination t ON t.id = d.destination_id "
             "WHERE t.code = %s AND d.status = 'sending'")
ALL = ["pending", "sending", "delivered", "failed"]


class Topology:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        base = urlsplit(os.environ["DATABASE_URL"])
        self.database_url = urlunsplit(base._replace(path=f"/{base.path.lstrip('/')}_topology_ci"))
        self.ports = [free_port(), free_port()]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [sys.executable, str(SCRIPT), *args[:1], "--run-dir", str(self.run_dir), *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=240)
        if check and done.returncode:
            logs = "\n".join(f"== {log.name}\n{log.read_text()[-3000:]}"
                              for log in (self.run_dir / "logs").glob("*.log"))
            pytest.fail(f"{' '.join(args)}: {done.stderr}\n{logs}")
        return done

    def start(self) -> None:
        self.cli("start", "--fresh", "--database-url", self.database_url,
                 "--cache-url", os.environ.get("SHENPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/10"),
                 "--web-ports", ",".join(map(str, self.ports)), "--sandbox-port", str(free_port()),
                 "--supervise-interval", str(INTERVAL), "--cases", "10")

    def python(self, code: str) -> str:
        return self.cli("exec", "--", sys.executable, "-c", "import django; django.setup()\n" + code).stdout

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(sql, params).fetchall()

    def pid(self, name: str) -> int:
        return int((self.run_dir / "pids" / f"{name}.pid").read_text())

    @property
    def seed(self) -> dict:
        return json.loads((self.run_dir / "seed.json").read_text())


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    running = Topology(tmp_path_factory.mktemp("topology"))
    running.start()
    yield running
    running.cli("stop", check=False)


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"not within {seconds:.0f} s: {what}")


def worker_posting_to(port: int, pids: list[int]) -> int | None:
    """The worker holding an open connection to the receiver right now: the sockets of /proc/net/tcp whose
    far end is the receiver's port, matched to the processes' open files."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
            inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(descriptor) in inodes:
                    return pid
            except OSError:
                continue
    return None


def test_the_cluster_scans_once_per_period_delivers_everything_and_survives_a_killed_worker(topology):
    load_module = _load_module()
    receiver = load_module.Receiver(SECRET)
    stall, held, release = threading.Event(), threading.Event(), threading.Event()
    take = receiver.take

    def stalled_take(events):  # the first batch after `stall` is set hangs until the test lets it go
        if stall.is_set() and not held.is_set():
            held.set()
            release.wait(60)
        take(events)

    receiver.take = stalled_take
    topology.python(
        "from shenpi import clock\nfrom shenpi.exchange.models import Destination\n"
        # The demo's own destinations (the province and rating sandboxes) are left out of the count.
        "Destination.objects.update(active=False)\n"
        f"Destination.objects.create(code={DESTINATION!r}, name='省电子监察平台', kind='upstream', "
        f"url={receiver.url!r}, secret={SECRET!r}, batch_size=20, created_at=clock.now())\n")
    seed = topology.seed
    urls = [f"http://127.0.0.1:{port}" for port in topology.ports]
    load = load_module.Load(urls, seed["token"], seed["items"], rate=4.0).start()
    try:
        scans_from = topology.query("SELECT now()")[0][0]
        time.sleep(6)
        # A worker in the middle of a delivery: the receiver holds its POST open; the worker is killed.
        stall.set()
        wait_for(held.is_set, 30, "a delivery reaching the receiver")
        workers = [topology.pid("worker1"), topology.pid("worker2")]
        victim = wait_for(lambda: worker_posting_to(receiver.server_address[1], workers), 10, "the posting worker")
        in_flight = {row[0] for row in topology.query(IN_FLIGHT, DESTINATION)}
        os.kill(victim, signal.SIGKILL)
        release.set()  # the receiver keeps that batch: its repeat, from the other worker, is dropped by id
        time.sleep(24)
        scans_to = topology.query("SELECT now()")[0][0]
    finally:
        load.stop()

    assert load.answers.keys() == {"201"}, load.answers
    assert all(load.by_server[url] > 10 for url in urls), load.by_server
    assert in_flight  # the killed worker held leased events

    # Every event of every case action is delivered, in the end by the surviving worker.
    events = topology.query(OURS, DESTINATION, ALL)[0][0]
    assert events >= len(load.cases)
    wait_for(lambda: receiver.stats()["unique"] == events, 60, "every event at the receiver")
    stats = receiver.stats()
    assert in_flight <= set(stats["ids"])
    assert stats["duplicates"] <= len(in_flight)  # at least once; the receiver drops the repeats
    assert stats["out_of_order"] == 0 and stats["refused"] == 0
    undelivered = ["pending", "sending", "failed"]
    wait_for(lambda: topology.query(OURS, DESTINATION, undelivered)[0][0] == 0,
             30, "every delivery recorded as delivered")

    # Notifications and case-event publications: delivered by the workers, nothing left behind.
    def outboxes_empty():
        return topology.query(
            "SELECT (SELECT count(*) FROM notifications_notification WHERE status IN ('pending', 'sending')) "
            "+ (SELECT count(*) FROM cases_publication WHERE status <> 'delivered')")[0][0] == 0
    wait_for(outboxes_empty, 60, "notifications and publications delivered")
    assert topology.query("SELECT count(*) FROM notifications_notification WHERE status = 'sent' "
                          "AND created_at >= %s", scans_from)[0][0] > 0

    # The scan ran once per period across two app servers, two workers and beat: never more, never two at once.
    scans = topology.query("SELECT started_at, finished_at FROM supervision_scanrun WHERE started_at >= %s "
                           "AND started_at < %s ORDER BY started_at", scans_from, scans_to)
    seconds = (scans_to - scans_from).total_seconds()
    assert seconds / INTERVAL - 1.5 <= len(scans) <= seconds / INTERVAL + 1.5, (len(scans), seconds)
    for (_, finished), (started, _) in zip(scans, scans[1:], strict=False):
        assert finished <= started
