"""Projects and stages at a city's scale: 100,000 projects, their stages and parts, 1,000,000 cases.

Generated set-based (`INSERT … SELECT … generate_series` and joins to small lookup tables) on top of
bench/listdata.py's year of cases:

- the catalogue and the cases come from listdata (Zipf-like items, states by age, dues counted in
  working days); every case then belongs to one project (its project_code);
- projects: the national code form (year-division-industry-kind-serial), one of four project types,
  a lead department, 10 % key projects, 5 % in the green channel, investment log-spread;
- a project's cases form its four stages (立项用地规划许可, 工程建设许可, 施工许可, 竣工验收), parts of
  one stage received the same day; the stages follow each other through the year, so early stages
  are mostly concluded and the latest ones mostly open, as on a real board;
- a stage's state follows its parts: ended when a part was denied, refused, withdrawn or voided,
  concluded when every part is decided, open otherwise; its clock is stopped while every open part
  is suspended; dues are its promised total (halved in the green channel) in working days.

Then, under N concurrent clients (threads, each with its own connection and Django test Client):
  board     the key-project board (URL name joint:key_projects)
  project   a project page (joint:project, kwargs code), random projects, key ones half the time
and the supervision scan (a full scan, median of `repeat`) with and without the stage rules
("time.stage", "joint.review_late"). Pages or rules not there yet are skipped with a message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
import statistics
import threading
import time

from django.db import connection, connections, transaction
from django.utils import timezone

from shenpi import clock
from shenpi.workdays.services import load_calendar

from . import listdata
from .stats import summary_ms, table

STAGE_RULES = ("time.stage", "joint.review_late")
# The reform's four stages with their share of a project type's promised total.
STAGES = (("立项用地规划许可阶段", 0.3), ("工程建设许可阶段", 0.35), ("施工许可阶段", 0.15), ("竣工验收阶段", 0.2))
PROJECT_TYPES = (("gov-building", "政府投资房屋建筑类", 90), ("gov-line", "政府投资城市基础设施线性工程类", 100),
                 ("social-general", "社会投资一般项目", 60), ("social-small", "社会投资小型低风险项目", 20))
DIVISIONS = ("330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112", "330113", "330114")
INDUSTRIES = ("47", "48", "44", "45", "70", "78", "13", "26", "36", "39", "54", "83", "84", "05")
PROJECT_WORDS = ("城西科创中心", "滨江产业园", "未来社区", "综合管廊", "安置房", "学校新建", "医院扩建", "物流园区",
                 "智能制造基地", "污水处理厂", "快速路", "体育中心", "人才公寓", "数据中心", "文化中心")


def _say(text: str) -> None:
    print(f"projects: {text}", flush=True)


# -- generating -----------------------------------------------------------------------------------

def _joint_catalogue(rng: random.Random) -> list[int]:
    """Project types and their four stage templates (a few items each); returns the template ids by
    (type index * 4 + stage index)."""
    from shenpi.catalog.models import Department, Item
    from shenpi.joint.models import ProjectType, StageItem, StageTemplate

    departments = list(Department.objects.filter(comprehensive=False).order_by("pk"))
    items = list(Item.objects.order_by("pk"))
    templates = []
    for code, name, total in PROJECT_TYPES:
        kind = ProjectType.objects.create(code=code, name=name, promised_total=total)
        for seq, (stage_name, share) in enumerate(STAGES, start=1):
            template = StageTemplate.objects.create(
                code=f"{code}-{seq}", name=stage_name, project_type=kind, seq=seq,
                lead_department=rng.choice(departments), promised_total=max(1, round(total * share)))
            for n, item in enumerate(rng.sample(items, 4), start=1):
                StageItem.objects.create(template=template, item=item, seq=n, required=n < 4)
            templates.append(template.pk)
    return templates


PROJECTS_SQL = """
INSERT INTO joint_project (code, issued_here, name, owner_name, owner_uscc, location, division, district_id,
                           total_investment, kind, industry, project_type_id, lead_department_id, key_project,
                           green_channel, answers, created_at, created_by_id)
