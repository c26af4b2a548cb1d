"""The upstream feed: events per second from the outbox to the province's sandbox, delivery lag at a
steady rate, and what the outbox costs a case action.

    python -m bench.exchange [--db postgres://…/bench_exchange] [--cases 10000] [--events 100000]
                             [--senders 2] [--batch-sizes 100,500,1000] [--rate 200] [--seconds 30]
                             [--poll 0.05] [--action-cases 200] [--skip throughput,lag,actions]
    python -m bench.exchange --sqlite [--action-cases 200]      (the action cost only, on SQLite)

Without --db a database bench_exchange_<pid> is created and dropped afterwards (bench/db.py). The
sandbox server (`shenpi sandboxes serve`) runs as a process of its own on a free local port; the
province's destination has no address of its own and is resolved to it through SHENPI_SANDBOX_URL,
as in `make run`.

- throughput: `--cases` cases (bench/listdata.py), then `--events` events spread over them round
  robin (so each case has events/cases of them, whose order the receiver checks), with their
  deliveries, written by INSERT … SELECT with a payload as the platform writes it; then `--senders`
  processes each run `sender.send_due` until the outbox is empty. Events per second = events / time
  from the senders' start to the last delivery, once per batch size. The receiver's counts (accepted,
  duplicates, order violations) are printed with it.
- lag: `--producers` processes write `--rate` events per second between them for `--seconds` seconds, one transaction
  each (outbox.write, as a receiver of a case action does), while `--senders` processes poll the
  outbox every `--poll` seconds when they find nothing due (a sender that found work looks again at
  once). Lag = the receiver's time of receipt − the time just before the event's commit, p50/p99/max.
- outage (`--outage N`): the same steady run with the receiver answering 503 for N seconds from 10 s
  in; written, received, lost (written − received), duplicates and order violations, and the lag of
  everything (the events written during the outage wait for it to end, and for the senders' backoff).
- actions: cases walked through receive, accept, three passes, grant and complete (bench/lifecycle's
  ShenpiFlow) in alternating blocks without any destination and with one (events written, not sent);
  the difference of the median per action is what the outbox costs an action.

Figures are printed, never asserted. Aims: ≥ 2,000 events/s with two senders; p99 lag < 2 s at 200/s;
≤ 1 ms per action for the outbox on SQLite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

PAYLOAD_SQL = """
INSERT INTO exchange_event (key, kind, case_id, event_number, action, department_id, item_id, at, payload)
SELECT gen_random_uuid(), (ARRAY['accept','process','process','process','result','complete'])[1 + (g / %(cases)s) %% 6],
       c.id, 1 + g / %(cases)s, 'pass', c.department_id, c.item_id, now(),
       %(template)s::jsonb || jsonb_build_object('case', c.number, 'item', i.code, 'department', d.code,
                                                'received_at', c.received_at, 'state', c.state)
FROM generate_series(0, %(events)s - 1) AS g
JOIN bench_exchange_case bc ON bc.k = g %% %(cases)s
JOIN cases_case c ON c.id = bc.id
JOIN catalog_item i ON i.id = c.item_id
JOIN catalog_department d ON d.id = c.department_id
ORDER BY g
"""
DELIVERY_SQL = """
INSERT INTO exchange_delivery (event_id, destination_id, case_id, round, status, attempts, next_attempt_at, last_error,
                               created_at)
