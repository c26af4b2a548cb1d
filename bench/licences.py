"""Certificates: SM2 signatures (tongsuopy against the pure-Python gmssl), PDF signing, and the public
verification page at 10,000,000 licences.

    python -m bench.licences sm2 [--seconds 3]          # in-process, no database
    python -m bench.licences pdf [--count 30]           # render + PAdES-sign certificates (embedded SQLite)
    python -m bench.licences page [--rows 10000000] [--db postgres://…/bench_licences] [--reuse-data]
    python -m bench.licences all                        # the three, one after the other

`page` fills PostgreSQL with --rows licences through INSERT … SELECT generate_series (one case, one
template, one signing key for all: what the page reads is the licence row), then signs SAMPLE of them
for real — rows spread over the whole table, each with its own canonical data and SM2 signature over
it — since signing ten million rows would take hours and the lookup costs the same whichever row it
finds. The other rows are filler that the client never asks for. gunicorn serves the site; an asyncio
client asks GET /licence/<serial>/ of the signed rows, checking every answer says SM2签名验证通过:
100 connections in a closed loop (saturation) and 100 users who pause between requests.
Nothing here fails on time: it prints figures (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

from .stats import table

SAMPLE = 20_000
BENCH_FIELD_KEY = "00112233445566778899aabbccddeeff"
DATA = ("{\"case\":\"2026000000000000\",\"department\":\"示范市市场监督管理局\",\"fields\":[{\"label\":\"许可事项\","
        "\"value\":\"食品经营许可\"},{\"label\":\"经营场所\",\"value\":\"示范市城东区青山路88号\"}],"
        "\"holder_name\":\"示范餐饮管理有限公司\",\"title\":\"食品经营许可证\"}").encode()


def _rate(call, seconds: float) -> tuple[float, float]:
    """(per wall-clock second, per CPU second of this process): the second holds on a busy machine."""
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        call()
        count += 1
        spent = time.perf_counter() - started
        if spent >= seconds:
            return count / spent, count / max(1e-9, time.process_time() - cpu)


def run_sm2(seconds: float) -> dict:
    from gmssl import func, sm2
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    key = ec.generate_private_key(ec.SM2())
    public = key.public_key()
    signature = key.sign(DATA, ec.ECDSA(hashes.SM3()))
    figures = {"tongsuopy_sign": _rate(lambda: key.sign(DATA, ec.ECDSA(hashes.SM3())), seconds),
               "tongsuopy_verify": _rate(lambda: public.verify(signature, DATA, ec.ECDSA(hashes.SM3())), seconds)}
    # gmssl: the same curve and digest (SM3 with the signer's ID, Z_A), in pure Python.
    private_hex = f"{key.private_numbers().private_value:064x}"
    numbers = public.public_numbers()
    public_hex = f"{numbers.x:064x}{numbers.y:064x}"
    crypt = sm2.CryptSM2(private_key=private_hex, public_key=public_hex)
    random_hex = func.random_hex(crypt.para_len)
    gm_signature = crypt.sign_with_sm3(DATA, random_hex)
    assert crypt.verify_with_sm3(gm_signature, DATA)
    figures["gmssl_sign"] = _rate(lambda: crypt.sign_with_sm3(DATA, func.random_hex(crypt.para_len)), seconds)
    figures["gmssl_verify"] = _rate(lambda: crypt.verify_with_sm3(gm_signature, DATA), seconds)
    print(table(["library", "sign/s", "verify/s", "sign per CPU s", "verify per CPU s"],
                [["tongsuopy (Tongsuo, C)", *figures["tongsuopy_sign"][:1], figures["tongsuopy_verify"][0],
                  figures["tongsuopy_sign"][1], figures["tongsuopy_verify"][1]],
                 ["gmssl (pure Python)", figures["gmssl_sign"][0], figures["gmssl_verify"][0],
                  figures["gmssl_sign"][1], figures["gmssl_verify"][1]]]), flush=True)
    print(f"tongsuopy / gmssl: signing {figures['tongsuopy_sign'][1] / figures['gmssl_sign'][1]:.0f}×, verifying "
          f"{figures['tongsuopy_verify'][1] / figures['gmssl_verify'][1]:.0f}× (per CPU second); "
          f"{len(DATA)}-byte message; load average "
          f"(1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    return figures


def _office():
    """A department with keys, an item with a template, one granted case (the page's rows point at it)."""
    from django.conf import settings

    from shenpi.accounts.models import Role, User
    from shenpi.cases import services
    from shenpi.cases.models import ApplicantKind
    from shenpi.catalog.models import Department, FlowStep, Item, ItemVersion, MaterialSpec
    from shenpi.licences import keys
    from shenpi.licences.models import CertificateTemplate

    settings.LICENCE_KEY_DIR = Path(os.environ["SHENPI_VAR_DIR"]) / "keys"
    department = Department.objects.create(code="BENCH-SCJG", name="示范市市场监督管理局")
    people = {}
    for role in (Role.CLERK, Role.HANDLER, Role.APPROVER):
        people[role] = User.objects.create_user(username=f"bench-{role}", department=department, full_name=role)
        people[role].roles.set([role])
    item = Item.objects.create(code="BENCH-SPJY", department=department)
    version = ItemVersion.objects.create(item=item, number=1, status=ItemVersion.Status.PUBLISHED, name="食品经营许可",
                                         legal_basis="《食品安全法》第三十五条", promised_limit=10, statutory_limit=20,
                                         result_name="食品经营许可证")
    FlowStep.objects.create(version=version, seq=1, name="审查", role_id=Role.HANDLER)
    FlowStep.objects.create(version=version, seq=2, name="审批", role_id=Role.APPROVER)
    MaterialSpec.objects.create(version=version, seq=1, name="食品经营许可申请书", required=True)
    CertificateTemplate.objects.create(item=item, title="食品经营许可证", type_code="SCJG-SPJY", validity_years=5,
                                       fields=[{"label": "许可事项", "source": "item.name"},
                                               {"label": "经营场所", "source": "case.title"},
                                               {"label": "办件编号", "source": "case.number"}])
    keys.generate(department)
    applicant = services.ApplicantInput(kind=ApplicantKind.ORGANISATION, name="示范餐饮管理有限公司",
                                        id_number="91350100M000100Y43", phone="13812341234")
    materials = {m.pk: {"received": True} for m in version.materials.all()}
    case = services.receive(actor=people[Role.CLERK], item=item, applicant=applicant, materials=materials,
                            title="示范市城东区青山路88号")
    case = services.perform(case, "accept", actor=people[Role.CLERK])
    case = services.perform(case, "pass", actor=people[Role.HANDLER])
    case = services.perform(case, "pass", actor=people[Role.APPROVER])
    return services.perform(case, "grant", actor=people[Role.APPROVER]), people[Role.APPROVER]


def run_pdf(count: int) -> dict:
    from shenpi.licences import issue
    from shenpi.licences.models import Licence

    case, approver = _office()
    licence = issue.issue(case, approver, with_pdf=False)  # warms fonts, keys and seal
    issue.ensure_pdf(licence)
    from shenpi.licences import keys

    signer = keys.signer_for(licence.signing_key)
    sheet = issue.licence_sheet(licence)
    payload = {"signed_data": licence.signed_data, "sm2_signature": licence.sm2_signature}

    def timed(call) -> tuple[float, float]:
        """(wall, CPU) seconds per call."""
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            call()
        return (time.perf_counter() - started) / count, (time.process_time() - cpu) / count

    pdf = issue.render_pdf(sheet)
    render = timed(lambda: issue.render_pdf(sheet))
    sign = timed(lambda: issue._attach_and_sign(pdf, payload, signer.pades_signer(), location="bench"))
    signed = issue._attach_and_sign(pdf, payload, signer.pades_signer(), location="bench")

    def whole_issue():
        Licence.objects.filter(pk=licence.pk).update(pdf="")
        licence.pdf = ""
        issue.ensure_pdf(licence)

    whole = timed(whole_issue)
    figures = {"render_per_second": 1 / render[0], "render_per_cpu_second": 1 / render[1],
               "pades_sign_per_second": 1 / sign[0], "pades_sign_per_cpu_second": 1 / sign[1],
               "certificate_per_second": 1 / whole[0], "certificate_per_cpu_second": 1 / whole[1],
               "pdf_bytes": len(signed)}
    print(table(["step", "per second", "per CPU second", "ms each"],
                [["draw the A4 certificate (reportlab, CJK font, seal, QR)", 1 / render[0], 1 / render[1],
                  render[0] * 1000],
                 ["embed licence.json + PAdES signature (pyHanko, P-256)", 1 / sign[0], 1 / sign[1], sign[0] * 1000],
                 ["whole PDF as issued (draw, sign, SM3, encrypt, store)", 1 / whole[0], 1 / whole[1],
                  whole[0] * 1000]]), flush=True)
    print(f"a signed certificate is {len(signed):,} bytes; {count} of each; load average (1 min) "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    return figures


# -- the verification page -----------------------------------------------------------------------

def _fill(rows: int) -> None:
    """rows licences by INSERT … SELECT generate_series, filler data; SAMPLE of them signed for real next."""
    from django.db import connection

    from shenpi import crypto
    from shenpi.licences.models import Licence

    base = Licence.objects.get()
    holder = crypto.encrypt("91350100M000100Y43")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE licences_licence SET (autovacuum_enabled = false)")
        chunk = 1_000_000
        for start in range(1, rows, chunk):
            end = min(rows - 1, start + chunk - 1)
            cursor.execute(
                """INSERT INTO licences_licence (identifier, serial, case_id, template_id, department_id, type_code,
                       title, holder_kind, holder_name, holder_id, holder_id_index, holder_id_masked, data,
                       issued_at, issued_by_id, valid_from, valid_until, status, status_changed_at, status_reason,
                       replaces_id, pdf, pdf_digest, signing_key_id, signed_data, sm2_signature,
                       status_changed_by_id)
                   SELECT 'SCJG-SPJY.BENCH-SCJG.B-' || lpad(n::text, 9, '0'), 'B-' || lpad(n::text, 9, '0'),
                       %(case)s, %(template)s, %(department)s, 'SCJG-SPJY', '食品经营许可证', 'organisation',
                       '示范餐饮管理有限公司' || (n %% 100000), %(holder)s, md5(n::text) || md5(n::text),
                       '913501********0Y43', '{}'::jsonb, now() - (n %% 1800) * interval '1 day', NULL,
                       current_date - (n %% 1800), current_date - (n %% 1800) + 1825,
                       CASE WHEN n %% 50 = 0 THEN 'revoked' ELSE 'valid' END, NULL, '', NULL, '', '',
                       %(key)s, '{}', '', NULL
                   FROM generate_series(%(start)s, %(end)s) AS n""",
                {"case": base.case_id, "template": base.template_id, "department": base.department_id,
                 "holder": holder, "key": base.signing_key_id, "start": start, "end": end})
            print(f"page: {end:,} rows", flush=True)
        cursor.execute("ALTER TABLE licences_licence SET (autovacuum_enabled = true)")


def _sign_sample(sample: int, seed: int = 5) -> list[str]:
    """Real canonical data and SM2 signatures for `sample` filler rows spread over the table."""
    from django.db import connection

    from shenpi.licences import issue, keys
    from shenpi.licences.models import Licence

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id), min(id) FROM licences_licence")
        top, bottom = cursor.fetchone()
    rng = random.Random(seed)
    ids = sorted(rng.sample(range(bottom, top + 1), min(sample, top - bottom + 1)))
    signer = None
    updates = []
    for start in range(0, len(ids), 5000):
        licences = Licence.objects.filter(pk__in=ids[start:start + 5000]).select_related(
            "case", "department", "signing_key").defer("holder_id")
        for licence in licences:
            signer = signer or keys.signer_for(licence.signing_key)
            data = issue.canonical_json(issue.licence_data(licence))
            signature = base64.b64encode(signer.sm2_sign(data.encode())).decode()
            updates.append((licence.pk, data, signature, licence.serial))
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE licences_licence SET signed_data = %s, sm2_signature = %s WHERE id = %s",
                           [(data, signature, pk) for pk, data, signature, _ in updates])
        cursor.execute("ANALYZE licences_licence")
    return [serial for *_, serial in updates]