SELECT
    p.year || '-' || p.division || '-' || p.industry || '-' || p.kind || '-' || lpad(p.g::text, 6, '0'),
    mod(p.g, 3) <> 0,
    p.word || (1 + mod(p.g, 9)) || '期',
    '杭州' || p.word || '建设有限公司',
    '91330100MA' || lpad(upper(to_hex(p.g)), 7, '0') || 'X',
    '杭州市' || p.division,
    p.division, NULL,
    round((100 * exp(random() * 7))::numeric, 2),
    p.kind, p.industry, p.type_id, p.lead_id,
    mod(p.g, 10) = 0,
    mod(p.g, 20) = 3,
    '{{}}'::jsonb,
    ((DATE '{first_day}' + (p.g * {days} / %(projects)s)::int) + time '09:30') AT TIME ZONE 'Asia/Shanghai',
    NULL
FROM (
    SELECT g,
           2019 + mod(g, 8) AS year,
           (%(divisions)s::text[])[1 + mod(g * 7, %(n_divisions)s)] AS division,
           (%(industries)s::text[])[1 + mod(g * 13, %(n_industries)s)] AS industry,
           CASE WHEN mod(g, 10) < 4 THEN '01' WHEN mod(g, 10) < 6 THEN '02' ELSE '03' END AS kind,
           (%(words)s::text[])[1 + mod(g * 31, %(n_words)s)] AS word,
           (%(types)s::bigint[])[1 + mod(g, %(n_types)s)] AS type_id,
           (%(leads)s::bigint[])[1 + mod(g * 17, %(n_leads)s)] AS lead_id
    FROM generate_series(1, %(projects)s) AS g
) p
ORDER BY p.g
"""

# Which project, stage and part each case is: stage s of every project occupies a block of case ranks
# (ids in receipt order), a project's parts of that stage are consecutive ranks (the same day).
PARTS_SQL = """
CREATE TEMP TABLE bench_part ON COMMIT DROP AS
SELECT c.id AS case_id, c.rk, b.seq,
       1 + (c.rk - b.first_rank) / b.size AS project_no,
       ((1 + (c.rk - b.first_rank) / b.size) - 1) * 4 + b.seq AS stage_key
FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1)::bigint AS rk FROM cases_case) c
JOIN bench_block b ON c.rk >= b.first_rank AND c.rk < b.first_rank + b.size::bigint * %(projects)s
"""

STAGES_SQL = """
INSERT INTO joint_stage (number, template_id, project_id, name, lead_department_id, applicant_name,
                         applicant_id_index, state, green, answers, form, opened_at, opened_by_id, accept_date,
                         promised_total, statutory_limit, extension_days, stopped_days, clock_stopped_on,
                         promised_due, statutory_due, concluded_at, used_days, outcome, row_version)
SELECT 'JD' || to_char(s.accept_date, 'YYYYMMDD') || lpad(s.stage_key::text, 10, '0'),
       t.id, p.id, t.name, t.lead_department_id, p.owner_name, md5(p.owner_uscc), s.state, p.green_channel,
       '{{}}'::jsonb, '{{}}'::jsonb, s.opened_at, NULL, s.accept_date, g.total, 45, 0, 0, s.stopped_on,
       pd.day, sd.day,
       CASE WHEN s.state <> 'open' THEN s.ended_at END,
       CASE WHEN s.state <> 'open' THEN greatest(0, coalesce(ew.idx, aw.idx) - aw.idx) END,
       CASE s.state WHEN 'concluded' THEN '阶段办结：' || s.granted || '项准予许可，共' || s.parts || '项。'
                    WHEN 'ended' THEN '必办事项不予许可或已终止，阶段终止。' ELSE '' END,
       0
