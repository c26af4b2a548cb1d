"""The filtered, paginated case list over HTTP: gunicorn, a million cases, 16 concurrent clients.

Scenarios (each request names one department; requests cycle over all departments):
  in_progress × supervisor   GET /api/v1/cases/?state=in_progress&department=D   (sees all departments)
  in_progress × handler      the same, with the token of D's own handler (least-privilege filter)
  overdue × supervisor       GET /api/v1/cases/?overdue=true&department=D
  overdue × handler          the same, with D's handler
  overdue-all × supervisor   GET /api/v1/cases/?overdue=true   (the whole centre)
and, only when named with --scenarios:
  in_progress-mine × handler GET /api/v1/cases/?state=in_progress   (D's handler; no department filter)
Only the first page is fetched: the call a list screen makes on every visit.
"""

from __future__ import annotations

import cProfile
import io
import json
import math
import os
import pstats
import random
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from . import cpu, listdata, loadclient
from .loadclient import Request
from .stats import table

LIST_PATH = "/api/v1/cases/"
SCENARIOS = {
    "in_progress/supervisor": ("state=in_progress&department={code}", "supervisor"),
    "in_progress/handler": ("state=in_progress&department={code}", "handler"),
    "overdue/supervisor": ("overdue=true&department={code}", "supervisor"),
    "overdue/handler": ("overdue=true&department={code}", "handler"),
    "overdue-all/supervisor": ("overdue=true", "supervisor"),
    # Not run unless named: the handler's own list without a department filter, where only the
    # least-privilege condition narrows the rows (slow with visible_cases as of this writing).
    "in_progress-mine/handler": ("state=in_progress", "handler"),
}
DEFAULT_SCENARIOS = [name for name in SCENARIOS if name != "in_progress-mine/handler"]
# EXPLAIN ANALYZE runs the query again: bounded, so a pathological plan cannot hold the run.
EXPLAIN_TIMEOUT_S = 20
REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _requests(catalogue: listdata.Catalogue, scenario: str, seed: int) -> list[Request]:
    query, who = SCENARIOS[scenario]
    out = []
    for code in catalogue.department_codes:
        token = catalogue.supervisor_token if who == "supervisor" else catalogue.handler_tokens[code]
        out.append(Request(f"{LIST_PATH}?{query.format(code=code)}", {"Authorization": f"Token {token}"}))
        if "{code}" not in query and who == "supervisor":
            break
    random.Random(seed).shuffle(out)
    return out


