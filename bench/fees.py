"""月汇总 (the monthly summary of fees) over 10,000,000 paid bills, in PostgreSQL.

    python -m bench.fees [--db postgres://…/bench_fees] [--bills 10000000] [--reuse-data] [--repeat 5]

Without --db a database bench_fees_<pid> is created and dropped afterwards (bench/db.py). The data:
cases from bench/listdata.py (`--cases`, default 100,000, a city's catalogue of 39 departments), then
`--bills` paid charges spread evenly over the last twelve months, each with one fee line (eight fee
items of several prices) and its payment (cash, card, transfer or online), all by
`INSERT … SELECT … FROM generate_series`, and the day totals the platform keeps with every payment
(fees.FeeDayTotal) computed from them in one GROUP BY.

Figures (printed, never asserted): the month summary as the page computes it (fees/summary.py, all
departments and one department), median and worst of `--repeat`; the same figures computed straight
from the month's payments and lines (what the day totals spare); and what keeping the day totals
costs a payment: record_payment per second with and without its receiver. Aim: summary ≤ 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from decimal import Decimal

FEE_ITEMS = [("不动产登记费（住宅）", "80.00"), ("不动产登记费（非住宅）", "550.00"), ("证书工本费", "10.00"),
             ("居民身份证工本费", "20.00"), ("临时居民身份证工本费", "10.00"), ("城市道路占用费", "365.00"),
             ("户口簿工本费", "8.00"), ("土地复垦费", "1200.00")]
CHANNELS = ["cash", "card", "transfer", "online"]
RECEIVER = "shenpi.fees.summary.count_payment"

CHARGES_SQL = """
INSERT INTO fees_charge (id, case_id, department_id, version_id, number, status, standard_total, waived_total,
                         total, created_at, created_by_id, pay_due, paid_at, cancelled_reason)
SELECT g, c.id, c.department_id, c.version_id, 'B' || lpad(g::text, 12, '0'), 'paid', f.price, 0, f.price,
       t.paid_at - interval '2 hours', NULL, (t.paid_at AT TIME ZONE 'Asia/Shanghai')::date + 7, t.paid_at, ''
FROM generate_series(1::bigint, %(bills)s::bigint) AS g
JOIN bench_fee_case c ON c.k = 1 + (g * 7919) %% %(cases)s
JOIN bench_fee_item f ON f.k = 1 + (g * 31) %% %(items)s
CROSS JOIN LATERAL (SELECT %(start)s::timestamptz + (g::float8 / %(bills)s) * %(span)s * interval '1 second'
                    AS paid_at) t
"""
LINES_SQL = """
INSERT INTO fees_chargeline (id, charge_id, standard_id, name, quantity, unit, standard_amount, waiver_id,
                             waived_amount, amount)
SELECT ch.id, ch.id, NULL, f.name, 1, '', ch.total, NULL, 0, ch.total
FROM fees_charge ch JOIN bench_fee_item f ON f.k = 1 + (ch.id * 31) %% %(items)s
"""
PAYMENTS_SQL = """
INSERT INTO fees_payment (id, charge_id, channel, amount, paid_at, recorded_at, recorded_by_id, window_id, reference,
                          gateway_order, gateway_transaction, closing_id)
SELECT ch.id, ch.id, (ARRAY['cash','card','transfer','online'])[1 + ch.id %% 4], ch.total, ch.paid_at, ch.paid_at,
       NULL, NULL, '', CASE WHEN ch.id %% 4 = 3 THEN 'SP' || lpad(ch.id::text, 14, '0') ELSE '' END,
       CASE WHEN ch.id %% 4 = 3 THEN 'T' || lpad(ch.id::text, 14, '0') END, NULL