FROM (
    SELECT bp.stage_key, bp.project_no, bp.seq, count(*) AS parts,
           min(c.accept_date) AS accept_date, min(c.accepted_at) AS opened_at,
           count(*) FILTER (WHERE c.decision = 'grant') AS granted,
           CASE WHEN bool_or(c.decision = 'deny' OR c.state IN ('refused', 'withdrawn', 'voided')) THEN 'ended'
                WHEN bool_and(c.state IN ('decided', 'completed')) THEN 'concluded' ELSE 'open' END AS state,
           CASE WHEN bool_and(c.state = 'suspended' OR c.state IN ('decided', 'completed'))
                     AND bool_or(c.state = 'suspended') THEN max(c.clock_stopped_on) END AS stopped_on,
           max(coalesce(c.decided_at, c.closed_at, c.accepted_at)) AS ended_at
    FROM bench_part bp
    JOIN cases_case c ON c.id = bp.case_id
    WHERE c.accept_date IS NOT NULL
    GROUP BY bp.stage_key, bp.project_no, bp.seq
) s
JOIN joint_project p ON p.id = %(first_project)s + s.project_no - 1
JOIN joint_stagetemplate t ON t.project_type_id = p.project_type_id AND t.seq = s.seq
CROSS JOIN LATERAL (SELECT CASE WHEN p.green_channel THEN greatest(1, ceil(t.promised_total / 2.0)::int)
                                ELSE t.promised_total END AS total) g
JOIN bench_pworkday aw ON aw.day = s.accept_date
JOIN bench_pworkday pd ON pd.idx = aw.idx + g.total
JOIN bench_pworkday sd ON sd.idx = aw.idx + 45
-- the last working day on or before the stage's end (by the index on day: indexes rise with days)
LEFT JOIN LATERAL (SELECT w.idx FROM bench_pworkday w WHERE w.day <= (s.ended_at AT TIME ZONE 'Asia/Shanghai')::date
                   ORDER BY w.day DESC LIMIT 1) ew ON true
ORDER BY s.stage_key
"""

# The stages just inserted, by the key their numbers end with.
STAGE_KEYS_SQL = """
CREATE TEMP TABLE bench_stage ON COMMIT DROP AS
SELECT right(number, 10)::bigint AS stage_key, id AS stage_id FROM joint_stage WHERE id >= %(first_stage)s
"""

STAGE_PARTS_SQL = """
INSERT INTO joint_stagepart (stage_id, case_id, item_id, department_id, required)
SELECT st.stage_id, c.id, c.item_id, c.department_id, true
FROM bench_part bp
JOIN cases_case c ON c.id = bp.case_id
JOIN bench_stage st ON st.stage_key = bp.stage_key
WHERE c.accept_date IS NOT NULL
ORDER BY c.id
"""

CODES_SQL = """
UPDATE cases_case c SET project_code = p.code, title = p.name
FROM bench_part bp JOIN joint_project p ON p.id = %(first_project)s + bp.project_no - 1
WHERE c.id = bp.case_id
"""


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    last, called = cursor.fetchone()
    return last + 1 if called else last


def stage_sizes(per_project: int) -> list[int]:
    """A project's cases over its four stages, as evenly as they go (10 → 3, 3, 2, 2)."""
    base, extra = divmod(per_project, len(STAGES))
    return [base + (1 if i < extra else 0) for i in range(len(STAGES))]