class Gunicorn:
    """One gunicorn on a free port of 127.0.0.1, stopped by its own pid."""

    def __init__(self, workers: int, threads: int, var_path: str):
        self.workers, self.threads = workers, threads
        self.port = _free_port()
        self.log = Path(var_path) / f"gunicorn-{workers}x{threads}.log"
        self.process: subprocess.Popen | None = None
        self.var_path = var_path

    def __enter__(self) -> Gunicorn:
        binary = Path(sys.executable).with_name("gunicorn")
        env = dict(os.environ, SHENPI_VAR_DIR=self.var_path, SHENPI_DEBUG="0", SHENPI_LOG_LEVEL="ERROR")
        command = [str(binary), "shenpi.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers),
                   "--threads", str(self.threads), "--error-logfile", str(self.log), "--log-level", "warning"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def wait_ready(self, probe: Request, timeout: float = 60) -> tuple[int, bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                return loadclient.get(self.port, probe, timeout=60)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on port {self.port} within {timeout} s")


def _page_summary(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return "not JSON"
    results = data.get("results") if isinstance(data, dict) else data
    count = len(results) if isinstance(results, list) else "?"
    following = "next" if isinstance(data, dict) and data.get("next") else "no next"
    return f"{count} rows, {following}"


def measure(catalogue: listdata.Catalogue, var_path: str, configs: list[tuple[int, int]], scenarios: list[str],
            clients: int, seconds: float, warmup: float, max_requests: int, tool: str, seed: int) -> dict:
    use_wrk = tool == "wrk" or (tool == "auto" and loadclient.wrk_available())
    if tool == "wrk" and not loadclient.wrk_available():
        raise SystemExit("--client wrk: wrk is not installed (Debian: apt-get install wrk, or `make system-bench`)")
    database = connection.settings_dict["NAME"]
    results: dict = {"client": "wrk" if use_wrk else "python threads", "configs": {}}
    for workers, threads in configs:
        label = f"{workers}x{threads}"
        with Gunicorn(workers, threads, var_path) as server:
            probe = _requests(catalogue, scenarios[0], seed)[0]
            status, body = server.wait_ready(probe)
            if status == 404:
                print(f"list-api: {LIST_PATH} answers 404: the endpoint does not exist yet; nothing measured")
                results["missing_endpoint"] = True
                return results
            print(f"list-api: gunicorn -w {workers} --threads {threads} on port {server.port}", flush=True)
            rows = {}
            for scenario in scenarios:
                requests = _requests(catalogue, scenario, seed)
                status, body = loadclient.get(server.port, requests[0])
                print(f"  {scenario}: first page {status}, {_page_summary(body)}", flush=True)
                if warmup:
                    if use_wrk:
                        loadclient.run_wrk(server.port, requests, clients, warmup)
                    else:
                        loadclient.run_python(server.port, requests, clients, warmup)
                before = cpu.sample(server.process.pid, database)
                if use_wrk:
                    outcome = loadclient.run_wrk(server.port, requests, clients, seconds)
                else:
                    outcome = loadclient.run_python(server.port, requests, clients, seconds, max_requests)
                spent = cpu.per_request_ms(before, cpu.sample(server.process.pid, database), outcome.requests)
                if outcome.errors or status != 200:
                    print(f"  {scenario}: errors; the body of the first answer was {body[:300]!r}; "
                          f"gunicorn's log ends with:\n{server.log.read_text()[-3000:]}", flush=True)
                rows[scenario] = dict(asdict(outcome), per_second=outcome.per_second, first_status=status, **spent)
                print(f"  {scenario}: {outcome.requests:,} requests, median {outcome.median_ms:.1f} ms, "
                      f"p99 {outcome.p99_ms:.1f} ms, {outcome.per_second:.0f}/s, errors {outcome.errors}; "
                      f"CPU ms per request: server {spent.get('server_cpu_ms', 0):.2f}, "
                      f"database {spent.get('database_cpu_ms', 0):.2f}, client {spent.get('client_cpu_ms', 0):.2f}; "
                      f"load average {os.getloadavg()[0]:.2f}", flush=True)
            results["configs"][label] = rows
    _print(results, clients)
    return results


def _print(results: dict, clients: int) -> None:
    rows = []
    for label, scenarios in results["configs"].items():
        for scenario, r in scenarios.items():
            rows.append([label, scenario, r["requests"], r["median_ms"], r["p90_ms"], r["p99_ms"], r["per_second"],
                         r["errors"], r.get("server_cpu_ms", math.nan), r.get("database_cpu_ms", math.nan),
                         r.get("client_cpu_ms", math.nan)])
    print()
    print(table(["gunicorn w×t", "scenario", "requests", "median ms", "p90 ms", "p99 ms", "req/s", "errors",
                 "server CPU ms/req", "db CPU ms/req", "client CPU ms/req"], rows,
                title=f"Case list API, {clients} concurrent clients ({results['client']})"))


def _probe_departments() -> dict[str, str]:
    """The departments worth a look: the largest, and the one with most cases of other departments."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT d.code FROM cases_case c JOIN catalog_department d ON d.id = c.department_id "
                       "GROUP BY d.code ORDER BY count(*) DESC LIMIT 1")
        found = {"largest": cursor.fetchone()[0]}
        cursor.execute("SELECT d.code FROM cases_casestep s JOIN catalog_department d ON d.id = s.department_id "
                       "WHERE s.cross_department GROUP BY d.code ORDER BY count(DISTINCT s.case_id) DESC LIMIT 1")
        row = cursor.fetchone()
        if row and row[0] != found["largest"]:
            found["most cross-department parts"] = row[0]
    return found


def explain(catalogue: listdata.Catalogue, scenarios: list[str], full: bool) -> dict:
    """Run each scenario once in-process and EXPLAIN ANALYZE its SQL: for the largest department, and
    for handlers also for the department that works most parts of other departments' cases."""
    departments = _probe_departments()
    client = Client(raise_request_exception=False)
    report = {"departments": departments, "runs": []}
    print(f"\nSQL behind one request, run in-process, with EXPLAIN ANALYZE (cut at {EXPLAIN_TIMEOUT_S} s); "
          f"departments: " + ", ".join(f"{code} ({why})" for why, code in departments.items()))
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{EXPLAIN_TIMEOUT_S}s'")
    for scenario in scenarios:
        query, who = SCENARIOS[scenario]
        for why, code in departments.items():
            if who == "supervisor" and why != "largest":
                continue
            token = catalogue.supervisor_token if who == "supervisor" else catalogue.handler_tokens[code]
            report["runs"].append(_explain_request(client, scenario, f"{LIST_PATH}?{query.format(code=code)}",
                                                   token, code, full))
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")
    return report


def _explain_request(client: Client, scenario: str, path: str, token: str, code: str, full: bool) -> dict:
    client.get(path, HTTP_AUTHORIZATION=f"Token {token}")  # warm caches (calendar, content types)
    sent: list[tuple[str, tuple]] = []

    def keep(execute, sql, params, many, context):
        # The SQL as written, with its values apart: kept statements are bound on the server, so the
        # captured text has $1 placeholders that EXPLAIN alone cannot run.
        sent.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(keep):
        started = time.perf_counter()
        response = client.get(path, HTTP_AUTHORIZATION=f"Token {token}")
        elapsed = (time.perf_counter() - started) * 1000
    statements = []
    for q, (sql, params) in zip(captured.captured_queries, sent, strict=False):
        entry = {"sql": q["sql"], "ms": float(q["time"]) * 1000}
        if sql.lstrip().upper().startswith("SELECT") and "cases_case" in sql:
            entry["plan"] = _explain(sql, params)
        statements.append(entry)
    print(f"\n[{scenario}, {code}] {path} → {response.status_code}, {elapsed:.1f} ms in-process, "
          f"{len(statements)} SQL statements")
    for entry in statements:
        sql, plan = entry["sql"], entry.get("plan")
        print(f"  {entry['ms']:6.1f} ms  {sql[:110]}{'…' if len(sql) > 110 else ''}")
        if plan is None:
            continue
        timings = [line.strip() for line in plan.splitlines() if "Planning Time" in line
                   or "Execution Time" in line or line.strip().startswith("Timing:")]
        print(f"           {len(sql):,} characters of SQL; EXPLAIN ANALYZE: {'; '.join(timings) or '?'}")
        if full:
            print("  SQL: " + sql)
            print("\n".join("    " + line for line in plan.splitlines()))
    return {"scenario": scenario, "department": code, "status": response.status_code, "in_process_ms": elapsed,
            "statements": statements}


def _explain(sql: str, params: tuple) -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
    except OperationalError as error:
        return f"Execution Time: more than {EXPLAIN_TIMEOUT_S} s (cancelled: {str(error).strip()})"


def _environ(request: Request) -> dict:
    """The WSGI environment gunicorn would build for one of the bench's requests."""
    path, _, query = request.path.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
               "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True,
               "wsgi.run_once": False, "wsgi.version": (1, 0)}
    environ.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in request.headers.items()})
    return environ


