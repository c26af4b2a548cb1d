"""Open and closed cases for the supervision scan, generated set-based (default 1M open, 10M closed).

The catalogue, the working-day table and the applicants are those of bench/listdata.py; on top of
it one flow in three has its first step (审查) on a limit of its own (3 working days, or 8 hours
for one flow in twenty), so that active steps carry their own deadlines.

Closed cases (completed 88 %, refused 6 %, withdrawn 4.5 %, voided 1.5 %) end on working days
spread evenly over the last three years, ids ascending with the end. Completions take 0.2 … 1.1
times the allotment (one in nine is late). Open cases (received 10 %, correcting 6 %, in progress
50 %, suspended 8 %, deciding 14 %, decided 12 %) were accepted so that 94 % are inside their
allotment, evenly spread over it, and 6 % are overdue by 1 … 41 working days, most by a few. An
in-progress or suspended case has one active step (审查, 审核 or 审批, the earlier ones done),
started on one of the last five working days; deciding and decided cases have passed all three;
decided cases were decided in the last 12 working days (delivery due after 10). Suspended cases
have an open clock stop. Items of open cases are weighted by their allotment as well as their
popularity: long cases stay open longer. A few cases break a procedure rule, in the proportions of a centre under
supervision: a second correction notice (0.3 %), a late correction notice, an extension beyond
the item's limit (0.02 %), a refusal or denial without reason, a completion within ten minutes
of acceptance.

Steps and events are generated for the open cases and for the cases closed in the last
`history_months` (default 3): every case has them in production, but 30 million step rows and
70 million events of old closed cases would triple the generation time and change nothing the
scan reads (it looks at running cases and at new events); the assessment of a recent month finds
the history it counts. Events are the audit entries the services write (receive, request_correction,
accept, pass, suspend, grant/deny, complete, refuse, withdraw, void), ids ascending with their time,
all before the moment of generation. Materials are not generated.

Everything runs in one transaction with secondary indexes dropped and foreign-key triggers off
(superuser), then the indexes are rebuilt with their own definitions and every table is vacuumed
and analysed, as an hour of autovacuum would leave it.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection, transaction
from django.utils import timezone

from shenpi import clock
from shenpi.workdays.services import load_calendar

from . import listdata

TABLES = ("cases_case", "cases_casestep", "cases_caseevent", "cases_clockstop")
CHUNK = 1_000_000
# Generated moments stay this far before the moment of generation: nothing looks "new" to a scan.
PAST = dt.timedelta(minutes=5)

# The facts of each closed case as working-day indexes (bench_workday.idx): received, accepted,
# decided, closed; then the common tail below turns them into rows.
CLOSED_FACTS = """
WITH base AS (
    SELECT g,
           %(first_close)s + ((g - %(g_first)s) * %(span)s::bigint / %(rows)s)::int AS cidx,
           (floor(random() * {slots}))::int AS slot,
           mod(g, {applicants})::int AS aslot,
           random() AS r, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
           make_interval(secs => 32400 + random() * 28800) AS tod
    FROM generate_series(%(lo)s, %(hi)s) AS g
), picked AS (
    SELECT b.*, p.item_id, p.version_id, p.department_id, p.promised_limit, p.statutory_limit,
           CASE WHEN b.r < 0.88 THEN 'completed' WHEN b.r < 0.94 THEN 'refused'
                WHEN b.r < 0.985 THEN 'withdrawn' ELSE 'voided' END AS state,
           CASE WHEN b.r5 < 0.0002 THEN 15 WHEN b.r5 < 0.02 THEN 5 + floor(b.r5 * 250)::int ELSE 0 END AS ext
    FROM base b JOIN bench_slot s ON s.slot = b.slot JOIN bench_pick p ON p.rank = s.rank
), spans AS (
    SELECT x.*,
           CASE WHEN x.state = 'completed' AND x.promised_limit > 0
                THEN ceil((x.promised_limit + x.ext) * (0.2 + 0.9 * x.r3))::int
                WHEN x.state IN ('withdrawn', 'voided') THEN floor((x.promised_limit + x.ext) * x.r3)::int
                ELSE 0 END AS used
    FROM picked x
), facts AS (
    SELECT s.*,
           CASE WHEN s.state = 'refused' THEN s.cidx - floor(s.r3 * 3)::int
                ELSE s.cidx - s.used - (s.r2 < 0.2)::int END AS ridx,
           CASE WHEN s.state <> 'refused' THEN s.cidx - s.used END AS aidx,
           CASE WHEN s.state = 'completed' THEN s.cidx END AS decidx,
           s.cidx AS endidx,
           NULL::int AS stopidx,
           CASE WHEN s.state <> 'completed' THEN '' WHEN s.r4 < 0.03 THEN 'deny' ELSE 'grant' END AS decision,
           s.r4 < 0.0005 AS no_reason,
           s.state = 'completed' AND s.promised_limit > 0 AND s.r4 > 0.9995 AS quick,
           (s.r6 < 0.08)::int + (s.r6 < 0.003)::int AS corrections,
           s.r6 < 0.0015 AS late_notice
    FROM spans s
)
"""

OPEN_FACTS = """
WITH base AS (
    SELECT g,
           (floor(random() * {slots}))::int AS slot,
           mod(g, {applicants})::int AS aslot,
           random() AS r, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
           make_interval(secs => 32400 + random() * 28800) AS tod
    FROM generate_series(%(lo)s, %(hi)s) AS g
), picked AS (
    SELECT b.*, p.item_id, p.version_id, p.department_id, p.promised_limit, p.statutory_limit,
           CASE WHEN b.r < 0.10 THEN 'received' WHEN b.r < 0.16 THEN 'correcting' WHEN b.r < 0.66 THEN 'in_progress'
                WHEN b.r < 0.74 THEN 'suspended' WHEN b.r < 0.88 THEN 'deciding' ELSE 'decided' END AS state,
           CASE WHEN b.r5 < 0.0002 THEN 15 WHEN b.r5 < 0.03 THEN 5 + floor(b.r5 * 166)::int ELSE 0 END AS ext
    FROM base b JOIN bench_open_slot s ON s.slot = b.slot JOIN bench_pick p ON p.rank = s.rank
), spans AS (
    SELECT x.*,
           -- working days since acceptance: most inside the allotment, some overdue by 1 to 41 days
           CASE WHEN x.r3 < 0.94 THEN floor(x.r3 / 0.94 * (x.promised_limit + x.ext + 1))::int
                ELSE x.promised_limit + x.ext + 1 + floor(power((x.r3 - 0.94) / 0.06, 3) * 40)::int END AS elapsed
    FROM picked x
), facts AS (
    SELECT s.*,
           CASE WHEN s.state = 'received' THEN %(today)s - floor(s.r3 * 4)::int
                WHEN s.state = 'correcting' THEN %(today)s - floor(s.r3 * 12)::int
                ELSE %(today)s - s.elapsed - (s.r2 < 0.2)::int END AS ridx,
           CASE WHEN s.state NOT IN ('received', 'correcting') THEN %(today)s - s.elapsed END AS aidx,
           CASE WHEN s.state = 'decided' THEN greatest(%(today)s - s.elapsed, %(today)s - floor(s.r4 * 13)::int)
                END AS decidx,
           NULL::int AS endidx,
           CASE WHEN s.state = 'suspended' THEN greatest(%(today)s - s.elapsed, %(today)s - floor(s.r4 * 10)::int)
                END AS stopidx,
           CASE WHEN s.state <> 'decided' THEN '' WHEN s.r4 < 0.03 THEN 'deny' ELSE 'grant' END AS decision,
           s.r4 < 0.0005 AS no_reason,
           false AS quick,
           CASE WHEN s.state = 'correcting' THEN 1 + (s.r6 < 0.02)::int
                ELSE (s.r6 < 0.08)::int + (s.r6 < 0.003)::int END AS corrections,
           s.r6 < 0.0015 AS late_notice
    FROM spans s
)
"""

CASES_TAIL = """
, dated AS (
    SELECT f.*,
           f.ridx + CASE WHEN f.late_notice THEN 7 ELSE 1 END AS qidx,
           least((rd.day + f.tod) AT TIME ZONE 'Asia/Shanghai', %(cap)s) AS received_at,
           -- least() skips NULLs: the CASE keeps a missing date missing
           CASE WHEN f.aidx IS NOT NULL
                THEN least((ad.day + f.tod + interval '20 minutes') AT TIME ZONE 'Asia/Shanghai', %(cap)s) END
                AS accepted_at
    FROM facts f
    JOIN bench_workday rd ON rd.idx = f.ridx
    LEFT JOIN bench_workday ad ON ad.idx = f.aidx
)
INSERT INTO cases_case (
    number, query_code, channel, title, state, applicant_kind, applicant_name, applicant_id,
    applicant_id_index, applicant_id_masked, applicant_id_note, contact_name, contact_phone,
    contact_phone_masked, received_at, correction_due, correction_count, correction_requested_at,
    corrected_at, accepted_at, accept_date, promised_limit, statutory_limit, extension_days,
    stopped_days, clock_stopped_on, promised_due, statutory_due, due_provisional, decision,
    decision_reason, decided_at, delivery_due, completed_at, used_days, closing_reason, closed_at,
    notices_issued, row_version, trail_head, trail_length,
    department_id, item_id, received_by_id, version_id, window_id)