def generate(projects: int = 100_000, cases: int = 1_000_000, seed: int = 13) -> dict:
    """Catalogue, cases (listdata), then projects, stages and parts; returns counts and seconds."""
    if cases < projects:
        raise SystemExit("--cases must be at least --projects (every project has at least one case)")
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # Two years of receipts: the stages of a project follow each other over months.
    _, case_timings = listdata.generate(rows=cases, seed=seed, days_back=730)
    timings.update({f"listdata_{k}": v for k, v in case_timings.items()})
    _say(f"{cases:,} cases ({case_timings['total_s']:.0f} s)")
    from shenpi.catalog.models import Department

    phase = time.perf_counter()
    with transaction.atomic():
        _joint_catalogue(rng)
    leads = list(Department.objects.filter(comprehensive=False).order_by("pk").values_list("pk", flat=True))
    per_project = cases // projects
    sizes = stage_sizes(per_project)
    calendar = load_calendar()
    today = timezone.localdate(clock.now())
    workdays = calendar.workdays_in(today - dt.timedelta(days=800), today + dt.timedelta(days=800))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # Foreign keys all come from joins with the referenced tables (as in listdata).
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("CREATE TEMP TABLE bench_pworkday (idx int PRIMARY KEY, day date UNIQUE) ON COMMIT DROP")
        cursor.executemany("INSERT INTO bench_pworkday VALUES (%s, %s)", list(enumerate(workdays)))
        cursor.execute("CREATE TEMP TABLE bench_block (seq int, first_rank bigint, size int) ON COMMIT DROP")
        first_rank = 0
        for seq, size in enumerate(sizes, start=1):
            if size:
                cursor.execute("INSERT INTO bench_block VALUES (%s, %s, %s)", [seq, first_rank, size])
            first_rank += size * projects
        first_project = _next_id(cursor, "joint_project")
        type_ids = sorted(_type_ids())
        sql = PROJECTS_SQL.format(first_day=(today - dt.timedelta(days=1100)).isoformat(), days=1000)
        cursor.execute(sql, {"projects": projects, "divisions": list(DIVISIONS), "n_divisions": len(DIVISIONS),
                             "industries": list(INDUSTRIES), "n_industries": len(INDUSTRIES),
                             "words": list(PROJECT_WORDS), "n_words": len(PROJECT_WORDS),
                             "types": type_ids, "n_types": len(type_ids), "leads": leads, "n_leads": len(leads)})
        timings["projects_s"] = time.perf_counter() - phase
        _say(f"{projects:,} projects ({timings['projects_s']:.0f} s)")
        phase = time.perf_counter()
        cursor.execute(PARTS_SQL, {"projects": projects})
        cursor.execute("CREATE INDEX ON bench_part (case_id)")
        cursor.execute("ANALYZE bench_part")
        # Every index of the case table would be written for each of the million rows: rebuilt after.
        dropped = listdata._secondary_indexes(cursor, "cases_case")
        for name, _ in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(CODES_SQL, {"first_project": first_project})
        coded = cursor.rowcount
        for _, definition in dropped:
            cursor.execute(definition)
        timings["project_codes_s"] = time.perf_counter() - phase
        _say(f"project codes on {coded:,} cases ({timings['project_codes_s']:.0f} s)")
        phase = time.perf_counter()
        first_stage = _next_id(cursor, "joint_stage")
        cursor.execute(STAGES_SQL.format(), {"first_project": first_project})
        stages = cursor.rowcount
        cursor.execute(STAGE_KEYS_SQL, {"first_stage": first_stage})
        cursor.execute("ANALYZE bench_stage")
        cursor.execute(STAGE_PARTS_SQL)
        parts = cursor.rowcount
        timings["stages_s"] = time.perf_counter() - phase
        _say(f"{stages:,} stages, {parts:,} parts ({timings['stages_s']:.0f} s)")
    phase = time.perf_counter()
    with connection.cursor() as cursor:
        for table_name in ("joint_project", "joint_stage", "joint_stagepart", "cases_case"):
            cursor.execute(f"VACUUM (ANALYZE) {table_name}")
    timings["vacuum_analyze_s"] = time.perf_counter() - phase
    timings["total_s"] = time.perf_counter() - started
    return {"timings": timings, "stages": stages, "parts": parts, "stage_sizes": sizes}


def _type_ids() -> list[int]:
    from shenpi.joint.models import ProjectType

    return list(ProjectType.objects.values_list("pk", flat=True))