def run_page(var_path: str, rows: int, reuse: bool, seconds: float, warmup: float, clients: int, think: float,
             gunicorn: str) -> dict:
    from django.db import connection

    from shenpi.licences.models import Licence

    from . import cpu, listapi, loadclient

    if reuse and Licence.objects.filter(serial__startswith="B-").exists():
        print("page: reusing the licences of the database", flush=True)
        serials = list(Licence.objects.exclude(sm2_signature="").filter(serial__startswith="B-")
                       .values_list("serial", flat=True)[:SAMPLE])
    else:
        started = time.perf_counter()
        _office_licence()
        _fill(rows)
        serials = _sign_sample(SAMPLE)
        print(f"page: {rows:,} licences generated and {len(serials):,} signed in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'licences_licence'")
        total = cursor.fetchone()[0]
    random.Random(3).shuffle(serials)
    calls = [loadclient.Call(loadclient.http_request("GET", f"/licence/{serial}/"),
                             must=("SM2签名验证通过".encode(), serial.encode())) for serial in serials]
    os.environ["SHENPI_SUPERVISE_IN_PROCESS"] = "0"
    workers, threads = listapi.parse_configs(gunicorn)[0]
    scenarios = (("closed loop", dict(clients=clients)), ("users thinking", dict(clients=clients, think_s=think)))
    database = connection.settings_dict["NAME"]
    results = []
    with listapi.Gunicorn(workers, threads, var_path) as server:
        status, body = server.wait_ready(loadclient.Request(f"/licence/{serials[0]}/", {}))
        if status != 200 or "SM2签名验证通过".encode() not in body:
            raise SystemExit(f"page: /licence/{serials[0]}/ answered {status} without a verified signature")
        for name, options in scenarios:
            before = cpu.sample(server.process.pid, database)
            outcome = loadclient.run_async(server.port, calls, seconds=seconds, warmup=warmup, **options)
            spent = cpu.per_request_ms(before, cpu.sample(server.process.pid, database), outcome.requests)
            figures = dict(outcome.figures(), scenario=name, **spent)
            figures.pop("statuses", None)
            results.append(figures)
            print(f"GET /licence/<serial>/ {name}: {figures['requests']:,} requests, {figures['per_second']:.0f}/s, "
                  f"median {figures['median_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, errors "
                  f"{figures['errors']} ({figures['wrong_answers']} wrong answers)", flush=True)
    print(table(["scenario", "clients", "requests", "req/s", "median ms", "p95 ms", "p99 ms", "max ms", "errors",
                 "server CPU ms/req", "db CPU ms/req"],
                [[r["scenario"], r["clients"], r["requests"], r["per_second"], r["median_ms"], r["p95_ms"],
                  r["p99_ms"], r["max_ms"], r["errors"], r.get("server_cpu_ms", float("nan")),
                  r.get("database_cpu_ms", float("nan"))] for r in results]))
    print(f"gunicorn -w {workers} --threads {threads}; about {total:,} licences; {os.cpu_count()} CPUs; "
          f"{seconds:g} s measured per scenario after {warmup:g} s; think time {think:g} s (exponential)")
    return {"rows": total, "gunicorn": gunicorn, "scenarios": results}