def in_process(catalogue: listdata.Catalogue, scenarios: list[str], rounds: int = 5, per_round: int = 100,
               seed: int = 5) -> dict:
    """CPU per request of each scenario through Django's WSGI application in this process, as gunicorn
    calls it but without HTTP and without concurrency: the best of a few rounds, so that other work
    on the machine counts as little as possible. Also the SQL statements and Python calls per request."""
    application = WSGIHandler()
    statuses: list[str] = []

    def call(request: Request) -> None:
        b"".join(application(_environ(request), lambda status, headers, *exc: statuses.append(status)))

    report = {}
    for scenario in scenarios:
        requests = _requests(catalogue, scenario, seed)
        for request in requests:  # warm: kept statements, calendar, connection
            call(request)
        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            call(requests[0])
        best = math.inf
        for _ in range(rounds):
            started = time.process_time()
            for index in range(per_round):
                call(requests[index % len(requests)])
            best = min(best, (time.process_time() - started) * 1000 / per_round)
        profile = cProfile.Profile()
        for request in requests[:20]:
            profile.runcall(call, request)
        calls = pstats.Stats(profile).total_calls / min(20, len(requests))
        report[scenario] = {"cpu_ms": best, "sql_statements": len(executed), "python_calls": calls}
    errors = sorted({status for status in statuses if not status.startswith("200")})
    print()
    print(table(["scenario", "CPU ms/request", "SQL statements", "Python calls"],
                [[name, f"{r['cpu_ms']:.2f}", r["sql_statements"], f"{r['python_calls']:,.0f}"]
                 for name, r in report.items()],
                title=f"In-process, through the WSGI application (best of {rounds} rounds of {per_round} requests)"
                + (f"; answers other than 200: {errors}" if errors else "")))
    return report


