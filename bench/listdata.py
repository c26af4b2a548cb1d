"""A city's year of cases, generated set-based straight into the tables cases/models.py defines.

The catalogue (departments, items, flows, staff, API tokens) is made with the ORM: a few hundred
rows. The cases (default 1,000,000) and their steps come from `INSERT … SELECT … FROM
generate_series` joined to small lookup tables that carry the distributions:

- items: Zipf-like popularity (a few items take most applications), so departments are skewed too;
  one item in ten has its review step (审核) in a partner department (joint review): those steps
  are flagged cross_department, so handlers' least-privilege filter has other departments' cases
  to find;
- receipt: working days of the last twelve months, ids ascending with time as in production,
  office hours 09:00–17:30;
- state: by age against the promised limit: old cases are mostly completed (some refused,
  withdrawn, voided, and a few still open and overdue); recent ones are spread over the open states;
- dates: acceptance on receipt day or the next working day; promised/statutory due dates counted in
  working days from the platform's calendar; completion before (or sometimes after) the due date;
- applicants: 2,000 distinct people and organisations, encrypted and masked by the platform's own
  functions, so rows have their real width.
Case events and materials are not generated: the case list does not read them.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shenpi.accounts import identifiers
from shenpi.accounts.models import Role, User
from shenpi.api import tokens as api_tokens
from shenpi.cases.models import ApplicantKind
from shenpi.catalog.models import Department, FlowStep, Item, ItemVersion, Window
from shenpi.crypto import blind_index, encrypt
from shenpi.workdays.services import load_calendar

from . import org

DEPARTMENTS = (
    "市场监督管理局", "住房和城乡建设局", "自然资源和规划局", "交通运输局", "卫生健康委员会", "教育局", "民政局",
    "人力资源和社会保障局", "公安局", "生态环境局", "文化广电旅游局", "农业农村局", "水利局", "商务局", "应急管理局",
    "城市管理局", "发展和改革委员会", "财政局", "司法局", "退役军人事务局", "林业局", "医疗保障局", "体育局",
    "气象局", "烟草专卖局", "消防救援支队", "人民防空办公室", "地方金融监督管理局", "民族宗教事务局", "档案局",
    "住房公积金管理中心", "不动产登记中心", "税务局", "海关", "残疾人联合会", "科学技术局", "工业和信息化局",
    "统计局", "粮食和物资储备局",
)
ITEM_KINDS = ("许可", "备案", "登记", "审批", "核准", "认定", "变更", "延续", "注销", "证明")
ORG_WORDS = ("示范", "新华", "东方", "长城", "华夏", "锦江", "滨海", "和平", "光明", "新世纪")
ORG_KINDS = ("建设有限公司", "商贸有限公司", "餐饮管理有限公司", "科技有限公司", "物流有限公司", "医药连锁有限公司")
PICK_SLOTS = 10_000
APPLICANTS = 2_000


@dataclass
class Catalogue:
    department_codes: list[str]
    supervisor_token: str
    handler_tokens: dict[str, str]  # department code → token of that department's handler


def _uscc(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91" + rng.choice(org.DIVISIONS) + "".join(rng.choice(chars) for _ in range(9))
    return first17 + identifiers.uscc_check_character(first17)


def make_catalogue(rng: random.Random, departments: int = 39, items: int = 400) -> Catalogue:
    """Departments with one person per step role and a clerk, items with 3-step flows, tokens."""
    centre = Department.objects.create(code="D000", name="政务服务中心综合受理", comprehensive=True)
    depts = [Department.objects.create(code=f"D{i:03d}", name=DEPARTMENTS[(i - 1) % len(DEPARTMENTS)], sort=i)
             for i in range(1, departments + 1)]
    Window.objects.create(department=centre, number="W000", name="综合受理窗口")
    keys: dict[str, str] = {}
    for dept in depts:
        window = Window.objects.create(department=dept, number=f"W{dept.code}", name=f"{dept.name}窗口")
        for role in (Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER):
            user = org.make_user(dept, role, f"{dept.code.lower()}_{role}", f"{Role.NAMES[role]}{dept.code}",
                                 window=window if role == Role.CLERK else None)
            if role == Role.HANDLER:
                keys[dept.code] = _token(user)
    supervisor = org.make_user(None, Role.SUPERVISOR, "bench_supervisor", "监察员")
    # Items are spread unevenly over departments, as catalogues are.
    weights = [1 / (i + 1) ** 0.5 for i in range(departments)]
    rng.shuffle(weights)
    owners = rng.choices(depts, weights, k=items)
    catalogue_items = Item.objects.bulk_create(
        Item(code=f"1135{n:06d}", department=dept) for n, dept in enumerate(owners))
    versions, steps = [], []
    for n, (item, dept) in enumerate(zip(catalogue_items, owners, strict=True)):
        promised = rng.choice((0, 1, 3, 5, 5, 7, 10, 10, 15, 20))
        versions.append(ItemVersion(
            item=item, number=1, status=ItemVersion.Status.PUBLISHED,
            name=f"{dept.name[:-1]}{rng.choice(ITEM_KINDS)}{n}", legal_basis="《行政许可法》",
            promised_limit=promised, statutory_limit=max(promised, rng.choice((20, 20, 20, 30, 45)))))
    ItemVersion.objects.bulk_create(versions)
    for version in versions:
        partner = rng.choice(depts) if rng.random() < 0.1 else None
        for seq, (name, role) in enumerate(org.FLOW, 1):
            steps.append(FlowStep(version=version, seq=seq, name=name, role_id=role,
                                  department=partner if seq == 2 and partner != version.item.department else None))
    FlowStep.objects.bulk_create(steps)
    return Catalogue([d.code for d in depts], _token(supervisor, [d.code for d in depts]), keys)


def _token(user: User, departments: list[str] = ()) -> str:
    """A reading token (only its digest is stored, so a reused database gets new ones)."""
    return api_tokens.create(user, name="bench", departments=departments,
                             days=settings.API_TOKEN_MAX_DAYS)[1]


def _lookup_tables(rng: random.Random, days_back: int) -> tuple[int, int]:
    """Fill the temporary lookup tables; return (index of the first receipt day, index of today)."""
    calendar = load_calendar()
    today = timezone.localdate()
    first, last = today - dt.timedelta(days=days_back), today + dt.timedelta(days=730)
    workdays = calendar.workdays_in(first, last)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_workday (idx int PRIMARY KEY, day date NOT NULL) ON COMMIT DROP")
        cursor.executemany("INSERT INTO bench_workday VALUES (%s, %s)", list(enumerate(workdays)))
        cursor.execute("""
            CREATE TEMP TABLE bench_pick ON COMMIT DROP AS
            SELECT (row_number() OVER (ORDER BY v.id) - 1)::int AS rank, i.id AS item_id, v.id AS version_id,
                   i.department_id, v.promised_limit, v.statutory_limit
            FROM catalog_item i JOIN catalog_itemversion v ON v.item_id = i.id""")
        cursor.execute("SELECT count(*) FROM bench_pick")
        items = cursor.fetchone()[0]
        # Zipf-like popularity: item ranks are spread over PICK_SLOTS slots by weight 1/rank^0.9.
        weights = [1 / (r + 1) ** 0.9 for r in range(items)]
        ranks = list(range(items))
        rng.shuffle(ranks)
        slots = rng.choices(ranks, weights, k=PICK_SLOTS)
        cursor.execute("CREATE TEMP TABLE bench_slot (slot int PRIMARY KEY, rank int NOT NULL) ON COMMIT DROP")
        cursor.executemany("INSERT INTO bench_slot VALUES (%s, %s)", list(enumerate(slots)))
        cursor.execute("""
            CREATE TEMP TABLE bench_staff ON COMMIT DROP AS
            SELECT u.department_id, ur.role_id, min(u.id) AS user_id, min(u.window_id) AS window_id
            FROM accounts_user u JOIN accounts_user_roles ur ON ur.user_id = u.id
            WHERE u.department_id IS NOT NULL GROUP BY 1, 2""")
        cursor.execute("""
            CREATE TEMP TABLE bench_applicant (slot int PRIMARY KEY, kind text, name text, id_enc text,
                id_index text, id_masked text, phone_enc text, phone_masked text, query_enc text) ON COMMIT DROP""")
        cursor.executemany("INSERT INTO bench_applicant VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           [_applicant(rng, slot) for slot in range(APPLICANTS)])
        cursor.execute("ANALYZE bench_workday; ANALYZE bench_pick; ANALYZE bench_slot; ANALYZE bench_staff; "
                       "ANALYZE bench_applicant")
    start_idx = next(i for i, day in enumerate(workdays) if day >= first)
    today_idx = max(i for i, day in enumerate(workdays) if day <= today)
    return start_idx, today_idx


def _applicant(rng: random.Random, slot: int) -> tuple:
    if rng.random() < 0.6:
        kind, name, number = ApplicantKind.PERSON, org.person_name(rng), org.person_id(rng)
    else:
        kind = ApplicantKind.ORGANISATION
        name, number = rng.choice(ORG_WORDS) + rng.choice(ORG_WORDS) + rng.choice(ORG_KINDS), _uscc(rng)
    phone = org.mobile(rng)
    return (slot, kind, name, encrypt(number), blind_index(number), identifiers.mask_id(number),
            encrypt(phone), identifiers.mask_phone(phone), encrypt(f"{rng.randrange(10**6):06d}"))


CASES_SQL = """
WITH base AS (
    SELECT g,
           %(start_idx)s + ((g - 1) * %(days)s::bigint / %(rows)s)::int AS widx,
           (floor(random() * {slots}))::int AS slot,
           mod(g, {applicants})::int AS aslot,
           random() AS r, random() AS r2, random() AS r3,
           make_interval(secs => 32400 + random() * 30600) AS tod
    FROM generate_series(1, %(rows)s) AS g
), picked AS (
    SELECT b.*, p.item_id, p.version_id, p.department_id, p.promised_limit, p.statutory_limit, w.day AS received_on,
           %(today_idx)s - b.widx AS age
    FROM base b
    JOIN bench_slot s ON s.slot = b.slot
    JOIN bench_pick p ON p.rank = s.rank
    JOIN bench_workday w ON w.idx = b.widx
), stated AS (
    SELECT x.*,
           CASE
             WHEN x.age > x.promised_limit + 5 THEN
               CASE WHEN r < 0.900 THEN 'completed' WHEN r < 0.930 THEN 'refused' WHEN r < 0.950 THEN 'withdrawn'
                    WHEN r < 0.955 THEN 'voided' WHEN r < 0.985 THEN 'in_progress' WHEN r < 0.995 THEN 'suspended'
                    ELSE 'deciding' END
             WHEN x.age <= 3 AND r < 0.25 THEN CASE WHEN r < 0.18 THEN 'received' ELSE 'correcting' END
             ELSE
               CASE WHEN r < 0.55 THEN 'in_progress' WHEN r < 0.63 THEN 'suspended' WHEN r < 0.72 THEN 'deciding'
                    WHEN r < 0.78 THEN 'decided' WHEN r < 0.96 THEN 'completed' ELSE 'refused' END
           END AS state,
           least(x.widx + (x.r2 < 0.2)::int, %(today_idx)s) AS aidx
    FROM picked x
), dated AS (
    SELECT s.*,
           s.state NOT IN ('received', 'correcting', 'refused') AS accepted,
           (s.received_on + s.tod) AT TIME ZONE 'Asia/Shanghai' AS received_at,
           -- completion after 0.3 … 1.1 times the promised limit: some completions are late
           least(s.aidx + ceil(greatest(s.promised_limit, 1) * (0.3 + 0.8 * s.r3))::int, %(today_idx)s) AS cidx
    FROM stated s
)
INSERT INTO cases_case (
    number, query_code, channel, title, state, applicant_kind, applicant_name, applicant_id,
    applicant_id_index, applicant_id_masked, applicant_id_note, contact_name, contact_phone,
    contact_phone_masked, received_at, correction_due, correction_count, correction_requested_at,
    corrected_at, accepted_at, accept_date, promised_limit, statutory_limit, extension_days,
    stopped_days, clock_stopped_on, promised_due, statutory_due, due_provisional, decision,
    decision_reason, decided_at, delivery_due, completed_at, used_days, closing_reason, closed_at,
    notices_issued, row_version, trail_head, trail_length, department_id, item_id, received_by_id, version_id,
    window_id)