SELECT
    to_char(rd.day, 'YYYYMMDD') || lpad(d.g::text, 10, '0'),
    a.query_enc,
    CASE WHEN d.r2 < 0.55 THEN 'window' WHEN d.r2 < 0.90 THEN 'online' WHEN d.r2 < 0.97 THEN 'town' ELSE 'api' END,
    '', d.state, a.kind, a.name, a.id_enc, a.id_index, a.id_masked, '', '', a.phone_enc, a.phone_masked,
    d.received_at,
    cd.day,
    d.corrections,
    -- a notice minutes after receipt, the materials ten minutes later; a late notice days after
    CASE WHEN d.corrections = 0 THEN NULL
         WHEN d.late_notice THEN least((qd.day + time '10:00') AT TIME ZONE 'Asia/Shanghai', %(cap)s)
         ELSE least(d.received_at + interval '5 minutes', %(cap)s) END,
    CASE WHEN d.corrections = 0 OR d.state = 'correcting' THEN NULL
         WHEN d.late_notice THEN least((qd.day + time '15:00') AT TIME ZONE 'Asia/Shanghai', %(cap)s)
         ELSE least(d.received_at + interval '15 minutes', %(cap)s) END,
    d.accepted_at,
    ad.day,
    d.promised_limit, d.statutory_limit, d.ext, 0,
    sd.day,
    pd.day,
    std.day,
    coalesce(pd.day > DATE '{last_official}', false),
    d.decision,
    CASE WHEN d.decision = 'deny' AND NOT d.no_reason THEN '申请人不具备法定条件' ELSE '' END,
    CASE WHEN d.quick THEN d.accepted_at + interval '3 minutes'
         WHEN d.decidx IS NOT NULL THEN least((dd.day + time '15:00') AT TIME ZONE 'Asia/Shanghai', %(cap)s) END,
    ddue.day,
    CASE WHEN d.state = 'completed' THEN
         CASE WHEN d.quick THEN d.accepted_at + interval '5 minutes'
              ELSE greatest((ed.day + time '16:00') AT TIME ZONE 'Asia/Shanghai', d.accepted_at + interval '1 hour')
              END END,
    CASE WHEN d.state = 'completed' THEN d.endidx - d.aidx END,
    CASE WHEN d.state IN ('refused', 'withdrawn', 'voided') AND NOT d.no_reason THEN '申请人材料不符合法定形式'
         ELSE '' END,
    CASE WHEN d.state = 'completed' THEN
         CASE WHEN d.quick THEN d.accepted_at + interval '5 minutes'
              ELSE greatest((ed.day + time '16:00') AT TIME ZONE 'Asia/Shanghai', d.accepted_at + interval '1 hour')
              END
         WHEN d.endidx IS NOT NULL THEN greatest((ed.day + time '11:00') AT TIME ZONE 'Asia/Shanghai',
                                                 d.received_at + interval '1 hour') END,
    CASE WHEN d.decision <> '' THEN 1 ELSE 0 END + (d.aidx IS NOT NULL)::int,
    CASE d.state WHEN 'completed' THEN 6 WHEN 'decided' THEN 5 WHEN 'deciding' THEN 4 WHEN 'in_progress' THEN 2
                 WHEN 'received' THEN 0 ELSE 1 END,
    '', 0,
    d.department_id, d.item_id, st.user_id, d.version_id, st.window_id