def _apply_settings(settings: list[str]) -> dict[str, str]:
    """PostgreSQL settings for this bench database only (ALTER DATABASE … SET), e.g. jit=off.

    New connections (gunicorn's) see them. Settings of an earlier run (--db) are reset first.
    """
    applied = {}
    with connection.cursor() as cursor:
        name = connection.settings_dict["NAME"]
        cursor.execute(f'ALTER DATABASE "{name}" RESET ALL')
        for setting in settings:
            key, _, value = setting.partition("=")
            if not key.replace("_", "").isalnum() or not value:
                raise SystemExit(f"--pg-set wants NAME=VALUE, got {setting!r}")
            cursor.execute(f'ALTER DATABASE "{name}" SET {key} = %s', [value])
            applied[key] = value
    connection.close()  # this process, too, should run with them from now on
    if applied:
        print("list-api: PostgreSQL settings for this database: "
              + ", ".join(f"{k}={v}" for k, v in applied.items()), flush=True)
    return applied


def parse_configs(text: str) -> list[tuple[int, int]]:
    configs = []
    for part in text.split(","):
        workers, _, threads = part.strip().partition("x")
        configs.append((int(workers), int(threads or 1)))
    return configs


def run(var_path: str, rows: int = 1_000_000, configs: str = "2x4", scenarios: str = "", clients: int = 16,
        seconds: float = 20, warmup: float = 3, max_requests: int = 0, tool: str = "auto", reuse: bool = False,
        explain_full: bool = False, pg_settings: list[str] | None = None, seed: int = 5) -> dict:
    chosen = [s.strip() for s in scenarios.split(",") if s.strip()] if scenarios else DEFAULT_SCENARIOS
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    catalogue = listdata.existing_catalogue() if reuse else None
    result: dict = {"rows": rows}
    if catalogue is None:
        print(f"list-api: generating {rows:,} cases …", flush=True)
        catalogue, timings = listdata.generate(rows)
        result["generation"] = timings
        print("list-api: generated in " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()), flush=True)
    else:
        print("list-api: reusing the cases already in the database", flush=True)
    result["pg_settings"] = _apply_settings(pg_settings or [])
    result["data"] = listdata.distribution()
    print("list-api: data " + json.dumps(result["data"], ensure_ascii=False), flush=True)
    result["http"] = measure(catalogue, var_path, parse_configs(configs), chosen, clients, seconds, warmup,
                             max_requests, tool, seed)
    if not result["http"].get("missing_endpoint"):
        result["in_process"] = in_process(catalogue, chosen)
        result["explain"] = explain(catalogue, chosen, explain_full)
    return result