def _office_licence() -> None:
    from shenpi.licences import issue

    case, approver = _office()
    issue.issue(case, approver, with_pdf=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.licences", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sm2 = sub.add_parser("sm2", help="SM2 sign/verify per second: tongsuopy and gmssl")
    pdf = sub.add_parser("pdf", help="certificate PDFs drawn and PAdES-signed per second")
    page = sub.add_parser("page", help="GET /licence/<serial>/ over HTTP at 10,000,000 licences (PostgreSQL)")
    every = sub.add_parser("all", help="sm2, pdf and page")
    for each in (sm2, every):
        each.add_argument("--seconds-sm2", dest="sm2_seconds", type=float, default=3, help="seconds per figure")
    for each in (pdf, every):
        each.add_argument("--count", type=int, default=30, help="PDFs per figure (default 30)")
    for each in (page, every):
        each.add_argument("--rows", type=int, default=10_000_000, help="licences (default 10,000,000)")
        each.add_argument("--db", metavar="URL", help="an existing bench_* database (kept)")
        each.add_argument("--keep-db", action="store_true", help="keep the database this run creates")
        each.add_argument("--reuse-data", action="store_true", help="with --db: use the licences already there")
        each.add_argument("--seconds", type=float, default=20, help="measured seconds per scenario (default 20)")
        each.add_argument("--warmup", type=float, default=3, help="seconds before measuring (default 3)")
        each.add_argument("--clients", type=int, default=100, help="concurrent clients (default 100)")
        each.add_argument("--think", type=float, default=1.0, help="mean think time of a user, s (default 1)")
        each.add_argument("--gunicorn", default="2x4", help="workers x threads (default 2x4, as `make run`)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("SHENPI_LOG_LEVEL", "ERROR")
    os.environ.setdefault("SHENPI_FIELD_KEY", BENCH_FIELD_KEY)
    figures: dict = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    if args.command in ("sm2", "all"):
        figures["sm2"] = run_sm2(args.sm2_seconds)
    from . import db

    with db.var_dir() as var_path:
        if args.command == "pdf":
            os.environ.pop("DATABASE_URL", None)
            db.setup_django("", var_path)
            figures["pdf"] = run_pdf(args.count)
        elif args.command in ("page", "all"):
            existing = args.db
            with db.bench_database("licences", existing, args.keep_db) as database:
                db.setup_django(database.url, var_path)
                print(f"{args.command}: database {database.name} (PostgreSQL)", flush=True)
                if args.command == "all":
                    figures["pdf"] = run_pdf(args.count)
                    from shenpi.licences.models import Licence

                    reuse = args.reuse_data and Licence.objects.filter(serial__startswith="B-").exists()
                else:
                    reuse = args.reuse_data
                if args.command == "all" and not reuse:
                    figures["page"] = _run_page_after_pdf(var_path, args)
                else:
                    figures["page"] = run_page(var_path, args.rows, reuse, args.seconds, args.warmup, args.clients,
                                               args.think, args.gunicorn)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str))


def _run_page_after_pdf(var_path: str, args) -> dict:
    """`all`: the pdf run made the office and one licence already; the page fills around them."""
    started = time.perf_counter()
    _fill(args.rows)
    serials = _sign_sample(SAMPLE)
    print(f"page: {args.rows:,} licences generated and {len(serials):,} signed in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return run_page(var_path, args.rows, True, args.seconds, args.warmup, args.clients, args.think, args.gunicorn)


if __name__ == "__main__":
    main(sys.argv[1:])