SELECT key, %(destination)s, case_id, 0, 'pending', 0, now(), '', now() FROM exchange_event ORDER BY id
"""
# What an event of a case says besides its case (receivers.case_payload and a 过程's step).
TEMPLATE = {"item_name": "食品经营许可证核发", "department_name": "市场监督管理局", "channel": "window",
            "applicant_kind": "organisation", "applicant_name": "示范餐饮管理有限公司",
            "accepted_at": "2026-12-01T09:12:30+08:00", "promised_limit": 10, "statutory_limit": 20,
            "extension_days": 0, "stopped_days": 0, "promised_due": "2026-12-15", "statutory_due": "2026-12-29",
            "decision": None, "completed_at": None, "action": "pass", "from": "in_progress", "to": "in_progress",
            "at": "2026-12-02T10:00:00+08:00", "step": "审查", "step_department": None, "opinion": "同意"}


# -- the sandbox server, in a process of its own ------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandboxes() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "shenpi.cli", "sandboxes", "serve", "--address",
                                f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_health", timeout=1).close()  # noqa: S310 - local
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox server did not start")


def _get(url: str):
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 - local
        return json.loads(answer.read())


def _post(url: str, data: dict | None = None):
    request = urllib.request.Request(url, data=json.dumps(data or {}).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - local
        return json.loads(answer.read())


# -- data ------------------------------------------------------------------------------------------

def destination(batch_size: int):
    from shenpi import clock
    from shenpi.exchange.models import Destination
    from shenpi.sandboxes.province import SECRETS

    row, _ = Destination.objects.update_or_create(code="province", defaults=dict(
        name="省电子监察平台", kind=Destination.Kind.UPSTREAM, url="", secret=next(iter(SECRETS.values())),
        batch_size=batch_size, created_at=clock.now(), retry_at=None, failures=0))
    return row


def ensure_cases(cases: int) -> float:
    from bench import listdata
    from shenpi.cases.models import Case

    started = time.perf_counter()
    if not Case.objects.exists():
        listdata.generate(rows=cases)
    return time.perf_counter() - started


def fill_outbox(events: int, batch_size: int) -> float:
    """`events` events and their deliveries to the province, all pending: seconds taken."""
    from django.db import connection, transaction

    from shenpi.exchange.models import Delivery, Event

    target = destination(batch_size)
    started = time.perf_counter()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_exchange_case ON COMMIT DROP AS SELECT row_number() OVER "
                       "(ORDER BY id) - 1 AS k, id FROM cases_case")
        cursor.execute("CREATE INDEX ON bench_exchange_case (k)")
        cursor.execute("SELECT count(*) FROM bench_exchange_case")
        cases = cursor.fetchone()[0]
        cursor.execute(PAYLOAD_SQL, {"cases": cases, "events": events, "template": json.dumps(TEMPLATE)})
        cursor.execute(DELIVERY_SQL, {"destination": target.pk})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) exchange_event")
        cursor.execute("VACUUM (ANALYZE) exchange_delivery")
    return time.perf_counter() - started


# -- senders ---------------------------------------------------------------------------------------

def _drain() -> None:
    """A sender process: send until nothing is left undelivered (another may hold a case's earlier row)."""
    from django.db import connection

    from shenpi.exchange import sender
    from shenpi.exchange.models import Delivery

    connection.close()
    while True:
        if sender.send_due(max_batches=1).batches:
            continue
        if not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists():
            return
        time.sleep(0.005)


def _poll(done, poll: float) -> None:
    """A sender process at a steady rate: look again at once after work, after `poll` s when idle;
    ends once the producer is done and nothing is left undelivered."""
    from django.db import connection

    from shenpi.exchange import sender
    from shenpi.exchange.models import Delivery

    connection.close()
    while True:
        if sender.send_due(max_batches=1).batches:
            continue
        if done.is_set() and not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists():
            return
        time.sleep(poll)


def _processes(target, count: int, *args) -> list:
    from django.db import connections

    connections.close_all()  # each child opens its own
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=target, args=args) for _ in range(count)]
    for child in children:
        child.start()
    return children


def throughput(sandbox_url: str, events: int, senders: int, batch_sizes: list[int]) -> dict:
    figures = {}
    for batch_size in batch_sizes:
        filled = fill_outbox(events, batch_size)
        _post(f"{sandbox_url}/_control/province/reset")
        started = time.perf_counter()
        children = _processes(_drain, senders)
        for child in children:
            child.join()
        elapsed = time.perf_counter() - started
        stats = _get(f"{sandbox_url}/province/stats")
        figures[batch_size] = {"events": events, "seconds": elapsed, "events_per_s": events / elapsed,
                               "fill_s": filled, "accepted": stats["accepted"], "duplicates": stats["duplicates"],
                               "violations": stats["violations"], "batches": stats["batches"]}
        print(f"batch {batch_size:>5}: {events:,} events in {elapsed:.1f} s = {events / elapsed:,.0f} events/s "
              f"({senders} senders); receiver: accepted {stats['accepted']:,}, duplicates {stats['duplicates']}, "
              f"order violations {stats['violations']}, {stats['batches']:,} batches", flush=True)
    return figures


