"""Public portal timings: guide search over N items, and the publicity boards and progress query on 1M cases.

    python -m bench.portal search [--items 5000] [--sqlite]   # PostgreSQL bench database unless --sqlite
    python -m bench.portal boards [--rows 1000000]            # PostgreSQL only (bench/scandata.py's generator)
    python -m bench.portal load [--rows 1000000] [--items 2000]  # over HTTP: gunicorn + asyncio client, PostgreSQL
    python -m bench.portal load --db postgres://…/bench_scan_…  # reuse the cases of `python -m bench scan --keep-db`

`search` and `boards` give the median and 95th percentile of repeated in-process calls (the view
through Django's test client, so template rendering is included; no HTTP server, no network).
`load` serves the site with gunicorn and measures over HTTP (see run_load and docs/benchmarks.md). Search
items get names made of real item words (许可, 备案, 登记 … of departments' fields), conditions
and legal bases of realistic length, and one 建筑工程施工许可证核发 among them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

from .stats import table

SEARCHES = (
    ("施工许可", "one name word"),
    ("营业执照", "in many conditions"),
    ("许可", "in half the names"),
    ("建筑 变更", "two words"),
    ("施工许可证办理", "no exact match: nearest names"),
    ("火星签证", "nothing at all"),
    ("施工证", "synonym dictionary: 施工许可"),
    ("sgxk", "pinyin initials"),
    ("建筑工程施工许可证合发", "homophone typo: nearest names"),
)
FIELDS = ("建筑工程", "食品经营", "道路运输", "药品零售", "医疗机构", "排水", "城市道路占用", "户外广告",
          "娱乐场所", "特种设备", "危险化学品", "林木采伐", "取水", "民办学校", "养老机构", "出版物零售", "人防工程",
          "烟草专卖零售", "燃气经营", "建设用地规划", "不动产", "社会团体", "律师执业", "电影放映", "旅行社")
KINDS = ("施工许可证核发", "许可", "备案", "登记", "审批", "核准", "认定", "变更", "延续", "注销", "证明")


def _timed(call, repeat: int) -> dict:
    call()  # warm: the first call pays for imports and the query plan
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(len(samples) * 0.95) - 1],
            "max_ms": samples[-1]}


def make_items(count: int, seed: int = 7) -> None:
    from django.db import connection, transaction

    from shenpi.catalog.models import Department, Item, ItemVersion

    rng = random.Random(seed)
    with transaction.atomic():
        depts = [Department.objects.create(code=f"P{i:03d}", name=f"第{i}局", short_name=f"{i}局", sort=i)
                 for i in range(1, 41)]
        items = Item.objects.bulk_create(Item(code=f"SEARCH-{n:06d}", department=rng.choice(depts))
                                         for n in range(count))
        versions = []
        for n, item in enumerate(items):
            name = "建筑工程施工许可证核发" if n == count // 2 else f"{rng.choice(FIELDS)}{rng.choice(KINDS[1:])}{n}"
            versions.append(ItemVersion(
                item=item, number=1, status=ItemVersion.Status.PUBLISHED, name=name,
                audience=rng.choice(ItemVersion.Audience.values), type=rng.choice(ItemVersion.Type.values),
                legal_basis=f"《中华人民共和国{rng.choice(FIELDS)}管理条例》第{rng.randint(1, 60)}条" * 2,
                conditions=("申请人应当具备相应的条件；" + ("持有营业执照；" if rng.random() < 0.4 else "")
                            + "提交的材料真实、完整、有效；符合相关技术规范和标准要求。") * 3,
                result_name=f"{name[:6]}证", promised_limit=5, statutory_limit=20))
        ItemVersion.objects.bulk_create(versions)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As autovacuum would after a load: statistics, no pending list. Only the catalogue's
            # tables: `load --db` may add the items to a database of millions of cases.
            cursor.execute("VACUUM (ANALYZE) catalog_department, catalog_item, catalog_itemversion")


def run_search(items: int, repeat: int) -> dict:
    from django.test import Client

    from shenpi.portal import guides

    started = time.perf_counter()
    make_items(items)
    print(f"search: {items} items made in {time.perf_counter() - started:.1f} s", flush=True)
    client = Client()
    results, rows = {}, []
    for query, note in SEARCHES:
        def search(query=query):
            found = guides.search(guides.Filters(query=query))
            return len(found.ids), guides.load(found.ids[:20])

        count, first = search()
        page = _timed(lambda query=query: client.get("/guide/", {"q": query}), repeat)
        call = _timed(search, repeat)
        results[query] = {"note": note, "matches": count, "first": first[0].name if first else "",
                          "search": call, "page": page}
        rows.append([f"{query} ({note})", count, call["median_ms"], call["p95_ms"], page["median_ms"], page["p95_ms"]])
    print(table(["query", "matches", "search median ms", "p95", "page median ms", "p95"], rows))
    return results


def run_boards(rows: int, repeat: int, reuse: bool) -> dict:
    from django.test import Client

    from shenpi.cases.models import Case
    from shenpi.portal import progress, publicity

    from . import scandata

    if reuse and Case.objects.exists():
        print(f"boards: reusing {Case.objects.count():,} cases", flush=True)
    else:
        started = time.perf_counter()
        # One case in ten open, as in a centre; the last month's cases have their steps and events.
        scandata.generate(open_cases=rows // 10, closed_cases=rows - rows // 10, history_months=1, years=1)
        print(f"boards: {rows:,} cases generated in {time.perf_counter() - started:.1f} s", flush=True)
    client = Client()
    dept = Case.objects.order_by("-id").values_list("department_id", flat=True).first()
    dept_code = Case.objects.order_by("-id").values_list("department__code", flat=True).first()
    from shenpi.catalog.models import Department

    department = Department.objects.get(pk=dept)
    deep = Case.objects.order_by("-id").values_list("pk", flat=True)[Case.objects.count() // 2]
    recent = list(Case.objects.order_by("-id").only("number", "query_code")[:500])
    known = [(c.number, c.query_code) for c in recent]
    rng = random.Random(1)
    page_51 = _cursor_after(50)
    scenarios = {
        "办件公示 first page": lambda: publicity.case_board(),
        "办件公示 one department": lambda: publicity.case_board(department=department),
        "办件公示 half-way back": lambda: publicity.case_board(before=deep),
        "结果公示 first page": lambda: publicity.result_board(),
        "结果公示 不予许可 only": lambda: publicity.result_board(kind="deny"),
        "结果公示 one department": lambda: publicity.result_board(department=department),
        "结果公示 page 51": lambda: publicity.result_board(before=page_51),
        "查询 find(), right code": lambda: progress.find(*rng.choice(known)),
        "查询 find(), unknown number": lambda: progress.find("20990101ZZZZZZZZ", "123456"),
        "查询 progress() of a found case": lambda: progress.progress(progress.find(*rng.choice(known))),
    }
    pages = {
        "page /publicity/cases/": lambda: client.get("/publicity/cases/"),
        "page /publicity/results/": lambda: client.get("/publicity/results/"),
        "page /publicity/cases/?department=": lambda: client.get("/publicity/cases/", {"department": dept_code}),
        "page POST /query/ (right code)": lambda: client.post("/query/", dict(zip(
            ("number", "code"), rng.choice(known), strict=True))),
    }
    results, table_rows = {}, []
    for name, call in {**scenarios, **pages}.items():
        try:
            figures = _timed(call, repeat)
        except Exception as error:  # a page that cannot be served is reported, the rest still measured
            print(f"{name}: not measured ({type(error).__name__}: {error})", flush=True)
            continue
        results[name] = figures
        table_rows.append([name, figures["median_ms"], figures["p95_ms"], figures["max_ms"]])
    print(table(["scenario", "median ms", "p95 ms", "max ms"], table_rows))
    return results


# (query, text a right answer holds): the page of results, the nearest names, or nothing found.
LOAD_SEARCHES = (("施工许可", "建筑工程施工许可证核发"), ("营业执照", 'class="guide-list"'),
                 ("许可", 'class="guide-list"'), ("建筑 变更", 'id="results-title"'),
                 ("施工许可证办理", "没有完全匹配的事项"), ("火星签证", "没有找到相关事项"),
                 ("食品经营", 'class="guide-list"'), ("备案", 'class="guide-list"'))
CSRF = "b" * 32  # a cookie secret and the same (unmasked) token in the form, as Django accepts
# The field key of `python -m bench scan`, whose cases `load --db` may reuse: their query codes are
# SM4-encrypted under it and must decrypt here and in the server alike.
BENCH_FIELD_KEY = "5348454e50492d62656e63682d6b6579"


def _post(number: str, code: str) -> bytes:
    from urllib.parse import urlencode

    from .loadclient import http_request

    body = urlencode({"csrfmiddlewaretoken": CSRF, "number": number, "code": code}).encode()
    return http_request("POST", "/query/", {"Content-Type": "application/x-www-form-urlencoded",
                                            "Cookie": f"csrftoken={CSRF}"}, body)


def query_calls(known: list[tuple[str, str]], seed: int = 3) -> tuple[list, list]:
    """(right, mixed): POST /query/ with right codes, and the same with one request in four wrong.

    A right code must show the progress (the number and its history, not the wrong-code answer);
    a wrong code (another six digits for an existing number, or an unknown number) the one answer.
    """
    from shenpi.portal import progress

    from .loadclient import Call

    wrong_answer = progress.WRONG.encode()
    rng = random.Random(seed)
    right = [Call(_post(n, c), must=(n.encode(), "办理记录".encode()), must_not=(wrong_answer,)) for n, c in known]
    wrong = [Call(_post(n, f"{rng.randrange(10**6):06d}"), must=(wrong_answer,)) for n, _ in known[:250]]
    wrong += [Call(_post(f"20990101ZZZZ{i:04d}", "123456"), must=(wrong_answer,)) for i in range(80)]
    mixed = right[:750] + wrong
    rng.shuffle(mixed)
    return right, mixed


def search_calls() -> list:
    from urllib.parse import quote

    from .loadclient import Call, http_request

    return [Call(http_request("GET", "/guide/?q=" + quote(q)), must=(expected.encode(),))
            for q, expected in LOAD_SEARCHES]


def _check_query(port: int, call) -> None:
    """A right number and code must reach the progress page, not the CSRF refusal or the wrong-code answer."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(call.raw.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = answer[9:12]
    if status != b"200" or not all(text in answer for text in call.must) or any(t in answer for t in call.must_not):
        raise SystemExit(f"load: POST /query/ with a right code answered {status.decode()} without the progress")


