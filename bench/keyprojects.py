"""The key-project board (重点项目跟踪督查) and the stage rules of the supervision scan at a city's scale.

    python -m bench.keyprojects --db postgres://…/bench_keyprojects [--cases 1000000] [--projects 100000]

On the database given (migrated here; the cases of bench/listdata.py are generated when it has none):
`--projects` projects (one in ten a key project, one in twenty in the green channel, in ten districts
and a dozen industries), the cases of the key and green projects given their code, one to four stages
per project (the last open, about a quarter of the open ones past their due). Then, in this process (one client, no
HTTP): the board's view — its queries and its template — on several pages and filters, `--repeat`
times each, median and p99; and the added cost of the scan's joint rules (time.stage,
joint.review_late and the green-channel side of time.case) as the seconds of their finders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time


def _generate(projects: int, cases: int) -> dict:
    from django.db import connection, transaction

    from bench import listdata
    from shenpi.cases.models import Case

    timings = {}
    if not Case.objects.exists():
        started = time.perf_counter()
        listdata.generate(rows=cases)
        timings["cases_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM joint_project")
        if cursor.fetchone()[0]:
            return timings
        cursor.execute("SELECT id FROM catalog_department ORDER BY id")
        departments = [row[0] for row in cursor.fetchall()]
        cursor.execute("INSERT INTO joint_projecttype (code, name, promised_total, note) "
                       "VALUES ('bench', '政府投资房屋建筑类', 90, '') RETURNING id")
        project_type = cursor.fetchone()[0]
        templates = []
        for seq, (name, total) in enumerate((("立项用地规划许可", 20), ("工程建设许可", 25), ("施工许可", 20),
                                             ("竣工验收", 25)), start=1):
            cursor.execute(
                "INSERT INTO joint_stagetemplate (code, name, kind, project_type_id, seq, lead_department_id, "
                "promised_total, audience, questions, description, active) VALUES "
                "(%s, %s, 'stage', %s, %s, %s, %s, 'organisation', '[]', '', true) RETURNING id",
                [f"bench-{seq}", f"{name}阶段", project_type, seq, departments[seq], total])
            templates.append(cursor.fetchone()[0])
        cursor.execute("""
            INSERT INTO joint_project (code, issued_here, name, owner_name, owner_uscc, location, division,
                district_id, total_investment, kind, industry, project_type_id, lead_department_id, key_project,
                green_channel, answers, created_at)
            SELECT format('2026-330100-%%s-01-%%s', lpad((40 + g %% 12)::text, 2, '0'), lpad(g::text, 6, '0')),
                   true, format('重点建设项目%%s', g), format('示范建设有限公司%%s', g %% 5000),
                   lpad((g %% 5000)::text, 18, '9'), '示范市', '330100',
                   (%(departments)s::bigint[])[1 + g %% 10], 10000 + g %% 90000, '01',
                   lpad((40 + g %% 12)::text, 2, '0'), %(type)s,
                   (%(departments)s::bigint[])[1 + (g / 7) %% array_length(%(departments)s::bigint[], 1)],
                   g %% 10 = 0, g %% 20 = 3, '{}', now() - (g %% 700) * interval '1 day'
            FROM generate_series(1, %(projects)s) g""",
                       {"departments": departments, "type": project_type, "projects": projects})
        # Cases spread over the projects (case id modulo the projects); only those of key and green
        # projects get their code written — they are all the board and the green rule read, and
        # rewriting a million rows with their indexes takes long.
        cursor.execute("""
            UPDATE cases_case c SET project_code = p.code FROM joint_project p
            WHERE p.id = (SELECT min(id) FROM joint_project) + (c.id %% %(projects)s)
              AND (p.key_project OR p.green_channel)""", {"projects": projects})
        cursor.execute("""
            INSERT INTO joint_stage (number, template_id, project_id, name, lead_department_id, applicant_name,
                applicant_id_index, state, green, answers, form, opened_at, accept_date, promised_total,
                statutory_limit, extension_days, stopped_days, clock_stopped_on, promised_due, statutory_due,
                concluded_at, used_days, outcome, row_version)
            SELECT format('JD%%s-%%s', p.id, s), (%(templates)s::bigint[])[s], p.id, '阶段' || s,
                   p.lead_department_id, p.owner_name, p.owner_uscc,
                   CASE WHEN s < n THEN 'concluded' ELSE 'open' END, p.green_channel, '{}', '{}',
                   now() - (n - s) * interval '40 days' - interval '10 days',
                   (now() - (n - s) * interval '40 days' - (p.id %% 40) * interval '1 day')::date,
                   20, 45, 0, 0, NULL,
                   (now() - (n - s) * interval '40 days' - (p.id %% 40) * interval '1 day')::date + 28,
                   (now() - (n - s) * interval '40 days' - (p.id %% 40) * interval '1 day')::date + 63,
                   CASE WHEN s < n THEN now() - (n - s) * interval '40 days' + interval '20 days' END,
                   CASE WHEN s < n THEN 14 + p.id %% 10 END, '', 0
            FROM joint_project p, LATERAL (SELECT 1 + p.id %% 4 AS n) k, generate_series(1, k.n) s""",
                       {"templates": templates})
    with connection.cursor() as cursor:
        for table in ("cases_case", "joint_project", "joint_stage"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    timings["projects_s"] = time.perf_counter() - started
    return timings


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _board(repeat: int) -> list[tuple]:
    from django.contrib.sessions.backends.cache import SessionStore
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from shenpi import clock
    from shenpi.accounts.models import Role, User
    from shenpi.joint import board as board_queries
    from shenpi.joint.models import Project
    from shenpi.joint.views_board import key_projects
    from shenpi.workdays.services import get_calendar

    supervisor = User.objects.filter(roles=Role.SUPERVISOR).first()
    if supervisor is None:
        supervisor = User.objects.create(username="bench-supervisor", full_name="监察员")
        supervisor.roles.add(Role.SUPERVISOR)
    lead = Project.objects.filter(key_project=True).values_list("lead_department_id", flat=True).first()
    district = Project.objects.filter(key_project=True).values_list("district_id", flat=True).first()
    scenarios = {"page 1": {}, "page 100": {"page": "100"}, "district": {"district": district},
                 "industry": {"industry": "41"}, "lead department": {"lead": lead}, "late only": {"state": "late"},
                 "late, district": {"state": "late", "district": district}}
    factory = RequestFactory()
    out = []
    for name, params in scenarios.items():
        samples = []
        queries = 0
        for i in range(repeat + 3):
            request = factory.get("/workbench/projects/board/", params)
            request.user = supervisor
            request.session = SessionStore()
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = key_projects.__wrapped__(request)  # the view itself, past the sign-in guard
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.status_code
            if i >= 3:
                samples.append(elapsed)
                queries = len(captured)
        request = factory.get("/workbench/projects/board/", params)
        count = board_queries.board(supervisor, request.GET, get_calendar(), clock.now()).page.paginator.count
        out.append((name, statistics.median(samples), _percentile(samples, 0.99), queries, count))
    return out


def _scan_rules(repeat: int) -> list[tuple]:
    from django.db import connection, transaction

    from shenpi import clock
    from shenpi.supervision import rules_joint
    from shenpi.supervision.registry import REGISTRY, Look
    from shenpi.workdays.services import get_calendar

    finders = {"time.case (ordinary)": rules_joint._ordinary_case_time.find,
               "time.case green side": rules_joint._green_case_findings,
               "time.stage": rules_joint.stage_time, "joint.review_late": rules_joint.review_late}
    out = []
    for name, find in finders.items():
        code = {"time.case (ordinary)": "time.case", "time.case green side": "time.case"}.get(name, name)
        samples, found = [], 0
        for _ in range(repeat):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                look = Look(now=clock.now(), calendar=get_calendar(), params=dict(REGISTRY[code].params))
                started = time.perf_counter()
                found = len(list(find(look)))
                samples.append(time.perf_counter() - started)
        out.append((name, statistics.median(samples), found))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL database of the bench's own")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args(argv)
    from bench.db import setup_django

    setup_django(args.db, os.environ.get("SHENPI_VAR_DIR") or tempfile.mkdtemp(prefix="shenpi-bench-"))
    timings = _generate(args.projects, args.cases)
    print("generated:", {k: round(v, 1) for k, v in timings.items()})
    from shenpi.cases.models import Case
    from shenpi.joint.models import Project, Stage

    print(f"cases {Case.objects.count():,}, projects {Project.objects.count():,} "
          f"(key {Project.objects.filter(key_project=True).count():,}), stages {Stage.objects.count():,}")
    print(f"{'board scenario':<18} {'median ms':>10} {'p99 ms':>8} {'queries':>8} {'projects':>9}")
    for name, median, p99, queries, count in _board(args.repeat):
        print(f"{name:<18} {median:>10.1f} {p99:>8.1f} {queries:>8} {count:>9,}")
    print(f"{'scan finder':<22} {'median s':>9} {'findings':>9}")
    for name, median, found in _scan_rules(max(3, args.repeat // 20)):
        print(f"{name:<22} {median:>9.3f} {found:>9,}")
    print("as of", dt.datetime.now().isoformat(timespec="seconds"))


if __name__ == "__main__":
    main()