def _produce(rate: float, seconds: float, case_ids: list[int], offset: int = 0, step: int = 1) -> None:
    """The producer process: `rate` events a second, one transaction each, the moment before commit
    in the payload (the lag's start: it over-states the lag by the commit's own duration)."""
    from django.db import connection, transaction

    from shenpi import clock
    from shenpi.exchange import outbox

    connection.close()
    targets = outbox.destinations()
    started = time.time()
    for n in range(int(rate * seconds)):
        wait = started + n / rate - time.time()
        if wait > 0:
            time.sleep(wait)
        # Producers write different cases (offset/step): a case's events come from one producer, in order.
        case_id = case_ids[(offset + n * step) % len(case_ids)]
        with transaction.atomic():
            outbox.write("process", at=clock.now(), payload={**TEMPLATE, "case": str(case_id), "t0": time.time()},
                         case_id=case_id, targets=targets)


def _outage(sandbox_url: str, start: float, seconds: float) -> None:
    """The receiver answers 503 from `start` s into the run for `seconds` s, then is back."""
    time.sleep(start)
    _post(f"{sandbox_url}/province/behaviour", {"mode": "fail"})
    time.sleep(seconds)
    _post(f"{sandbox_url}/province/behaviour", {"mode": "ok"})


def lag(sandbox_url: str, rate: float, seconds: float, senders: int, poll: float, batch_size: int,
        outage: float = 0, producers: int = 2) -> dict:
    import threading

    from shenpi.cases.models import Case
    from shenpi.exchange.models import Delivery, Event

    destination(batch_size)
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    _post(f"{sandbox_url}/_control/province/reset")
    case_ids = list(Case.objects.order_by("pk").values_list("pk", flat=True)[:5000])
    done = multiprocessing.get_context("fork").Event()
    children = _processes(_poll, senders, done, poll)
    started = time.perf_counter()
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    producer = [context.Process(target=_produce, args=(rate / producers, seconds, case_ids, n, producers))
                for n in range(producers)]
    for child in producer:
        child.start()
    if outage:
        threading.Thread(target=_outage, args=(sandbox_url, 10, outage), daemon=True).start()
    for child in producer:
        child.join()
    produced_in = time.perf_counter() - started
    done.set()
    for child in children:
        child.join()
    received = _get(f"{sandbox_url}/province/events")["events"]
    lags = sorted(e["received_at"] - e["t0"] for e in received)
    stats = _get(f"{sandbox_url}/province/stats")
    written = Event.objects.count()
    result = {"rate": rate, "seconds": seconds, "outage_s": outage, "written": written, "received": len(received),
              "produced_per_s": written / produced_in,
              "lost": written - len(received), "undelivered_rows": Delivery.objects.exclude(
                  status=Delivery.Status.DELIVERED).count(),
              "violations": stats["violations"], "duplicates": stats["duplicates"],
              "p50_s": statistics.median(lags), "p99_s": lags[int(len(lags) * 0.99) - 1], "max_s": lags[-1],
              "poll_s": poll, "batch_size": batch_size}
    if outage:
        print(f"receiver down for {outage:.0f} s from 10 s in: ", end="")
    print(f"lag at {rate:.0f} events/s for {seconds:.0f} s (written at {result['produced_per_s']:.0f}/s; {senders} "
          f"senders, idle poll {poll} s): {len(received):,} of {written:,} received, lost {result['lost']}; "
          f"p50 {result['p50_s'] * 1000:.0f} ms, "
          f"p99 {result['p99_s'] * 1000:.0f} ms, max {result['max_s'] * 1000:.0f} ms; "
          f"order violations {stats['violations']}, duplicates {stats['duplicates']}", flush=True)
    return result


# -- what the outbox costs an action -----------------------------------------------------------------