def distribution() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*), count(*) FILTER (WHERE key_project), count(*) FILTER (WHERE green_channel)
                          FROM joint_project""")
        projects, key, green = cursor.fetchone()
        cursor.execute("SELECT state, count(*) FROM joint_stage GROUP BY 1 ORDER BY 1")
        stages = dict(cursor.fetchall())
        cursor.execute("""SELECT count(*) FILTER (WHERE state = 'open' AND promised_due < current_date),
                                 count(*) FILTER (WHERE clock_stopped_on IS NOT NULL) FROM joint_stage""")
        late, stopped = cursor.fetchone()
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE project_code <> '') FROM cases_case")
        cases, with_code = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM joint_stagepart")
        parts = cursor.fetchone()[0]
        sizes = {}
        for name in ("joint_project", "joint_stage", "joint_stagepart", "cases_case"):
            cursor.execute("SELECT pg_total_relation_size(%s)", [name])
            sizes[name] = round(cursor.fetchone()[0] / 2**20, 1)
    return {"projects": projects, "key_projects": key, "green_projects": green, "stages": stages,
            "open_stages_late": late, "stages_stopped": stopped, "parts": parts, "cases": cases,
            "cases_with_project_code": with_code, "size_mb": sizes}


# -- measuring -------------------------------------------------------------------------------------

def _viewer():
    """A centre administrator and supervisor signed in with both factors, as the pages require."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shenpi.accounts.models import Role, User

    user = User.objects.filter(username="bench_projects_viewer").first()
    if user is None:
        user = User.objects.create(username="bench_projects_viewer", full_name="中心管理员", is_superuser=True,
                                   is_staff=True)
        user.roles.set([Role.ADMIN, Role.SUPERVISOR])
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() \
        or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return user, device


def _client(user, device):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _resolve(name: str, **kwargs) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def measure_page(label: str, urls, clients: int, seconds: float, warmup: float, max_requests: int) -> dict:
    """Fetch urls() from `clients` threads for `seconds` (after `warmup`); latencies and statuses."""
    user, device = _viewer()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = [0.0]
    barrier = threading.Barrier(clients)
    done = [0]

    def run(index: int) -> None:
        rng = random.Random(index)
        try:
            client = _client(user, device)
            barrier.wait(timeout=60)
            warm_until = time.perf_counter() + warmup
            while time.perf_counter() < warm_until:
                client.get(urls(rng), secure=True)
            own, own_status = [], {}
            while time.perf_counter() < stop_at[0]:
                url = urls(rng)
                started = time.perf_counter()
                response = client.get(url, secure=True)
                own.append(time.perf_counter() - started)
                own_status[response.status_code] = own_status.get(response.status_code, 0) + 1
                with lock:
                    done[0] += 1
                    if max_requests and done[0] >= max_requests:
                        break
            with lock:
                latencies.extend(own)
                for code, n in own_status.items():
                    statuses[code] = statuses.get(code, 0) + n
        finally:
            connections.close_all()

    stop_at[0] = time.perf_counter() + warmup + seconds + 1
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began - warmup
    figures = {"label": label, "clients": clients, **summary_ms(latencies), "statuses": statuses,
               "per_second": len(latencies) / wall if wall > 0 else math.nan}
    _say(f"{label}: median {figures['median_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
         f"{figures['per_second']:.0f} req/s over {clients} clients, statuses {statuses}")
    if set(statuses) - {200}:
        _say(f"{label}: WARNING not every answer was 200 ({statuses}): the figures are not the page's")
    return figures


def measure_pages(clients: int, seconds: float, warmup: float, max_requests: int, seed: int) -> dict:
    from django.test.utils import setup_test_environment

    from shenpi.joint.models import Project

    with contextlib.suppress(RuntimeError):  # RuntimeError: already set up, under pytest
        setup_test_environment()  # the test Client's host (testserver) allowed, as in the tests
    results: dict = {}
    board = _resolve("joint:key_projects")
    if board is None:
        _say("board not measured: the URL name joint:key_projects does not resolve (page not there yet)")
        results["board"] = {"measured": False, "why": "joint:key_projects missing"}
    else:
        results["board"] = measure_page("key-project board", lambda rng: board, clients, seconds, warmup,
                                        max_requests)
    rng = random.Random(seed)
    key_codes = list(Project.objects.filter(key_project=True).order_by("?").values_list("code", flat=True)[:2000])
    any_codes = [c for c in Project.objects.order_by("?").values_list("code", flat=True)[:2000]]
    rng.shuffle(any_codes)
    sample = Project.objects.values_list("code", flat=True).first()
    if sample is None or _resolve("joint:project", code=sample) is None:
        _say("project page not measured: the URL name joint:project (kwargs code) does not resolve")
        results["project"] = {"measured": False, "why": "joint:project missing"}
    else:
        def project_url(r: random.Random) -> str:
            codes = key_codes if key_codes and r.random() < 0.5 else any_codes
            return _resolve("joint:project", code=r.choice(codes))
        results["project"] = measure_page("project page", project_url, clients, seconds, warmup, max_requests)
    return results