FROM dated d
JOIN bench_applicant a ON a.slot = d.aslot
JOIN bench_workday rd ON rd.idx = d.ridx
JOIN bench_workday cd ON cd.idx = d.ridx + 5
JOIN bench_workday qd ON qd.idx = least(d.qidx, %(today)s)
LEFT JOIN bench_workday ad ON ad.idx = d.aidx
LEFT JOIN bench_workday pd ON pd.idx = d.aidx + d.promised_limit + d.ext
LEFT JOIN bench_workday std ON std.idx = d.aidx + d.statutory_limit + d.ext
LEFT JOIN bench_workday sd ON sd.idx = d.stopidx
LEFT JOIN bench_workday dd ON dd.idx = d.decidx
LEFT JOIN bench_workday ddue ON ddue.idx = d.decidx + 10
LEFT JOIN bench_workday ed ON ed.idx = d.endidx
JOIN bench_staff st ON st.department_id = d.department_id AND st.role_id = 'clerk'
ORDER BY d.g
"""

# Steps of accepted cases in scope: done before the current one, the current one active (in
# progress, suspended) or cancelled (withdrawn, voided). The active step started on one of the
# last five working days (most today or yesterday); done steps share the time from acceptance to
# the decision (or to the active step) evenly. A flow step with a limit gives its step a deadline
# of its own (days: the close of that working day; hours: clock hours, office hours not counted).
STEPS_SQL = """
INSERT INTO cases_casestep (case_id, flow_step_id, seq, name, role_id, department_id, assignee_id, status,
                            started_at, due_at, own_limit, cross_department, finished_at, finished_by_id, opinion)