SELECT
    to_char(d.received_on, 'YYYYMMDD') || lpad(d.g::text, 10, '0'),
    a.query_enc,
    CASE WHEN d.r2 < 0.55 THEN 'window' WHEN d.r2 < 0.90 THEN 'online' WHEN d.r2 < 0.97 THEN 'town' ELSE 'api' END,
    '',
    d.state, a.kind, a.name, a.id_enc, a.id_index, a.id_masked, '', '', a.phone_enc, a.phone_masked,
    d.received_at,
    cd.day,
    (d.state = 'correcting')::int,
    CASE WHEN d.state = 'correcting' THEN d.received_at + interval '1 hour' END,
    NULL,
    CASE WHEN d.accepted THEN (ad.day + d.tod) AT TIME ZONE 'Asia/Shanghai' END,
    CASE WHEN d.accepted THEN ad.day END,
    d.promised_limit, d.statutory_limit, 0, 0,
    CASE WHEN d.state = 'suspended' THEN ad.day + 3 END,
    CASE WHEN d.accepted THEN pd.day END,
    CASE WHEN d.accepted THEN sd.day END,
    d.accepted AND pd.day > DATE '{last_official}',
    CASE WHEN d.state IN ('decided', 'completed') THEN CASE WHEN d.r < 0.97 THEN 'grant' ELSE 'deny' END
         ELSE '' END,
    '',
    CASE WHEN d.state IN ('decided', 'completed') THEN (cday.day + time '15:00') AT TIME ZONE 'Asia/Shanghai' END,
    CASE WHEN d.state IN ('decided', 'completed') THEN dd.day END,
    CASE WHEN d.state = 'completed' THEN (cday.day + time '16:00') AT TIME ZONE 'Asia/Shanghai' END,
    CASE WHEN d.state = 'completed' THEN d.cidx - d.aidx END,
    CASE WHEN d.state IN ('refused', 'withdrawn', 'voided') THEN '申请人材料不符合法定形式' ELSE '' END,
    CASE WHEN d.state = 'completed' THEN (cday.day + time '16:00') AT TIME ZONE 'Asia/Shanghai'
         WHEN d.state IN ('refused', 'withdrawn', 'voided') THEN d.received_at + interval '1 day' END,
    -- No notices and no events are generated: no notice numbered yet, an empty audit trail.
    0,
    CASE d.state WHEN 'completed' THEN 6 WHEN 'decided' THEN 5 WHEN 'deciding' THEN 4 WHEN 'in_progress' THEN 2
                 WHEN 'received' THEN 0 ELSE 1 END,
    '', 0,
    d.department_id, d.item_id, st.user_id, d.version_id, st.window_id