def _full_scan_seconds(repeat: int) -> list[float]:
    from shenpi.supervision.scan import scan

    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        scan(full=True, notify=False)
        samples.append(time.perf_counter() - started)
    return samples


def measure_scan(repeat: int) -> dict:
    """A full scan with every rule, and with the stage rules switched off: the stage rules' cost."""
    from shenpi.supervision import registry
    from shenpi.supervision.models import Rule

    present = [code for code in STAGE_RULES if code in registry.REGISTRY and Rule.objects.filter(code=code).exists()]
    missing = [code for code in STAGE_RULES if code not in present]
    if missing:
        _say(f"stage rules not there yet: {', '.join(missing)}" + ("" if present else "; scan measured without them"))
    enabled_before = dict(Rule.objects.filter(code__in=present).values_list("code", "enabled"))
    Rule.objects.filter(code__in=present).update(enabled=True)
    # The first scan raises every alert there is to raise; the figures are of the steady state.
    first = _full_scan_seconds(1)[0]
    with_rules = _full_scan_seconds(repeat)
    Rule.objects.filter(code__in=present).update(enabled=False)
    _full_scan_seconds(1)
    without = _full_scan_seconds(repeat)
    for code, enabled in enabled_before.items():
        Rule.objects.filter(code=code).update(enabled=enabled)
    result = {"stage_rules": present, "missing": missing, "first_scan_s": first,
              "with_stage_rules_median_s": statistics.median(with_rules), "with_samples": with_rules,
              "without_stage_rules_median_s": statistics.median(without), "without_samples": without}
    result["added_s"] = result["with_stage_rules_median_s"] - result["without_stage_rules_median_s"]
    _say(f"full scan: first {first:.2f} s; with stage rules {result['with_stage_rules_median_s']:.3f} s, "
         f"without {result['without_stage_rules_median_s']:.3f} s (median of {repeat}); "
         f"added {result['added_s'] * 1000:.0f} ms")
    return result


def run(projects: int, cases: int, clients: int, seconds: float, warmup: float, max_requests: int,
        repeat: int, reuse: bool = False, seed: int = 13, scan: bool = True) -> dict:
    from shenpi.joint.models import Project

    result: dict = {"projects": projects, "cases": cases}
    if reuse and Project.objects.exists():
        _say("reusing the projects and cases of an earlier run")
    else:
        result["generated"] = generate(projects, cases, seed)
    result["distribution"] = distribution()
    d = result["distribution"]
    _say(f"{d['projects']:,} projects ({d['key_projects']:,} key, {d['green_projects']:,} green), "
         f"stages {d['stages']}, {d['parts']:,} parts, {d['cases']:,} cases "
         f"({d['cases_with_project_code']:,} with a project code); sizes MB {d['size_mb']}")
    result["pages"] = measure_pages(clients, seconds, warmup, max_requests, seed)
    if scan:
        result["scan"] = measure_scan(repeat)
    rows = []
    for name, page in result["pages"].items():
        if page.get("measured") is False:
            rows.append([name, "not measured", page["why"]])
            continue
        rows += [[name, f"median ms ({clients} clients)", page["median_ms"]],
                 [name, f"p99 ms ({clients} clients)", page["p99_ms"]],
                 [name, "requests/s", page["per_second"]]]
    if scan:
        s = result["scan"]
        rows += [["scan", "full scan with stage rules, s (median)", s["with_stage_rules_median_s"]],
                 ["scan", "full scan without stage rules, s (median)", s["without_stage_rules_median_s"]],
                 ["scan", "added by the stage rules, ms", s["added_s"] * 1000]]
        if s["missing"]:
            rows.append(["scan", "stage rules missing", ", ".join(s["missing"])])
    title = f"projects: {d['projects']:,} projects, {d['cases']:,} cases"
    print(table(["bench", "figure", "value"], rows, title=title))
    return result
