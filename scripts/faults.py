"""A scripted fault run on the topology (docs/topology.md, "Faults"): under a steady load of case actions,
take the receiver down, kill a Celery worker mid-delivery, restart the broker and PostgreSQL, then check
that every event of every case reached the receiver, once, in order.

    python scripts/faults.py [--run-dir var/topology] [--receiver-url URL --stats-url URL --secret S
                             --behaviour-url URL] [--rate 4] [--settle 20] [--receiver-down 300]
                             [--faults receiver,worker,broker,postgres] [--json]

The topology must be running (scripts/topology.py start). Without --receiver-url the script runs its own
counting receiver (scripts/topology_load.py); with one (e.g. the province sandbox), its stats endpoint
must answer JSON with `unique` (or the province sandbox's `accepted`: distinct event ids received) and may
give `duplicates` (repeats dropped by id) and `out_of_order` (or `violations`); --behaviour-url is where
the receiver is told to fail and recover (the sandbox's POST /behaviour). A destination `faults`
pointing at the receiver is created (or updated) in the topology's database. Needs root for
`rabbitmqctl` and `pg_ctlcluster`.

Each fault: the load runs `--settle` seconds, then the receiver answers 503 for `--receiver-down`
seconds (receiver), or the receiver is slowed and one Celery worker is killed with SIGKILL while it
posts, then started again (worker), or the broker is stopped for `--down` seconds (broker), or
PostgreSQL restarted (postgres); the load goes on, then the script waits for the outbox to drain.
The counts asserted at the end: sent (events written by accepted actions), delivered (distinct ids
at the receiver), lost = sent − delivered = 0, nothing out of per-case order, and that the app
servers answered again after each fault without being restarted
(requests during the fault may get 503). Exit status 0 when every count holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import topology  # noqa: E402 - the scripts' folder first
from topology_load import Load, Receiver  # noqa: E402

SECRET = "故障演练密钥"  # noqa: S105 - the local receiver's, agreed with nobody else


def sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=180)


class Fault:
    """What a fault needs: the topology, the receiver (local, or told over HTTP) and the durations."""

    def __init__(self, config: dict, args, receiver: Receiver | None):
        self.config, self.args, self.receiver = config, args, receiver

    def tell_receiver(self, mode: str, seconds: float = 0) -> None:
        if self.receiver is not None:
            self.receiver.failing, self.receiver.delay = mode == "fail", seconds if mode == "slow" else 0.0
        elif self.args.behaviour_url:
            requests.post(self.args.behaviour_url, json={"mode": mode, "seconds": seconds}, timeout=10)
        else:
            raise SystemExit("faults: the receiver cannot be told to fail: give --behaviour-url")


def receiver_down(fault: Fault) -> None:
    fault.tell_receiver("fail")
    time.sleep(fault.args.receiver_down)
    fault.tell_receiver("ok")


def kill_worker(fault: Fault) -> None:
    """SIGKILL worker1 while the receiver holds its posts (2 s each), then start it again."""
    fault.tell_receiver("slow", 2.0)
    time.sleep(3)
    pid = topology.pid_of(fault.config, "worker1")
    if pid is None:
        raise SystemExit("faults: worker1 is not running")
    os.kill(pid, signal.SIGKILL)
    fault.tell_receiver("ok")
    time.sleep(fault.args.down)
    topology.launch(fault.config, "worker1", topology.components(fault.config)["worker1"])


def restart_broker(fault: Fault) -> None:
    sh("rabbitmqctl", "stop_app")
    time.sleep(fault.args.down)
    sh("rabbitmqctl", "start_app")


def restart_postgres(fault: Fault) -> None:
    sh("pg_ctlcluster", "15", "main", "restart")


FAULTS = {"receiver": receiver_down, "worker": kill_worker, "broker": restart_broker, "postgres": restart_postgres}


def counts(config: dict) -> dict[str, int]:
    import psycopg

    with psycopg.connect(config["database_url"]) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM exchange_event e JOIN exchange_delivery d ON d.event_id = e.key "
            "        JOIN exchange_destination t ON t.id = d.destination_id WHERE t.code = 'faults'),"
            "       (SELECT count(*) FROM exchange_delivery d JOIN exchange_destination t ON t.id = d.destination_id"
            "        WHERE t.code = 'faults' AND d.status = 'delivered'),"
            "       (SELECT count(*) FROM exchange_delivery d JOIN exchange_destination t ON t.id = d.destination_id"
            "        WHERE t.code = 'faults' AND d.status = 'failed')").fetchone()
    return {"sent": row[0], "recorded_delivered": row[1], "dead": row[2]}


def point_destination(config: dict, url: str, secret: str) -> None:
    code = ("import django; django.setup()\nfrom shenpi import clock\nfrom shenpi.exchange.models import Destination\n"
            "Destination.objects.update_or_create(code='faults', defaults=dict(name='故障演练接收方', "
            f"kind='upstream', url={url!r}, secret={secret!r}, active=True, failures=0, retry_at=None, "
            "created_at=clock.now()))\n")
    done = subprocess.run([sys.executable, "-c", code], env=topology.environment(config), capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"faults: destination not created: {done.stderr.strip().splitlines()[-1:]}")


def stats(url: str) -> dict:
    """The receiver's counts under one set of names (the local receiver's or the province sandbox's)."""
    got = requests.get(url, timeout=10).json()
    return {"unique": got.get("unique", got.get("accepted", 0)), "duplicates": got.get("duplicates"),
            "out_of_order": got.get("out_of_order", got.get("violations"))}