FROM dated d
JOIN bench_applicant a ON a.slot = d.aslot
JOIN bench_workday cd ON cd.idx = d.widx + 5
JOIN bench_workday ad ON ad.idx = d.aidx
JOIN bench_workday pd ON pd.idx = d.aidx + d.promised_limit
JOIN bench_workday sd ON sd.idx = d.aidx + d.statutory_limit
JOIN bench_workday cday ON cday.idx = d.cidx
JOIN bench_workday dd ON dd.idx = d.cidx + 10
JOIN bench_staff st ON st.department_id = d.department_id AND st.role_id = 'clerk'
ORDER BY d.g
"""

# One row per step reached: done steps before the current one, the current one active (or
# cancelled when the case was withdrawn or voided); decided and completed cases passed all three.
STEPS_SQL = """
INSERT INTO cases_casestep (case_id, flow_step_id, seq, name, role_id, department_id, assignee_id, status,
                            started_at, due_at, own_limit, cross_department, finished_at, finished_by_id, opinion)
SELECT c.id, fs.id, fs.seq, fs.name, fs.role_id, coalesce(fs.department_id, c.department_id), st.user_id,
       CASE WHEN fs.seq < cur.seq THEN 'done'
            WHEN c.state IN ('in_progress', 'suspended') THEN 'active'
            WHEN c.state IN ('withdrawn', 'voided') THEN 'cancelled'
            ELSE 'done' END,
       c.accepted_at + (fs.seq - 1) * interval '1 day',
       (c.promised_due + time '23:59:59') AT TIME ZONE 'Asia/Shanghai',
       false,
       coalesce(fs.department_id, c.department_id) <> c.department_id,
       CASE WHEN fs.seq < cur.seq OR c.state IN ('deciding', 'decided', 'completed')
            THEN least(c.accepted_at + fs.seq * interval '1 day', now())
            WHEN c.state IN ('withdrawn', 'voided') THEN c.closed_at END,
       CASE WHEN fs.seq < cur.seq OR c.state IN ('deciding', 'decided', 'completed') THEN st.user_id END,
       CASE WHEN fs.seq < cur.seq OR c.state IN ('deciding', 'decided', 'completed') THEN '同意' ELSE '' END