SELECT x.case_id, x.flow_step_id, x.seq, x.name, x.role_id, x.department_id, x.user_id, x.status,
       x.started_at,
       CASE WHEN x.lim IS NULL THEN (x.promised_due + time '23:59:59') AT TIME ZONE 'Asia/Shanghai'
            WHEN x.unit = 'hours' THEN x.started_at + x.lim * interval '1 hour'
            WHEN x.status = 'active' THEN (dw.day + time '23:59:59') AT TIME ZONE 'Asia/Shanghai'
            ELSE x.started_at + x.lim * interval '1 day' END,
       x.lim IS NOT NULL, x.cross_department,
       CASE WHEN x.status = 'done' THEN least(x.started_at + x.share, %(cap)s)
            WHEN x.status = 'cancelled' THEN x.closed_at END,
       CASE WHEN x.status = 'done' THEN x.user_id END,
       CASE WHEN x.status = 'done' THEN '同意' ELSE '' END
FROM (
    SELECT c.id AS case_id, fs.id AS flow_step_id, fs.seq, fs.name, fs.role_id, fs."limit" AS lim,
           fs.limit_unit AS unit, coalesce(fs.department_id, c.department_id) AS department_id,
           coalesce(fs.department_id, c.department_id) <> c.department_id AS cross_department,
           st.user_id, c.promised_due, c.closed_at, a.sidx,
           CASE WHEN fs.seq < cur.seq THEN 'done'
                WHEN c.state IN ('in_progress', 'suspended') THEN 'active'
                WHEN c.state IN ('withdrawn', 'voided') THEN 'cancelled'
                ELSE 'done' END AS status,
           CASE WHEN fs.seq = cur.seq AND c.state IN ('in_progress', 'suspended')
                THEN least((sw.day + (c.received_at AT TIME ZONE 'Asia/Shanghai')::time) AT TIME ZONE 'Asia/Shanghai'
                           + interval '30 minutes', %(cap)s)
                ELSE least(c.accepted_at + (fs.seq - 1) * span.share, %(cap)s) END AS started_at,
           span.share
    FROM cases_case c
    JOIN bench_workday aw ON aw.day = c.accept_date
    CROSS JOIN LATERAL (SELECT CASE WHEN c.state IN ('deciding', 'decided', 'completed') THEN 3
                                    ELSE 1 + mod(c.id, 3)::int END AS seq) cur
    CROSS JOIN LATERAL (SELECT greatest(aw.idx, %(today)s - floor(power(random(), 3) * 5)::int) AS sidx) a
    JOIN bench_workday sw ON sw.idx = a.sidx
    CROSS JOIN LATERAL (
        SELECT greatest(coalesce(c.decided_at, c.closed_at,
                                 (sw.day + time '09:00') AT TIME ZONE 'Asia/Shanghai') - c.accepted_at,
                        interval '30 minutes') / 3 AS share) span
    JOIN catalog_flowstep fs ON fs.version_id = c.version_id AND fs.seq <= cur.seq
    JOIN bench_staff st ON st.department_id = coalesce(fs.department_id, c.department_id) AND st.role_id = fs.role_id
    WHERE c.id >= %(first_id)s AND c.accept_date IS NOT NULL
) x
LEFT JOIN bench_workday dw ON dw.idx = x.sidx + coalesce(x.lim, 0)
ORDER BY x.case_id, x.seq
"""

CLOCK_STOPS_SQL = """
INSERT INTO cases_clockstop (case_id, step_id, kind_id, kind_name, reason, expected_days, limit_days, limit_due,
                             resume_to, started_at, ended_at, stopped_days, materials)