def action_cost(cases: int, block: int = 20) -> dict:
    """Alternating blocks of case lifecycles without a destination and with one (not sent)."""
    from collections import defaultdict

    from bench import org
    from bench.lifecycle import ShenpiFlow, _queue_notifications_as_in_production
    from shenpi.exchange.models import Destination, Event

    _queue_notifications_as_in_production()
    office = org.make_office()
    flow = ShenpiFlow(office, random.Random(5))
    timings = {"none": defaultdict(list), "one": defaultdict(list)}
    for n in range(4):  # warm-up, untimed
        flow.run_case(n, None)
    index = 100
    for round_no in range(max(1, cases // (2 * block))):
        for side in ("none", "one") if round_no % 2 == 0 else ("one", "none"):
            if side == "one":
                destination(100)
            else:
                Destination.objects.all().delete()
            for _ in range(block):
                flow.run_case(index, timings[side])
                index += 1
    Destination.objects.all().delete()
    result = {}
    for label in timings["none"]:
        none, one = statistics.median(timings["none"][label]), statistics.median(timings["one"][label])
        result[label] = {"none_ms": none * 1000, "one_ms": one * 1000, "outbox_ms": (one - none) * 1000}
    events = Event.objects.count()
    # One action each (receipt tells nothing; grant+complete is two, counted by its parts).
    per_action = [v["outbox_ms"] for k, v in result.items() if k not in ("receive/start", "grant+complete")]
    print(f"{'action':<18} {'no destination ms':>18} {'one destination ms':>19} {'outbox ms':>10}")
    for label, row in result.items():
        print(f"{label:<18} {row['none_ms']:>18.2f} {row['one_ms']:>19.2f} {row['outbox_ms']:>10.2f}")
    print(f"events written: {events:,}; mean outbox cost per told action: "
          f"{statistics.mean(per_action):.2f} ms (aim ≤ 1 ms)", flush=True)
    return {"per_action": result, "events": events}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exchange", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing bench_* PostgreSQL database (kept); default: a new one, dropped")
    parser.add_argument("--keep-db", action="store_true", help="keep the database this run creates")
    parser.add_argument("--sqlite", action="store_true", help="only the action cost, on a throw-away SQLite file")
    parser.add_argument("--cases", type=int, default=10_000, help="cases the events belong to (default 10,000)")
    parser.add_argument("--events", type=int, default=100_000, help="events in the outbox (default 100,000)")
    parser.add_argument("--senders", type=int, default=2, help="sender processes (default 2)")
    parser.add_argument("--batch-sizes", default="100,500,1000", help="batch sizes to try (default 100,500,1000)")
    parser.add_argument("--rate", type=float, default=200, help="events per second for the lag (default 200)")
    parser.add_argument("--seconds", type=float, default=30, help="seconds of steady rate (default 30)")
    parser.add_argument("--producers", type=int, default=2, help="processes writing the steady rate between "
                        "them, one transaction per event (default 2)")
    parser.add_argument("--poll", type=float, default=0.05, help="an idle sender's poll in seconds (default 0.05)")
    parser.add_argument("--outage", type=float, default=0, help="also a steady run with the receiver down this "
                        "many seconds (answering 503) from 10 s in; the run lasts until 40 s after it (default 0)")
    parser.add_argument("--lag-batch", type=int, default=500, help="batch size during the lag run (default 500)")
    parser.add_argument("--action-cases", type=int, default=200, help="cases per side for the action cost")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: throughput, lag, actions")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    from bench import db

    result: dict = {}
    with db.var_dir() as var_path:
        if args.sqlite:
            path = os.path.join(tempfile.mkdtemp(prefix="bench-exchange-"), "bench.sqlite3")
            db.setup_django(f"sqlite:///{path}", var_path)
            print("exchange: action cost on SQLite", flush=True)
            result["actions_sqlite"] = action_cost(args.action_cases)
        else:
            with db.bench_database("exchange", args.db, args.keep_db) as database:
                db.setup_django(database.url, var_path)
                print(f"exchange: database {database.name} (PostgreSQL)", flush=True)
                result = run(args, skip)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2, default=str)


def run(args, skip: set[str]) -> dict:
    result: dict = {}
    if not skip >= {"throughput", "lag"}:
        generated = ensure_cases(args.cases)
        print(f"cases ready in {generated:.1f} s", flush=True)
    if "actions" not in skip:
        result["actions_postgres"] = action_cost(args.action_cases)
    if skip >= {"throughput", "lag"}:
        return result
    server, url = start_sandboxes()
    os.environ["SHENPI_SANDBOX_URL"] = url
    from django.conf import settings

    settings.SANDBOX_URL = url
    try:
        if "throughput" not in skip:
            sizes = [int(size) for size in args.batch_sizes.split(",")]
            result["throughput"] = throughput(url, args.events, args.senders, sizes)
        if "lag" not in skip:
            result["lag"] = lag(url, args.rate, args.seconds, args.senders, args.poll, args.lag_batch,
                                producers=args.producers)
        if args.outage:
            result["outage"] = lag(url, args.rate, max(args.seconds, args.outage + 40), args.senders, args.poll,
                                   args.lag_batch, outage=args.outage, producers=args.producers)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return result


if __name__ == "__main__":
    main()