FROM cases_case c
CROSS JOIN LATERAL (SELECT CASE WHEN c.state IN ('deciding', 'decided', 'completed') THEN 3
                                ELSE 1 + mod(c.id, 3)::int END AS seq) cur
JOIN catalog_flowstep fs ON fs.version_id = c.version_id AND fs.seq <= cur.seq
JOIN bench_staff st ON st.department_id = coalesce(fs.department_id, c.department_id) AND st.role_id = fs.role_id
WHERE c.accept_date IS NOT NULL
ORDER BY c.id, fs.seq
"""


def _inserted_columns(sql: str) -> set[str]:
    """The column list of an `INSERT INTO table (…)` statement."""
    listed = sql.split("INSERT INTO", 1)[1].split("(", 1)[1].split(")", 1)[0]
    return {name.strip() for name in listed.split(",")}


def _check_required_columns(cursor) -> None:
    """Refuse to load when the schema has gained a NOT NULL column without a default that the
    statements above do not fill: say which, rather than fail deep inside a long INSERT."""
    missing = []
    for table, sql in (("cases_case", CASES_SQL), ("cases_casestep", STEPS_SQL)):
        cursor.execute("""
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'NO'
              AND column_default IS NULL AND is_identity = 'NO'""", [table])
        filled = _inserted_columns(sql)
        missing += [f"{table}.{name}" for (name,) in cursor.fetchall() if name not in filled and name != "id"]
    if missing:
        raise RuntimeError("bench/listdata.py does not fill these NOT NULL columns: " + ", ".join(sorted(missing)))


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """Indexes not backing a constraint: dropped for the load and rebuilt after, identically."""
    cursor.execute("""
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""", [table])
    return cursor.fetchall()


def _check_keys(cursor) -> None:
    """Every foreign key of the generated rows points at a row (the load ran without FK triggers)."""
    cursor.execute("""
        SELECT (SELECT count(*) FROM cases_case c WHERE NOT EXISTS (SELECT 1 FROM catalog_department d
                    WHERE d.id = c.department_id) OR NOT EXISTS (SELECT 1 FROM catalog_item i WHERE i.id = c.item_id)
                    OR NOT EXISTS (SELECT 1 FROM catalog_itemversion v WHERE v.id = c.version_id)
                    OR NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = c.received_by_id))
             + (SELECT count(*) FROM cases_casestep s WHERE NOT EXISTS (SELECT 1 FROM cases_case c
                    WHERE c.id = s.case_id) OR NOT EXISTS (SELECT 1 FROM catalog_department d
                    WHERE d.id = s.department_id) OR NOT EXISTS (SELECT 1 FROM accounts_user u
                    WHERE u.id = s.assignee_id))""")
    broken = cursor.fetchone()[0]
    if broken:
        raise RuntimeError(f"{broken} generated rows have a dangling foreign key")


def generate(rows: int = 1_000_000, seed: int = 3, days_back: int = 365) -> tuple[Catalogue, dict]:
    """Catalogue and cases; returns the catalogue and the counts/seconds of each phase."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic():
        catalogue = make_catalogue(rng)
    timings["catalogue_s"] = time.perf_counter() - started
    calendar_last = max(load_calendar().official_years)
    with transaction.atomic(), connection.cursor() as cursor:
        _check_required_columns(cursor)
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Django's foreign keys are deferred; checked at commit they would block the index rebuild.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # Row-by-row foreign-key triggers would take most of the load time; every key comes from
            # a join with the referenced table, and _check_keys verifies them after the load.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        start_idx, today_idx = _lookup_tables(rng, days_back)
        dropped = {t: _secondary_indexes(cursor, t) for t in ("cases_case", "cases_casestep")}
        for indexes in dropped.values():
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        phase = time.perf_counter()
        sql = CASES_SQL.format(slots=PICK_SLOTS, applicants=APPLICANTS, last_official=f"{calendar_last}-12-31")
        cursor.execute(sql, {"rows": rows, "days": today_idx - start_idx + 1, "start_idx": start_idx,
                             "today_idx": today_idx})
        timings["cases_s"] = time.perf_counter() - phase
        phase = time.perf_counter()
        cursor.execute(STEPS_SQL)
        timings["steps_s"] = time.perf_counter() - phase
        phase = time.perf_counter()
        for indexes in dropped.values():
            for _, definition in indexes:
                cursor.execute(definition)
        timings["indexes_s"] = time.perf_counter() - phase
        _check_keys(cursor)
    phase = time.perf_counter()
    with connection.cursor() as cursor:
        # Outside a transaction: a table that has been vacuumed has its visibility map, as in production.
        cursor.execute("VACUUM (ANALYZE) cases_case")
        cursor.execute("VACUUM (ANALYZE) cases_casestep")
        cursor.execute("ANALYZE")
    timings["vacuum_analyze_s"] = time.perf_counter() - phase
    timings["total_s"] = time.perf_counter() - started
    return catalogue, timings


