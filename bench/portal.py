"""Public portal timings: guide search over N items, and the publicity boards and progress query on 1M cases.

    python -m bench.portal search [--items 5000] [--sqlite]   # PostgreSQL bench database unless --sqlite
    python -m bench.portal boards [--rows 1000000]            # PostgreSQL only (bench/scandata.py's generator)
    python -m bench.portal load [--rows 1000000] [--items 2000]  # over HTTP: gunicorn + wrk, PostgreSQL only

Each figure is the median and 95th percentile of repeated in-process calls (the view through
Django's test client, so template rendering is included; no HTTP server, no network). Search
items get names made of real item words (许可, 备案, 登记 … of departments' fields), conditions
and legal bases of realistic length, and one 建筑工程施工许可证核发 among them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

from .stats import table

SEARCHES = (
    ("施工许可", "one name word"),
    ("营业执照", "in many conditions"),
    ("许可", "in half the names"),
    ("建筑 变更", "two words"),
    ("施工许可证办理", "no exact match: nearest names"),
    ("火星签证", "nothing at all"),
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
            cursor.execute("VACUUM (ANALYZE)")  # as autovacuum would after a load: statistics, no pending list


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


LOAD_SEARCHES = ("施工许可", "营业执照", "许可", "建筑 变更", "施工许可证办理", "火星签证", "食品经营", "备案")
CSRF = "b" * 32  # a cookie secret and the same (unmasked) token in the form, as Django accepts


def _post_script(bodies: list[str]) -> str:
    entries = ",\n".join(f'"{body}"' for body in bodies)  # bodies are URL-encoded ASCII
    return f"""