SELECT c.id, s.id, NULL, '补件', '申请人补充提交现场核查材料', 5, 10, w2.day, 'in_progress',
       least((c.clock_stopped_on + time '10:00') AT TIME ZONE 'Asia/Shanghai', %(cap)s), NULL, 0, '[]'::jsonb
FROM cases_case c
JOIN bench_workday w ON w.day = c.clock_stopped_on
JOIN bench_workday w2 ON w2.idx = w.idx + 10
LEFT JOIN cases_casestep s ON s.case_id = c.id AND s.status = 'active'
WHERE c.id >= %(first_open_id)s AND c.state = 'suspended'
"""

# The audit entries of every case in scope, ids in the order of their moments.
EVENTS_SQL = """
INSERT INTO cases_caseevent (case_id, action, actor_id, actor_name, at, ip, from_state, to_state, step_id, comment,
                             data, prev_hash, hash)
SELECT e.case_id, e.action, e.actor_id, '经办人', e.at, '10.20.1.17', e.from_state, e.to_state, e.step_id,
       e.comment, '{}'::jsonb, md5(e.case_id::text || e.ord) || md5(e.ord || e.case_id::text),
       md5(e.case_id::text || e.action || e.ord) || md5(e.at::text)
FROM (
    SELECT c.id AS case_id, 1 AS ord, 'receive' AS action, c.received_by_id AS actor_id, c.received_at AS at,
           '' AS from_state, 'received' AS to_state, NULL::bigint AS step_id, '' AS comment
    FROM cases_case c WHERE c.id >= %(first_id)s
    UNION ALL
    SELECT c.id, 2, 'request_correction', c.received_by_id, c.correction_requested_at, 'received', 'correcting',
           NULL, '请补正材料：场地证明材料'
    FROM cases_case c WHERE c.id >= %(first_id)s AND c.correction_count > 0
    UNION ALL
    SELECT c.id, 2 + k, 'request_correction', c.received_by_id, c.correction_requested_at + k * interval '1 minute',
           'correcting', 'correcting', NULL, '请再次补正材料'
    FROM cases_case c CROSS JOIN generate_series(1, 1) k WHERE c.id >= %(first_id)s AND c.correction_count > 1
    UNION ALL
    SELECT c.id, 4, 'accept', c.received_by_id, c.accepted_at, 'received', 'in_progress', NULL, ''
    FROM cases_case c WHERE c.id >= %(first_id)s AND c.accepted_at IS NOT NULL
    UNION ALL
    SELECT s.case_id, 4 + s.seq, 'pass', s.finished_by_id, s.finished_at, 'in_progress',
           CASE WHEN s.seq = 3 THEN 'deciding' ELSE 'in_progress' END, s.id, '同意'
    FROM cases_casestep s WHERE s.case_id >= %(first_id)s AND s.status = 'done'
    UNION ALL
    SELECT c.id, 8, 'suspend', c.received_by_id, cs.started_at, 'in_progress', 'suspended', NULL, cs.reason
    FROM cases_case c JOIN cases_clockstop cs ON cs.case_id = c.id WHERE c.id >= %(first_id)s
    UNION ALL
    SELECT c.id, 9, c.decision, c.received_by_id, c.decided_at, 'deciding', 'decided', NULL, c.decision_reason
    FROM cases_case c WHERE c.id >= %(first_id)s AND c.decided_at IS NOT NULL
    UNION ALL
    SELECT c.id, 10, CASE c.state WHEN 'completed' THEN 'complete' WHEN 'refused' THEN 'refuse'
                              WHEN 'withdrawn' THEN 'withdraw' ELSE 'void' END,
           c.received_by_id, c.closed_at,
           CASE WHEN c.state = 'completed' THEN 'decided' WHEN c.state = 'refused' THEN 'received'
                ELSE 'in_progress' END,
           c.state, NULL, c.closing_reason
    FROM cases_case c WHERE c.id >= %(first_id)s AND c.closed_at IS NOT NULL
) e
ORDER BY e.at, e.case_id, e.ord
"""

# One flow in three: the first step (审查) has its own limit; one in twenty counts it in hours.
STEP_LIMITS_SQL = """
UPDATE catalog_flowstep SET "limit" = CASE WHEN mod(version_id, 20) = 19 THEN 8 ELSE 3 END,
       limit_unit = CASE WHEN mod(version_id, 20) = 19 THEN 'hours' ELSE 'days' END