def _known_cases() -> list[tuple[str, str]]:
    from shenpi.cases.models import Case

    try:
        return list(Case.objects.order_by("-id").values_list("number", "query_code")[:1000])
    except (ValueError, UnicodeDecodeError) as error:
        raise SystemExit("load: the cases' query codes do not decrypt: they were generated under another "
                         f"SHENPI_FIELD_KEY (the bench's is {BENCH_FIELD_KEY}) ({error})") from error


def run_load(var_path: str, rows: int, items: int, seconds: float, query_clients: int, search_clients: int,
             gunicorn: str, reuse: bool, think: float, search_rate: float, warmup: float) -> dict:
    """POST /query/ and GET /guide/?q= served by gunicorn on PostgreSQL, driven by an asyncio client.

    Each kind of request is measured twice: in a closed loop without pauses (where the server
    saturates: its maximum rate, and latency that is mostly queueing), and as users would load
    it: 100 users who think between queries, and searches arriving at a stated rate.
    """
    from django.db import connection

    from shenpi.cases.models import Case
    from shenpi.catalog.models import Item, ItemVersion

    from . import cpu, listapi, loadclient, scandata

    if reuse and Case.objects.exists():
        print("load: reusing the cases of the database", flush=True)
    else:
        started = time.perf_counter()
        scandata.generate(open_cases=rows // 10, closed_cases=rows - rows // 10, history_months=1, years=1)
        print(f"load: {rows:,} cases generated in {time.perf_counter() - started:.1f} s", flush=True)
    cases = Case.objects.count()  # once: seconds on tens of millions of rows
    if not Item.objects.filter(code__startswith="SEARCH-").exists():
        make_items(items)
    right, mixed = query_calls(_known_cases())
    searches = search_calls()
    # Wrong codes are counted per address and the client comes from one: the limit is lifted for the mix.
    os.environ["SHENPI_QUERY_ATTEMPTS"] = str(10**9)
    # The embedded default scans for supervision in every web process each minute; a deployment
    # runs it in Celery instead, and a scan of the whole case table is not the portal's cost.
    os.environ["SHENPI_SUPERVISE_IN_PROCESS"] = "0"
    workers, threads = listapi.parse_configs(gunicorn)[0]
    scenarios = (
        ("POST /query/ right codes", right, dict(clients=query_clients)),
        ("POST /query/ 1 in 4 wrong", mixed, dict(clients=query_clients)),
        ("POST /query/ right codes", right, dict(clients=query_clients, think_s=think)),
        ("POST /query/ 1 in 4 wrong", mixed, dict(clients=query_clients, think_s=think)),
        ("GET /guide/?q=", searches, dict(clients=search_clients)),
        ("GET /guide/?q=", searches, dict(clients=search_clients, rate=search_rate)),
    )
    database = connection.settings_dict["NAME"]
    results = []
    with listapi.Gunicorn(workers, threads, var_path) as server:
        status, body = server.wait_ready(loadclient.Request(searches[0].raw.split(b" ")[1].decode(), {}))
        if status != 200:
            raise SystemExit(f"load: /guide/ answered {status}")
        _check_query(server.port, right[0])
        for name, calls, options in scenarios:
            load_before = os.getloadavg()[0]
            before = cpu.sample(server.process.pid, database)
            outcome = loadclient.run_async(server.port, calls, seconds=seconds, warmup=warmup, **options)
            spent = cpu.per_request_ms(before, cpu.sample(server.process.pid, database), outcome.requests)
            figures = dict(outcome.figures(), scenario=name, load_before=load_before,
                           load_after=os.getloadavg()[0], **spent)
            results.append(figures)
            print(f"{name} ({_how(figures)}): {figures['requests']:,} requests, {figures['per_second']:.1f}/s, "
                  f"median {figures['median_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                  f"errors {figures['errors']} ({figures['wrong_answers']} wrong answers), statuses "
                  f"{figures['statuses']}, reconnects {figures['reconnects']}", flush=True)
            if figures["errors"]:
                print(f"gunicorn's log ends with:\n{server.log.read_text()[-2000:]}", flush=True)
    print(table(["scenario", "load", "requests", "req/s", "median ms", "p95 ms", "p99 ms", "max ms", "errors",
                 "server CPU ms/req", "db CPU ms/req", "client CPU ms/req", "load 1 min after"],
                [[r["scenario"], _how(r), r["requests"], r["per_second"], r["median_ms"], r["p95_ms"], r["p99_ms"],
                  r["max_ms"], r["errors"], r.get("server_cpu_ms", math.nan), r.get("database_cpu_ms", math.nan),
                  r["client_cpu_ms"], r["load_after"]] for r in results]))
    published = ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED).count()
    print(f"gunicorn -w {workers} --threads {threads}; {cases:,} cases, {published:,} published "
          f"items ({Item.objects.filter(code__startswith='SEARCH-').count():,} generated for the search), "
          f"{os.cpu_count()} CPUs; {seconds:g} s measured per scenario after {warmup:g} s of warm-up")
    for r in results:
        r.pop("statuses", None)
    return {"gunicorn": gunicorn, "cases": cases, "published_items": published,
            "scenarios": results}