local bodies = {{
{entries}
}}
local counter = 0
setup = function(thread)
  thread:set("offset", math.random(1, #bodies))
end
request = function()
  counter = counter + 1
  local body = bodies[((offset + counter) % #bodies) + 1]
  return wrk.format("POST", "/query/", {{["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken={CSRF}"}}, body)
end
"""


def _wrk(port: int, script: str, clients: int, seconds: float) -> dict:
    import re
    import subprocess
    import tempfile
    from pathlib import Path

    from .loadclient import _ms

    with tempfile.TemporaryDirectory(prefix="shenpi-wrk-") as folder:
        path = Path(folder) / "script.lua"
        path.write_text(script)
        output = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--latency",
                                 "--timeout", "30s", "-s", str(path), f"http://127.0.0.1:{port}/"],
                                capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m)", output)
    if total is None or len(percentiles) < 3:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    elapsed = float(total.group(2)) * (60 if total.group(3) == "m" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"requests": int(total.group(1)), "per_second": int(total.group(1)) / elapsed,
            "median_ms": _ms(percentiles["50"]), "p90_ms": _ms(percentiles["90"]), "p99_ms": _ms(percentiles["99"]),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


def _check_query(port: int, body: str) -> None:
    """A right number and code must reach the progress page, not the CSRF refusal or the wrong-code answer."""
    import http.client

    from shenpi.portal import progress

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/query/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                 "Cookie": f"csrftoken={CSRF}"})
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    if response.status != 200 or progress.WRONG in page:
        raise SystemExit(f"load: POST /query/ with a right code answered {response.status} without the progress")


def run_load(var_path: str, rows: int, items: int, seconds: float, query_clients: int, search_clients: int,
             gunicorn: str, reuse: bool) -> dict:
    """POST /query/ and GET /guide/?q= served by gunicorn on PostgreSQL, driven by wrk."""
    from urllib.parse import quote, urlencode

    from shenpi.cases.models import Case
    from shenpi.catalog.models import Item

    from . import listapi, loadclient, scandata

    if not loadclient.wrk_available():
        raise SystemExit("load: wrk is not installed (Debian: apt-get install wrk)")
    if reuse and Case.objects.exists():
        print(f"load: reusing {Case.objects.count():,} cases", flush=True)
    else:
        started = time.perf_counter()
        scandata.generate(open_cases=rows // 10, closed_cases=rows - rows // 10, history_months=1, years=1)
        print(f"load: {rows:,} cases generated in {time.perf_counter() - started:.1f} s", flush=True)
    if not Item.objects.filter(code__startswith="SEARCH-").exists():
        make_items(items)
    known = list(Case.objects.order_by("-id").values_list("number", "query_code")[:1000])
    rng = random.Random(3)
    right = [urlencode({"csrfmiddlewaretoken": CSRF, "number": n, "code": c}) for n, c in known]
    # One request in four with a wrong code (another case's code or six digits) or an unknown number.
    wrong = [urlencode({"csrfmiddlewaretoken": CSRF, "number": n, "code": f"{rng.randrange(10**6):06d}"})
             for n, _ in known[:250]]
    wrong += [urlencode({"csrfmiddlewaretoken": CSRF, "number": f"20990101ZZZZ{i:04d}", "code": "123456"})
              for i in range(80)]
    mixed = right[:750] + wrong
    rng.shuffle(mixed)
    # Wrong codes are counted per address and wrk comes from one: the limit is lifted for the mix.
    os.environ["SHENPI_QUERY_ATTEMPTS"] = str(10**9)
    workers, threads = listapi.parse_configs(gunicorn)[0]
    searches = [loadclient.Request("/guide/?q=" + quote(q), {}) for q in LOAD_SEARCHES]
    results = {}
    with listapi.Gunicorn(workers, threads, var_path) as server:
        status, body = server.wait_ready(loadclient.Request("/guide/?q=" + quote("施工许可"), {}))
        if status != 200:
            raise SystemExit(f"load: /guide/ answered {status}")
        _check_query(server.port, right[0])
        scenarios = (
            ("POST /query/ right codes", _post_script(right), query_clients),
            ("POST /query/ 1 in 4 wrong", _post_script(mixed), query_clients),
            ("GET /guide/?q=", loadclient._wrk_script(searches), search_clients),
        )
        for name, script, clients in scenarios:
            _wrk(server.port, script, clients, 3)  # warm every worker
            load_before = os.getloadavg()[0]
            figures = _wrk(server.port, script, clients, seconds)
            figures.update(clients=clients, load_before=load_before, load_after=os.getloadavg()[0])
            results[name] = figures
            print(f"{name}: {figures}", flush=True)
    print(table(["scenario", "connections", "requests", "req/s", "median ms", "p90 ms", "p99 ms", "non-2xx",
                 "load 1 min after"],
                [[n, r["clients"], r["requests"], r["per_second"], r["median_ms"], r["p90_ms"], r["p99_ms"],
                  r["non_2xx"], r["load_after"]] for n, r in results.items()]))
    print(f"gunicorn -w {workers} --threads {threads}; {Case.objects.count():,} cases, "
          f"{Item.objects.filter(code__startswith='SEARCH-').count():,} search items, {os.cpu_count()} CPUs")
    return results


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
    load = sub.add_parser("load", help="POST /query/ and GET /guide/?q= over HTTP (gunicorn + wrk)")
    load.add_argument("--rows", type=int, default=1_000_000, help="cases to generate (default 1,000,000)")
    load.add_argument("--items", type=int, default=2000, help="guide items to search (default 2,000)")
    load.add_argument("--seconds", type=float, default=20, help="measured seconds per scenario (default 20)")
    load.add_argument("--query-clients", type=int, default=100, help="wrk connections for /query/ (default 100)")
    load.add_argument("--search-clients", type=int, default=16, help="wrk connections for /guide/ (default 16)")
    load.add_argument("--gunicorn", default="2x4", help="workers x threads (default 2x4, as `make run`)")
    load.add_argument("--db", metavar="URL", help="an existing bench_* database (kept); with cases in it, "
                      "they are reused instead of generated")
    load.add_argument("--keep-db", action="store_true", help="keep the database this run creates")
    for each in (search, boards):
        each.add_argument("--repeat", type=int, default=50, help="timed calls per figure (default 50)")
    args = parser.parse_args(argv)
    os.environ.setdefault("SHENPI_LOG_LEVEL", "ERROR")

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
                run_load(var_path, args.rows, args.items, args.seconds, args.query_clients, args.search_clients,
                         args.gunicorn, reuse=bool(existing))
            else:
                run_boards(args.rows, args.repeat, reuse=bool(existing))
            print(f"load average (1 min) before {load:.2f}, after {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main(sys.argv[1:])