WHERE seq = 1 AND (mod(version_id, 3) = 0 OR mod(version_id, 20) = 19)
"""


def _next_id(cursor, table: str) -> int:
    """The id the next row of `table` will get: one session inserting alone gets consecutive ids."""
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    last, called = cursor.fetchone()
    return last + 1 if called else last


def _say(text: str) -> None:
    print(f"scan: {text}", flush=True)


def generate(open_cases: int = 1_000_000, closed_cases: int = 10_000_000, history_months: int = 3,
             years: int = 3, seed: int = 7) -> dict:
    """Catalogue, cases, steps, clock stops and events; returns the counts and seconds of each phase."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic():
        listdata.make_catalogue(rng)
        with connection.cursor() as cursor:
            cursor.execute(STEP_LIMITS_SQL)
    timings["catalogue_s"] = time.perf_counter() - started
    calendar_last = max(load_calendar().official_years)
    cap = clock.now() - PAST
    today = timezone.localdate(cap)
    history_from = _months_before(today, history_months)
    info: dict = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # Foreign keys all come from joins with the referenced tables; checked after the load.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # 60 working days of room before the first closing day for the longest cases.
        start_idx, today_idx = listdata._lookup_tables(rng, days_back=years * 366 + 100)
        first_close = start_idx + 70
        _open_slots(cursor, rng)
        dropped = {t: listdata._secondary_indexes(cursor, t) for t in TABLES}
        for indexes in dropped.values():
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        fmt = {"slots": listdata.PICK_SLOTS, "applicants": listdata.APPLICANTS,
               "last_official": f"{calendar_last}-12-31"}
        closed_sql = (CLOSED_FACTS + CASES_TAIL).format(**fmt)
        open_sql = (OPEN_FACTS + CASES_TAIL).format(**fmt)

        phase = time.perf_counter()
        first_closed_id = _next_id(cursor, "cases_case")
        cursor.execute("SELECT idx FROM bench_workday WHERE day >= %s ORDER BY idx LIMIT 1", [history_from])
        history_idx = cursor.fetchone()[0]
        span = today_idx - first_close  # closing days: first_close … today - 1
        for lo in range(1, closed_cases + 1, CHUNK):
            hi = min(lo + CHUNK - 1, closed_cases)
            cursor.execute(closed_sql, {"lo": lo, "hi": hi, "g_first": 1, "rows": closed_cases, "span": span,
                                        "first_close": first_close, "today": today_idx, "cap": cap})
            _say(f"closed cases {hi:,} / {closed_cases:,} ({time.perf_counter() - phase:.0f} s)")
        timings["closed_cases_s"] = time.perf_counter() - phase
        # Closed cases are in the order of their closing day: the recent ones are an id range.
        # The first g whose closing day first_close + (g - 1) * span // rows is in the history.
        behind = history_idx - first_close
        history_g = 1 + max(0, -(-behind * closed_cases // span)) if history_months else closed_cases + 1
        first_history_id = first_closed_id + min(history_g, closed_cases + 1) - 1

        phase = time.perf_counter()
        first_open_id = _next_id(cursor, "cases_case")
        for lo in range(closed_cases + 1, closed_cases + open_cases + 1, CHUNK):
            hi = min(lo + CHUNK - 1, closed_cases + open_cases)
            cursor.execute(open_sql, {"lo": lo, "hi": hi, "today": today_idx, "cap": cap})
        timings["open_cases_s"] = time.perf_counter() - phase
        _say(f"open cases {open_cases:,} ({timings['open_cases_s']:.0f} s)")
        _check_ids(cursor, first_closed_id, first_open_id, closed_cases)

        phase = time.perf_counter()
        cursor.execute(STEPS_SQL, {"first_id": first_history_id, "today": today_idx, "cap": cap})
        timings["steps_s"] = time.perf_counter() - phase
        _say(f"{cursor.rowcount:,} steps ({timings['steps_s']:.0f} s)")
        cursor.execute(CLOCK_STOPS_SQL, {"first_open_id": first_open_id, "cap": cap})
        phase = time.perf_counter()
        cursor.execute(EVENTS_SQL, {"first_id": first_history_id})
        timings["events_s"] = time.perf_counter() - phase
        _say(f"{cursor.rowcount:,} events ({timings['events_s']:.0f} s)")

        phase = time.perf_counter()
        for indexes in dropped.values():
            for _, definition in indexes:
                cursor.execute(definition)
        timings["indexes_s"] = time.perf_counter() - phase
        _say(f"indexes rebuilt ({timings['indexes_s']:.0f} s)")
        _check_keys(cursor, first_history_id)
    phase = time.perf_counter()
    with connection.cursor() as cursor:
        # Outside a transaction: vacuumed tables have their visibility maps, as in production.
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")
    timings["vacuum_analyze_s"] = time.perf_counter() - phase
    timings["total_s"] = time.perf_counter() - started
    info.update(first_open_id=first_open_id, first_history_id=first_history_id, history_from=str(history_from),
                generated_at=cap.isoformat())
    return {"timings": timings, **info}


def _open_slots(cursor, rng: random.Random) -> None:
    """Items for open cases: as popular as for all cases, times the days a case stays open.

    A centre holds cases of a 20-day item twenty times as long as those of a 1-day item, so at any
    moment its open cases lean towards the long allotments (Little's law).
    """
    cursor.execute("""SELECT s.rank, count(*), p.promised_limit FROM bench_slot s JOIN bench_pick p ON p.rank = s.rank
                      GROUP BY s.rank, p.promised_limit ORDER BY s.rank""")
    rows = cursor.fetchall()
    slots = rng.choices([rank for rank, _, _ in rows], [n * (limit + 1) for _, n, limit in rows],
                        k=listdata.PICK_SLOTS)
    cursor.execute("CREATE TEMP TABLE bench_open_slot (slot int PRIMARY KEY, rank int NOT NULL) ON COMMIT DROP")
    cursor.executemany("INSERT INTO bench_open_slot VALUES (%s, %s)", list(enumerate(slots)))
    cursor.execute("ANALYZE bench_open_slot")


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


def _check_ids(cursor, first_closed_id: int, first_open_id: int, closed_cases: int) -> None:
    """The id arithmetic above holds: ids were handed out consecutively in generation order."""
    cursor.execute("SELECT id, number FROM cases_case WHERE id IN (%s, %s)", [first_closed_id, first_open_id])
    rows = dict(cursor.fetchall())
    expected = {first_closed_id: 1, first_open_id: closed_cases + 1}
    for pk, g in expected.items():
        if pk in rows and int(rows[pk][8:]) != g:
            raise RuntimeError(f"case {pk} is number {rows[pk]}, expected sequence {g}: ids are not consecutive")


def _check_keys(cursor, first_id: int) -> None:
    """Every foreign key of the generated rows points at a row (the load ran without FK triggers)."""
    cursor.execute("""
        SELECT (SELECT count(*) FROM cases_casestep s WHERE NOT EXISTS (SELECT 1 FROM cases_case c
                    WHERE c.id = s.case_id) OR NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = s.assignee_id))
             + (SELECT count(*) FROM cases_caseevent e WHERE NOT EXISTS (SELECT 1 FROM cases_case c
                    WHERE c.id = e.case_id))
             + (SELECT count(*) FROM cases_case c WHERE c.id >= %s AND (NOT EXISTS (SELECT 1 FROM catalog_itemversion v
                    WHERE v.id = c.version_id) OR NOT EXISTS (SELECT 1 FROM accounts_user u
                    WHERE u.id = c.received_by_id)))""", [first_id])
    broken = cursor.fetchone()[0]
    if broken:
        raise RuntimeError(f"{broken} generated rows have a dangling foreign key")


def distribution() -> dict:
    """What the scan will look at: open cases by state, overdue and due soon, steps, events, sizes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM cases_case GROUP BY 1 ORDER BY 2 DESC")
        states = dict(cursor.fetchall())
        cursor.execute("""
            SELECT count(*) FILTER (WHERE promised_due < current_date),
                   count(*) FILTER (WHERE promised_due BETWEEN current_date AND current_date + 2),
                   count(*)
            FROM cases_case WHERE state IN ('in_progress', 'deciding', 'decided')""")
        overdue, soon, running = cursor.fetchone()
        cursor.execute("""SELECT count(*), count(*) FILTER (WHERE status = 'active'),
                                 count(*) FILTER (WHERE status = 'active' AND own_limit),
                                 count(*) FILTER (WHERE status = 'active' AND own_limit AND due_at < now())
                          FROM cases_casestep""")
        steps, active, own, own_overdue = cursor.fetchone()
        cursor.execute("SELECT count(*), min(at), max(at) FROM cases_caseevent")
        events, first_event, last_event = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM cases_clockstop")
        stops = cursor.fetchone()[0]
        sizes = {}
        for table in (*TABLES, "supervision_alert"):
            cursor.execute("SELECT pg_total_relation_size(%s), pg_relation_size(%s)", [table, table])
            total, heap = cursor.fetchone()
            sizes[table] = {"total_mb": total / 2**20, "heap_mb": heap / 2**20}
        cursor.execute("SELECT pg_database_size(current_database())")
        sizes["database_mb"] = cursor.fetchone()[0] / 2**20
    open_states = ("received", "correcting", "in_progress", "suspended", "deciding", "decided")
    return {"states": states, "open": sum(states.get(s, 0) for s in open_states),
            "closed": sum(n for s, n in states.items() if s not in open_states),
            "running": running, "running_overdue": overdue, "running_due_within_2_days": soon,
            "steps": steps, "active_steps": active, "active_steps_own_limit": own,
            "active_steps_own_limit_overdue": own_overdue, "clock_stops": stops,
            "events": events, "first_event": str(first_event), "last_event": str(last_event), "size": sizes}
