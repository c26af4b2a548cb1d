"""The audit trail: every case event chained by SM3, and `shenpi audit verify` finding tampering.

Tampering is done as an insider with database access would: raw SQL on the tables, never the models.
"""
# ruff: noqa: S608 - the SQL names only this module's constant tables and columns; values are parameters.

import datetime as dt
import json
import types
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services, trail
from shenpi.cases.models import Case, CaseEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

EVENT_TABLE = CaseEvent._meta.db_table


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture
def org():
    dept = f.department()
    return dept, f.staff(dept), f.item(dept)


def lived_case(org, *, start: dt.datetime | None = None) -> Case:
    """Received, accepted, three steps passed, granted and delivered: seven events."""
    dept, people, it = org
    start = start or at(2026, 3, 2, 9, 15)
    clock.set_now(start)
    case = f.receive(people["clerk"], it)
    steps = [("accept", "clerk", {}), ("pass", "handler", {"opinion": "材料齐全，同意"}),
             ("pass", "reviewer", {"opinion": "同意"}), ("pass", "approver", {"opinion": "同意"}),
             ("grant", "approver", {}), ("complete", "clerk", {"delivery": "窗口领取"})]
    for hours, (action, role, params) in enumerate(steps, start=1):
        clock.set_now(start + dt.timedelta(hours=hours, microseconds=123457 * hours))
        case = services.perform(case, action, actor=people[role], params=params, ip="10.20.0.9")
    clock.set_now(None)
    return case