def _how(figures: dict) -> str:
    if figures["mode"] == "closed":
        return f"closed loop, {figures['clients']} conn."
    if figures["mode"] == "think":
        return f"{figures['clients']} users, think {figures['think_ms'] / 1000:g} s"
    return f"{figures['offered_per_second']:g}/s offered, {figures['clients']} conn."


def _cursor_after(pages: int) -> str | None:
    from shenpi.portal import publicity

    cursor = None
    for _ in range(pages):
        cursor = publicity.result_board(before=cursor).older
    return cursor


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.portal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser("search", help="guide search over generated items")
    search.add_argument("--items", type=int, default=5000)
    search.add_argument("--sqlite", action="store_true", help="an embedded SQLite file instead of PostgreSQL")
    boards = sub.add_parser("boards", help="publicity boards and the progress query on generated cases")
    boards.add_argument("--rows", type=int, default=1_000_000)
    boards.add_argument("--db", metavar="URL", help="an existing bench_* database (kept); with cases in it, "
                        "they are reused instead of generated")
    boards.add_argument("--keep-db", action="store_true", help="keep the database this run creates")
    load = sub.add_parser("load", help="POST /query/ and GET /guide/?q= over HTTP (gunicorn + asyncio client)")
    load.add_argument("--rows", type=int, default=1_000_000, help="cases to generate (default 1,000,000)")
    load.add_argument("--items", type=int, default=2000, help="guide items to search (default 2,000)")
    load.add_argument("--seconds", type=float, default=30, help="measured seconds per scenario (default 30)")
    load.add_argument("--warmup", type=float, default=3, help="seconds before measuring, per scenario (default 3)")
    load.add_argument("--query-clients", type=int, default=100,
                      help="users (and connections) querying /query/ (default 100)")
    load.add_argument("--think", type=float, default=1.0,
                      help="mean think time of a query user in seconds, exponential (default 1)")
    load.add_argument("--search-clients", type=int, default=16, help="connections searching /guide/ (default 16)")
    load.add_argument("--search-rate", type=float, default=20,
                      help="searches a second arriving in the open-loop run (default 20)")
    load.add_argument("--json", metavar="PATH", help="also write the figures to this file")
    load.add_argument("--gunicorn", default="2x4", help="workers x threads (default 2x4, as `make run`)")
    load.add_argument("--db", metavar="URL", help="an existing bench_* database (kept); with cases in it, "
                      "they are reused instead of generated")
    load.add_argument("--keep-db", action="store_true", help="keep the database this run creates")
    for each in (search, boards):
        each.add_argument("--repeat", type=int, default=50, help="timed calls per figure (default 50)")
    args = parser.parse_args(argv)
    os.environ.setdefault("SHENPI_LOG_LEVEL", "ERROR")
    os.environ.setdefault("SHENPI_FIELD_KEY", BENCH_FIELD_KEY)

    from . import db

    with db.var_dir() as var_path:
        if args.command == "search" and args.sqlite:
            os.environ.pop("DATABASE_URL", None)
            db.setup_django("", var_path)
            print(f"search: SQLite in {var_path}", flush=True)
            run_search(args.items, args.repeat)
            return
        existing = getattr(args, "db", None)
        with db.bench_database("portal", existing, getattr(args, "keep_db", False)) as database:
            db.setup_django(database.url, var_path)
            print(f"{args.command}: database {database.name} (PostgreSQL)", flush=True)
            load = os.getloadavg()[0]
            if args.command == "search":
                run_search(args.items, args.repeat)
            elif args.command == "load":
                result = run_load(var_path, args.rows, args.items, args.seconds, args.query_clients,
                                  args.search_clients, args.gunicorn, reuse=bool(existing), think=args.think,
                                  search_rate=args.search_rate, warmup=args.warmup)
                if args.json:
                    Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
            else:
                run_boards(args.rows, args.repeat, reuse=bool(existing))
            print(f"load average (1 min) before {load:.2f}, after {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main(sys.argv[1:])