FROM fees_charge ch
"""
TOTALS_SQL = """
INSERT INTO fees_feedaytotal (day, department_id, item, channel, count, amount)
SELECT (p.paid_at AT TIME ZONE 'Asia/Shanghai')::date, ch.department_id, l.name, p.channel, count(*), sum(l.amount)
FROM fees_payment p JOIN fees_charge ch ON ch.id = p.charge_id JOIN fees_chargeline l ON l.charge_id = ch.id
GROUP BY 1, 2, 3, 4
"""
# The month straight from the bills: what the page would run without the day totals.
RAW_SQL = """
SELECT d.code, l.name, p.channel, count(*), sum(l.amount)
FROM fees_payment p JOIN fees_charge ch ON ch.id = p.charge_id JOIN fees_chargeline l ON l.charge_id = ch.id
JOIN catalog_department d ON d.id = ch.department_id
WHERE p.paid_at >= %(start)s AND p.paid_at < %(end)s
GROUP BY 1, 2, 3
"""


def _generate(bills: int, cases: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import listdata
    from shenpi.cases.models import Case

    timings = {}
    started = time.perf_counter()
    if not Case.objects.exists():
        listdata.generate(rows=cases)
    timings["cases_s"] = time.perf_counter() - started
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=365), dt.time(8, 30)))
    span = 365 * 86400
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # Every key comes from a join with the referenced table: no row-by-row trigger needed.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("CREATE TEMP TABLE bench_fee_case ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY id) "
                       "- 1 AS k0, id, department_id, version_id FROM cases_case")
        cursor.execute("ALTER TABLE bench_fee_case ADD COLUMN k bigint")
        cursor.execute("UPDATE bench_fee_case SET k = k0 + 1")
        cursor.execute("CREATE INDEX ON bench_fee_case (k)")
        cursor.execute("SELECT count(*) FROM bench_fee_case")
        case_count = cursor.fetchone()[0]
        cursor.execute("CREATE TEMP TABLE bench_fee_item (k int PRIMARY KEY, name text, price numeric) ON COMMIT DROP")
        cursor.executemany("INSERT INTO bench_fee_item VALUES (%s, %s, %s)",
                           [(k, name, Decimal(price)) for k, (name, price) in enumerate(FEE_ITEMS, start=1)])
        dropped = {}
        for table in ("fees_charge", "fees_chargeline", "fees_payment"):
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                           "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
            dropped[table] = cursor.fetchall()
            for name, _ in dropped[table]:
                cursor.execute(f'DROP INDEX "{name}"')
        params = {"bills": bills, "cases": case_count, "items": len(FEE_ITEMS), "start": start, "span": span}
        for label, sql in (("charges_s", CHARGES_SQL), ("lines_s", LINES_SQL), ("payments_s", PAYMENTS_SQL)):
            phase = time.perf_counter()
            cursor.execute(sql, params)
            timings[label] = time.perf_counter() - phase
        phase = time.perf_counter()
        for indexes in dropped.values():
            for _, definition in indexes:
                cursor.execute(definition)
        timings["indexes_s"] = time.perf_counter() - phase
        phase = time.perf_counter()
        cursor.execute(TOTALS_SQL)
        timings["day_totals_s"] = time.perf_counter() - phase
        for table in ("fees_charge", "fees_chargeline", "fees_payment"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cursor:
        for table in ("fees_charge", "fees_chargeline", "fees_payment", "fees_feedaytotal"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    timings["total_s"] = time.perf_counter() - started
    return timings


def _timed(function, repeat: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), max(samples), result


def _record_rate(count: int, rounds: int = 3) -> dict[str, float]:
    """record_payment per second, with the day totals' receiver and without it, in alternating rounds
    (each in a rolled-back transaction) so that a warming cache favours neither; the best round of each."""
    from django.db import transaction
    from django.db.models.signals import post_save

    from shenpi import clock
    from shenpi.fees import summary
    from shenpi.fees.models import Charge, ChargeLine, Payment
    from shenpi.fees.payments import record_payment

    template = Charge.objects.order_by("-id").first()
    rates: dict[str, float] = {}
    for round_no in range(rounds):
        for label, connected in (("without_day_totals", False), ("with_day_totals", True)):
            if not connected:
                post_save.disconnect(summary.count_payment, sender=Payment, dispatch_uid=RECEIVER)
            try:
                with transaction.atomic():
                    charges = Charge.objects.bulk_create([
                        Charge(case_id=template.case_id, department_id=template.department_id,
                               version_id=template.version_id, number=f"R{round_no}{label[:2]}{n:09d}",
                               standard_total=Decimal("80.00"), total=Decimal("80.00"), created_at=clock.now(),
                               pay_due=clock.today()) for n in range(count)])
                    ChargeLine.objects.bulk_create([ChargeLine(charge=c, name=FEE_ITEMS[n % 3][0],
                                                               standard_amount=c.total, amount=c.total)
                                                    for n, c in enumerate(charges)])
                    started = time.perf_counter()
                    for charge in charges:
                        record_payment(charge, channel="cash", amount=charge.total)
                    rates[label] = max(rates.get(label, 0.0), count / (time.perf_counter() - started))
                    transaction.set_rollback(True)
            finally:
                if not connected:
                    post_save.connect(summary.count_payment, sender=Payment, dispatch_uid=RECEIVER)
    return rates


def run(bills: int, cases: int, repeat: int, reuse: bool, payments: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from shenpi.catalog.models import Department
    from shenpi.fees import summary
    from shenpi.fees.models import Charge, FeeDayTotal
    from shenpi.fees.periods import days_range, month_days

    result: dict = {"bills_requested": bills}
    if reuse and Charge.objects.exists():
        print("reusing the bills already generated")
    else:
        if Charge.objects.exists():
            raise SystemExit("the database already holds charges: use --reuse-data, or a fresh database")
        result["generate"] = _generate(bills, cases)
        print("generated (s):", {key: round(value, 1) for key, value in result["generate"].items()}, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'fees_payment'")
        result["payments"] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('fees_payment') + "
                       "pg_total_relation_size('fees_charge') + pg_total_relation_size('fees_chargeline'))")
        result["bill_tables_size"] = cursor.fetchone()[0]
    result["day_total_rows"] = FeeDayTotal.objects.count()
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    year, month = last_month_end.year, last_month_end.month
    first, last = month_days(year, month)
    start, end = days_range(first, last)
    department = Department.objects.order_by("code").first()
    print(f"payments ≈{result['payments']:,} ({result['bill_tables_size']} with charges and lines), "
          f"day-total rows {result['day_total_rows']:,}; month {year}-{month:02d}", flush=True)

    figures = {}
    median, worst, whole = _timed(lambda: summary.month_summary(year, month), repeat)
    figures["summary_all_departments"] = (median, worst)
    median, worst, _ = _timed(lambda: summary.month_summary(year, month, departments=[department.pk]), repeat)
    figures["summary_one_department"] = (median, worst)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"start": start, "end": end})
            return cursor.fetchall()

    median, worst, rows = _timed(raw, max(1, min(repeat, 3)))
    figures["straight_from_bills"] = (median, worst)
    raw_total = sum(row[4] for row in rows)
    result["month_bills"] = whole.total.count
    result["month_amount"] = str(whole.total.amount)
    result["same_total_both_ways"] = raw_total == whole.total.amount and sum(r[3] for r in rows) == whole.total.count
    print(f"{'month summary':<28} {'median s':>9} {'worst s':>8}")
    for name, (median, worst) in figures.items():
        print(f"{name:<28} {median:>9.3f} {worst:>8.3f}")
    print(f"month: {result['month_bills']:,} bills, {result['month_amount']} 元; day totals and bills agree: "
          f"{result['same_total_both_ways']}; aim ≤ 2 s: "
          f"{'met' if figures['summary_all_departments'][1] <= 2 else 'not met'}")
    result["figures"] = {name: {"median_s": m, "worst_s": w} for name, (m, w) in figures.items()}
    if payments:
        result["record_payment_per_s"] = _record_rate(payments)
        print("record_payment per second:", {k: round(v, 1) for k, v in result["record_payment_per_s"].items()})
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fees", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing bench_* PostgreSQL database (kept); default: a new one, dropped")
    parser.add_argument("--keep-db", action="store_true", help="keep the database this run creates")
    parser.add_argument("--bills", type=int, default=10_000_000, help="paid bills over twelve months (default 10M)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases the bills belong to (default 100,000)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each timed summary (default 5)")
    parser.add_argument("--payments", type=int, default=500, help="payments recorded to time the day totals' "
                        "cost (default 500; 0 skips)")
    parser.add_argument("--reuse-data", action="store_true", help="with --db: keep the bills of an earlier run")
    args = parser.parse_args(argv)
    from bench import db

    with db.var_dir() as var_path, db.bench_database("fees", args.db, args.keep_db) as database:
        db.setup_django(database.url, var_path)
        print(f"fees: database {database.name} (PostgreSQL)", flush=True)
        run(args.bills, args.cases, args.repeat, args.reuse_data and bool(args.db), args.payments)


if __name__ == "__main__":
    main()