def event_ids(case: Case) -> list[int]:
    return list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("pk", flat=True))


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def verify(*args) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `shenpi audit verify …`."""
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error) + "\n")
        return error.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def assert_break(case: Case, event_id: int | None, *words: str) -> str:
    status, out, err = verify()
    assert status == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"办件 {case.number}" in lines[0]
    if event_id is not None:
        assert f"记录 #{event_id}：" in lines[0]
    for word in words:
        assert word in lines[0]
    return lines[0]


def forge(copy_of: int, *, action: str, comment: str, prev_hash: str, valid: bool = True) -> int:
    """Insert a row copied from another event with a new action and comment, hashed as the code would."""
    source = CaseEvent.objects.get(pk=copy_of)
    digest = trail.event_digest(
        case_id=source.case_id, action=action, actor_id=source.actor_id, actor_name=source.actor_name,
        at=source.at, ip=source.ip, from_state=source.from_state, to_state=source.to_state,
        step_id=source.step_id, comment=comment, data=source.data, prev_hash=prev_hash)
    columns = ["case_id", "actor_id", "actor_name", "at", "ip", "from_state", "to_state", "step_id", "data"]
    sql(f"INSERT INTO {EVENT_TABLE} ({', '.join(columns)}, action, comment, prev_hash, hash) "
        f"SELECT {', '.join(columns)}, %s, %s, %s, %s FROM {EVENT_TABLE} WHERE id = %s",
        action, comment, prev_hash, digest if valid else "0" * 64, copy_of)
    return CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first()


# -- the chain as actions build it ------------------------------------------------------------------

def test_each_event_carries_its_digest_and_the_previous_one_and_the_case_keeps_the_head(org):
    case = lived_case(org)
    events = list(CaseEvent.objects.filter(case=case).order_by("pk"))
    assert [e.action for e in events] == ["receive", "accept", "pass", "pass", "pass", "grant", "complete"]
    assert events[0].prev_hash == ""
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == 7 and all(len(e.hash) == 64 for e in events)
    case.refresh_from_db()
    assert (case.trail_head, case.trail_length) == (events[-1].hash, 7)


def test_digests_read_back_the_same_from_the_database_whatever_the_values(org):
    """Microseconds, another time zone, IPv6 forms, Chinese text and nested data survive a round trip."""
    dept, people, it = org
    beijing = dt.datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    clock.set_now(beijing)
    case = f.receive(people["clerk"], it)
    plays = [("request_correction", "clerk", "2001:DB8:0:0:1:0:0:1", {
                  "comment": "请补齐材料：“施工图”\n第二行 😀",
                  "missing": [{"name": "施工图设计文件审查合格书", "problem": "缺少盖章页"}]}),
             ("supplement", "clerk", "::ffff:10.0.0.1", {"materials": []}),
             ("accept", "clerk", "::1", {}),
             ("pass", "handler", "10.0.0.1", {"opinion": "同意\t（附：意见）"})]
    for action, role, ip, params in plays:
        if action == "supplement":
            params["materials"] = list(case.materials.values_list("pk", flat=True))
        case = services.perform(case, action, actor=people[role], ip=ip, params=params)
    for event in CaseEvent.objects.filter(case=case):
        content = tuple(getattr(event, column) for column in trail.CONTENT_COLUMNS)
        assert trail.row_digest(content, event.prev_hash, event.seal, event.seal_map) == event.hash, (
            event.action, event.ip)
    assert CaseEvent.objects.filter(case=case).first().at == beijing
    assert verify()[0] == 0


def test_the_digest_format_is_fixed_and_documented():
    """The example of docs/audit.md: an auditor's own SM3 over the same bytes gives the same hash."""
    moment = dt.datetime(2026, 9, 24, 9, 30, 0, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    digest = trail.event_digest(case_id=42, action="accept", actor_id=7, actor_name="王芳", at=moment,
                                ip="10.20.0.9", from_state="received", to_state="in_progress", step_id=None,
                                comment="", data={"accept_date": "2026-09-24"}, prev_hash="")
    assert digest == "e02a0ab74beb917c3bd95fed7154e7053c6a0190cc1f76b671b6d29fbf680bb6"
    assert trail.utc_moment(moment) == "2026-09-24T01:30:00.123456Z"
    assert trail.canonical_ip("2001:db8::1") == "2001:0db8:0000:0000:0000:0000:0000:0001"
    assert trail.plain_data({"days": 5.0, "ratio": 0.5, 3: (1, 2)}) == {"days": 5, "ratio": 0.5, "3": [1, 2]}


def test_an_action_still_makes_one_case_update_and_one_event_insert(org):
    dept, people, it = org
    case = f.receive(people["clerk"], it)
    with CaptureQueriesContext(connection) as queries:
        case = services.perform(case, "accept", actor=people["clerk"])
    writes = [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    case_updates = [s for s in writes if s.startswith(f'UPDATE "{Case._meta.db_table}"')]
    event_inserts = [s for s in writes if s.startswith(f'INSERT INTO "{EVENT_TABLE}"')]
    assert len(case_updates) == 1 and "trail_head" in case_updates[0] and "trail_length" in case_updates[0]
    assert len(event_inserts) == 1


def test_recomputed_due_dates_are_chained_too(org, django_capture_on_commit_callbacks):
    from shenpi.workdays.services import import_notice

    dept, people, it = org
    clock.set_now(at(2027, 9, 27))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    assert case.due_provisional
    with django_capture_on_commit_callbacks(execute=True):
        import_notice("date,kind,name\n2027-09-28,holiday,示例假日\n2027-10-01,holiday,国庆节\n", "csv")
    case.refresh_from_db()
    last = case.events.order_by("pk").last()
    assert last.action == "recompute_dues"
    assert (case.trail_head, case.trail_length) == (last.hash, 3)
    assert verify()[0] == 0


def test_verify_reports_every_case_and_record_when_nothing_was_touched(org):
    lived_case(org)
    dept, people, it = org
    f.receive(people["clerk"], it)
    status, out, err = verify()
    assert (status, out.strip(), err) == (0, "审计链完整：2 个办件，8 条记录", "")


def test_the_migration_chains_existing_events_and_the_seal_command_seals_their_cases(org):
    """Events from before the chain (migration 0004) and before the seal (v1): chained, then sealed once."""
    case = lived_case(org)
    other = lived_case(org, start=at(2026, 3, 3))
    sql(f"UPDATE {EVENT_TABLE} SET prev_hash = '', hash = '', seal = '', seal_map = ''")
    sql(f"UPDATE {Case._meta.db_table} SET trail_head = '', trail_length = 0")
    assert verify()[0] == 1
    migration = __import__("shenpi.cases.migrations.0004_audit_trail", fromlist=["chain_existing_events"])
    migration.chain_existing_events(apps, types.SimpleNamespace(connection=connection))
    events = list(CaseEvent.objects.filter(case=case).order_by("pk"))
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    assert Case.objects.get(pk=case.pk).trail_head == events[-1].hash
    status, out, err = verify("--all-breaks")
    assert status == 1 and err.count("办件未封存") == 2 and "内容被修改" not in err

    out = StringIO()
    call_command("audit", "seal", stdout=out)
    assert out.getvalue().strip() == "已封存 2 个办件。"
    assert verify() == (0, "审计链完整：2 个办件，16 条记录\n", "")
    sealing = CaseEvent.objects.filter(case=other).order_by("pk").last()
    assert (sealing.action, sealing.actor_id, sealing.from_state, sealing.to_state) == ("seal", None, "completed",
                                                                                        "completed")
    out = StringIO()
    call_command("audit", "seal", stdout=out)  # sealed cases are never sealed again
    assert out.getvalue().strip() == "已封存 0 个办件。"
    sql(f"UPDATE {Case._meta.db_table} SET decision = 'deny' WHERE id = %s", case.pk)
    call_command("audit", "seal", stdout=StringIO())
    assert_break(case, sealing.pk - 1, "办件信息与封存不符", "decision")


# -- tampering ------------------------------------------------------------------------------------

def test_an_edited_comment_is_found(org):
    case = lived_case(org)
    ids = event_ids(case)
    sql(f"UPDATE {EVENT_TABLE} SET comment = %s WHERE id = %s", "不同意", ids[3])
    assert_break(case, ids[3], "内容被修改")


@pytest.mark.parametrize("column, value", [("at", "2026-03-01 08:00:00+00:00"), ("actor_name", "李四"),
                                           ("to_state", "voided"), ("ip", "10.0.0.66")])
def test_any_edited_column_is_found(org, column, value):
    case = lived_case(org)
    ids = event_ids(case)
    sql(f"UPDATE {EVENT_TABLE} SET {column} = %s WHERE id = %s", value, ids[2])
    assert_break(case, ids[2], "内容被修改")


def test_edited_data_is_found(org):
    case = lived_case(org)
    ids = event_ids(case)
    sql(f"UPDATE {EVENT_TABLE} SET data = %s WHERE id = %s", json.dumps({"accept_date": "2026-03-01"}), ids[1])
    assert_break(case, ids[1], "内容被修改")


def test_an_event_moved_to_another_case_is_found(org):
    case = lived_case(org)
    other = lived_case(org, start=at(2026, 3, 3))
    moved = event_ids(other)[4]
    sql(f"UPDATE {EVENT_TABLE} SET case_id = %s WHERE id = %s", case.pk, moved)
    assert_break(case, moved, "内容被修改")


def test_a_deleted_middle_event_is_found_at_the_next_one(org):
    case = lived_case(org)
    ids = event_ids(case)
    sql(f"DELETE FROM {EVENT_TABLE} WHERE id = %s", ids[3])
    assert_break(case, ids[4], "记录被删除")


def test_a_deleted_first_event_is_found(org):
    case = lived_case(org)
    ids = event_ids(case)
    sql(f"DELETE FROM {EVENT_TABLE} WHERE id = %s", ids[0])
    assert_break(case, ids[1], "记录被删除")


def test_a_deleted_last_event_leaves_the_head_pointing_at_nothing(org):
    case = lived_case(org)
    ids = event_ids(case)
    sql(f"DELETE FROM {EVENT_TABLE} WHERE id = %s", ids[-1])
    assert_break(case, ids[-2], "链头不符", "最新的记录被删除")


def test_all_events_deleted_is_found(org):
    case = lived_case(org)
    sql(f"DELETE FROM {EVENT_TABLE} WHERE case_id = %s", case.pk)
    assert "全部记录" in assert_break(case, None, "记录被删除")


def test_a_forged_event_on_a_plausible_link_is_found(org):
    """Correctly hashed, linked after a genuine middle event: the chain forks there."""
    case = lived_case(org)
    ids = event_ids(case)
    middle = CaseEvent.objects.get(pk=ids[2])
    forged = forge(ids[2], action="grant", comment="准予许可", prev_hash=middle.hash)
    assert_break(case, forged, "插入了记录")


def test_a_forged_event_after_the_last_one_does_not_match_the_head(org):
    case = lived_case(org)
    ids = event_ids(case)
    last = CaseEvent.objects.get(pk=ids[-1])
    forged = forge(ids[-1], action="void", comment="作废", prev_hash=last.hash)
    assert_break(case, forged, "链头不符", "插入了记录")


def test_a_forged_event_with_a_made_up_hash_is_found(org):
    case = lived_case(org)
    ids = event_ids(case)
    last = CaseEvent.objects.get(pk=ids[-1])
    forged = forge(ids[-1], action="void", comment="作废", prev_hash=last.hash, valid=False)
    assert_break(case, forged, "内容被修改")


def test_an_event_slipped_between_two_others_is_found(org):
    """A row inserted with an id between two events of the case (ids are shared by all cases)."""
    dept, people, it = org
    clock.set_now(at(2026, 3, 2))
    case, other = f.receive(people["clerk"], it), f.receive(people["clerk"], it)
    for role in ("clerk", "handler", "reviewer"):  # the two cases' events take turns
        for current in (case, other):
            services.perform(current, "accept" if role == "clerk" else "pass", actor=people[role])
    ids, gap = event_ids(case), event_ids(other)[2]
    assert ids[2] < gap < ids[3]
    sql(f"DELETE FROM {EVENT_TABLE} WHERE id >= %s AND case_id = %s", gap, other.pk)
    third = CaseEvent.objects.get(pk=ids[2])
    forged = forge(ids[2], action="pass", comment="同意", prev_hash=third.hash)
    sql(f"UPDATE {EVENT_TABLE} SET id = %s WHERE id = %s", gap, forged)
    status, out, err = verify("--case", case.number)
    assert status == 1 and f"记录 #{gap}：插入了记录" in err


def test_two_events_with_swapped_content_are_found(org):
    case = lived_case(org)
    ids = event_ids(case)
    first, second = CaseEvent.objects.get(pk=ids[2]), CaseEvent.objects.get(pk=ids[5])
    for target, source in ((first, second), (second, first)):
        sql(f"UPDATE {EVENT_TABLE} SET action = %s, comment = %s, at = %s, actor_id = %s, actor_name = %s "
            f"WHERE id = %s", source.action, source.comment, source.at, source.actor_id, source.actor_name,
            target.pk)
    assert_break(case, ids[2], "内容被修改")


def test_two_whole_rows_swapped_with_their_hashes_are_found(org):
    case = lived_case(org)
    ids = event_ids(case)
    columns = [c for c in trail.CONTENT_COLUMNS if c != "case_id"] + [*trail.SEAL_COLUMNS, "prev_hash", "hash"]
    rows = {pk: CaseEvent.objects.filter(pk=pk).values_list(*columns).get() for pk in (ids[3], ids[4])}
    for target, source in ((ids[3], ids[4]), (ids[4], ids[3])):
        values = list(rows[source])
        values[columns.index("data")] = json.dumps(values[columns.index("data")])
        sql(f"UPDATE {EVENT_TABLE} SET {', '.join(f'{c} = %s' for c in columns)} WHERE id = %s", *values, target)
    assert_break(case, ids[3], "记录顺序被调换")


def test_an_edited_and_rehashed_event_breaks_the_next_link(org):
    case = lived_case(org)
    ids = event_ids(case)
    event = CaseEvent.objects.get(pk=ids[3])
    digest = trail.event_digest(
        case_id=case.pk, action=event.action, actor_id=event.actor_id, actor_name=event.actor_name, at=event.at,
        ip=event.ip, from_state=event.from_state, to_state=event.to_state, step_id=event.step_id,
        comment="不同意", data=event.data, prev_hash=event.prev_hash, seal=event.seal, seal_map=event.seal_map)
    sql(f"UPDATE {EVENT_TABLE} SET comment = %s, hash = %s WHERE id = %s", "不同意", digest, ids[3])
    assert_break(case, ids[4], "记录被删除或替换")


def test_a_tampered_head_is_found(org):
    case = lived_case(org)
    sql(f"UPDATE {Case._meta.db_table} SET trail_length = 6 WHERE id = %s", case.pk)
    assert_break(case, event_ids(case)[-1], "链头不符", "链长")


# -- the command ------------------------------------------------------------------------------------

def test_one_case_can_be_checked_alone(org):
    case = lived_case(org)
    other = lived_case(org, start=at(2026, 3, 3))
    sql(f"UPDATE {EVENT_TABLE} SET comment = 'x' WHERE id = %s", event_ids(other)[1])
    assert verify("--case", case.number) == (0, "审计链完整：1 个办件，7 条记录\n", "")
    assert verify("--case", other.number.lower())[0] == 1


def test_an_unknown_case_number_is_an_input_error(org):
    status, out, err = verify("--case", "20260101ZZZZZZZZ")
    assert status == 2 and err.strip() == "办件 20260101ZZZZZZZZ 不存在。"


def test_the_first_break_stops_the_walk_unless_all_breaks_are_asked_for(org):
    cases = [lived_case(org, start=at(2026, 3, day)) for day in (2, 3, 4)]
    for case in cases[:2]:
        sql(f"DELETE FROM {EVENT_TABLE} WHERE id = %s", event_ids(case)[2])
    status, out, err = verify()
    assert status == 1 and len(err.strip().splitlines()) == 1 and cases[0].number in err
    status, out, err = verify("--all-breaks")
    lines = err.strip().splitlines()
    assert status == 1 and len(lines) == 3
    assert [c.number in line for c, line in zip(cases, lines, strict=False)] == [True, True, False]
    assert lines[-1] == "审计链有 2 个办件断裂（已校验 3 个办件，19 条记录）。"