def distribution() -> dict:
    """What was generated, for the report: counts by state, department spread, overdue open cases."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), min(received_at), max(received_at) FROM cases_case")
        total, first, last = cursor.fetchone()
        cursor.execute("SELECT state, count(*) FROM cases_case GROUP BY 1 ORDER BY 2 DESC")
        states = dict(cursor.fetchall())
        cursor.execute("""SELECT min(n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), max(n)
                          FROM (SELECT count(*) n FROM cases_case GROUP BY department_id) x""")
        dept_min, dept_median, dept_max = cursor.fetchone()
        cursor.execute("""SELECT count(*) FROM cases_case
                          WHERE state IN ('in_progress', 'deciding', 'decided') AND promised_due < current_date""")
        overdue = cursor.fetchone()[0]
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE cross_department) FROM cases_casestep")
        steps, cross = cursor.fetchone()
        cursor.execute("""SELECT max(n) FROM (SELECT count(DISTINCT case_id) n FROM cases_casestep
                          WHERE cross_department GROUP BY department_id) x""")
        cross_max = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('cases_case')), "
                       "pg_size_pretty(pg_total_relation_size('cases_casestep'))")
        case_size, step_size = cursor.fetchone()
    return {"cases": total, "first_received": str(first), "last_received": str(last), "states": states,
            "cases_per_department": {"min": dept_min, "median": dept_median, "max": dept_max},
            "overdue_running": overdue, "steps": steps, "cross_department_steps": cross,
            "most_cross_department_cases_of_one_department": cross_max,
            "size": {"cases_case": case_size, "cases_casestep": step_size}}


def existing_catalogue() -> Catalogue | None:
    """The catalogue of an earlier run kept in the database (--db … --reuse-data)."""
    supervisor = User.objects.filter(username="bench_supervisor").first()
    if supervisor is None:
        return None
    handlers = User.objects.filter(roles=Role.HANDLER, department__isnull=False, username__endswith="_handler"
                                   ).select_related("department")
    keys = {user.department.code: _token(user) for user in handlers}
    return Catalogue(sorted(keys), _token(supervisor, sorted(keys)), keys)