def answers_again(urls: list[str], token: str, seconds: float = 60) -> float:
    """Seconds until every app server answers an API read with 200 again."""
    started = time.monotonic()
    for url in urls:
        while True:
            try:
                if requests.get(f"{url}/api/v1/items/", headers={"Authorization": f"Token {token}"},
                                timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() - started > seconds:
                raise SystemExit(f"faults: {url} does not answer {seconds:.0f} s after the fault")
            time.sleep(0.5)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="拓扑故障演练：负载下重启消息队列与数据库，核对事件无丢失。")
    parser.add_argument("--run-dir", default=str(topology.ROOT / "var" / "topology"))
    parser.add_argument("--receiver-url", default="", help="where events go; default: a local counting receiver")
    parser.add_argument("--stats-url", default="", help="the receiver's counts (JSON with `unique`)")
    parser.add_argument("--secret", default=SECRET, help="the receiver's signing secret")
    parser.add_argument("--behaviour-url", default="", help="where the receiver is told to fail (POST /behaviour)")
    parser.add_argument("--receiver-down", type=float, default=300.0, help="seconds the receiver answers 503")
    parser.add_argument("--rate", type=float, default=4.0, help="cases received and accepted per second")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds of load before and after each fault")
    parser.add_argument("--down", type=float, default=10.0, help="seconds the broker stays stopped")
    parser.add_argument("--drain", type=float, default=180.0, help="seconds allowed for the outbox to drain")
    parser.add_argument("--faults", default="receiver,worker,broker,postgres")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)

    config = json.loads((Path(args.run_dir) / "topology.json").read_text())
    seed = json.loads((Path(args.run_dir) / "seed.json").read_text())
    receiver = None
    if not args.receiver_url:
        receiver = Receiver(args.secret)
        args.receiver_url, args.stats_url = receiver.url, receiver.stats_url
    before = stats(args.stats_url).get("unique", 0)
    point_destination(config, args.receiver_url, args.secret)
    sent_before = counts(config)["sent"]

    urls = [f"http://127.0.0.1:{port}" for port in config["web_ports"]]
    load = Load(urls, seed["token"], seed["items"], rate=args.rate).start()
    recoveries = {}
    try:
        for name in filter(None, args.faults.split(",")):
            time.sleep(args.settle)
            print(f"faults: {name} …", file=sys.stderr)
            FAULTS[name](Fault(config, args, receiver))
            recoveries[name] = round(answers_again(urls, seed["token"]), 1)
        time.sleep(args.settle)
    finally:
        load.stop()

    deadline = time.monotonic() + args.drain
    while True:
        now = counts(config)
        sent = now["sent"] - sent_before
        received = stats(args.stats_url)
        delivered = received.get("unique", 0) - before
        if delivered >= sent or time.monotonic() > deadline:
            break
        time.sleep(2)
    result = {
        "cases_accepted": load.answers.get("201", 0), "answers": dict(load.answers),
        "sent": sent, "delivered": delivered, "lost": sent - delivered,
        "duplicates_dropped": received.get("duplicates"), "out_of_order": received.get("out_of_order"),
        "dead_letters": now["dead"], "app_servers_answer_after_s": recoveries,
    }
    print(json.dumps(result, ensure_ascii=False) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    unexpected = set(load.answers) - {"201", "503", "connection"}
    ok = result["lost"] == 0 and sent >= result["cases_accepted"] and not unexpected and not result["out_of_order"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
