"""The case row sealed by its trail: an edit of the row behind the platform's back fails `audit verify`.

Each event seals the case's SEALED_FIELDS as the action left them; the tampering here is an insider's
(ORM update or raw SQL, no event), and every path of the platform that changes the row keeps the
seal whole.
"""
# ruff: noqa: S608 - the SQL names only the case table and sealed columns; values are parameters.

import datetime as dt

import pytest
from django.db import connection

from shenpi import clock
from shenpi.cases import services, trail
from shenpi.cases.models import Case, CaseEvent, State
from tests import factories as f

from .test_trail import assert_break, at, lived_case, verify

pytestmark = pytest.mark.django_db

CASE_TABLE = Case._meta.db_table


@pytest.fixture
def org():
    dept = f.department()
    return dept, f.staff(dept), f.item(dept)


def other_value(case: Case, name: str, org):
    """A different value of the column's type, as a tamperer would write it (a real row for a key)."""
    dept, people, it = org
    value = getattr(case, name)
    if name in ("item_id", "version_id"):
        other = f.item(dept, name="另一个事项")
        return other.pk if name == "item_id" else other.versions.get().pk
    if name == "department_id":
        return f.department(name="另一个部门").pk
    if name == "received_by_id":
        return people["handler"].pk
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=1)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    if value is None:  # a moment or date column never set on this case
        field = Case._meta.get_field(name)
        return clock.now() if field.get_internal_type() == "DateTimeField" else dt.date(2026, 3, 9)
    if name == "state":
        return State.VOIDED if value != State.VOIDED else State.COMPLETED
    return "改" + value[1:] if value else "改"


def test_every_sealed_field_edited_without_an_event_is_found_and_named(org):
    case = lived_case(org)
    other = lived_case(org, start=at(2026, 3, 3))  # untouched: its seal stays whole throughout
    assert verify()[0] == 0
    row = Case.objects.get(pk=case.pk)
    last = CaseEvent.objects.filter(case=case).order_by("pk").last()
    for name in trail.SEALED_FIELDS:
        original = getattr(row, name)
        Case.objects.filter(pk=case.pk).update(**{name: other_value(row, name, org)})
        status, out, err = verify("--all-breaks")
        lines = err.strip().splitlines()
        assert status == 1 and len(lines) == 2, (name, lines)  # the broken case, then the count
        assert f"记录 #{last.pk}：办件信息与封存不符（办件行在该记录之后被修改，字段：{name}）" in lines[0], name
        assert other.number not in lines[0]
        Case.objects.filter(pk=case.pk).update(**{name: original})
        assert verify()[0] == 0, name


def test_raw_sql_edits_of_the_row_are_found(org):
    case = lived_case(org)
    last = CaseEvent.objects.filter(case=case).order_by("pk").last()
    edits = [("applicant_name", "李四"), ("promised_due", "2026-12-31"), ("stopped_days", 30),
             ("state", "in_progress"), ("decision", "deny")]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {CASE_TABLE} SET applicant_name = %s, promised_due = %s, stopped_days = %s, "
                       f"state = %s, decision = %s WHERE id = %s", [v for _, v in edits] + [case.pk])
    line = assert_break(case, last.pk, "办件信息与封存不符")
    assert line.endswith("字段：state、applicant_name、stopped_days、promised_due、decision）")


def test_a_saved_model_is_found_and_columns_outside_the_seal_are_not(org):
    case = Case.objects.get(pk=lived_case(org).pk)
    Case.objects.filter(pk=case.pk).update(row_version=99, notices_issued=9, window=None)
    assert verify()[0] == 0  # counters and the window (SET NULL on delete) are outside the seal
    case.refresh_from_db()
    case.applicant_id_masked = "110***********0000"
    case.save()
    assert_break(case, None, "办件信息与封存不符", "applicant_id_masked")


def test_an_edit_with_the_last_seal_forged_breaks_the_event(org):
    case = lived_case(org)
    Case.objects.filter(pk=case.pk).update(applicant_name="李四")
    seal, seal_map = trail.seal_of(trail.case_values(Case.objects.get(pk=case.pk)))
    last = CaseEvent.objects.filter(case=case).order_by("pk").last()
    CaseEvent.objects.filter(pk=last.pk).update(seal=seal, seal_map=seal_map)
    assert_break(case, last.pk, "内容被修改")


def test_an_unknown_map_still_fails_without_naming_a_field(org):
    case = lived_case(org)
    last = CaseEvent.objects.filter(case=case).order_by("pk").last()
    Case.objects.filter(pk=case.pk).update(title="改过的项目")
    CaseEvent.objects.filter(pk=last.pk).update(seal_map="")  # the map is covered by the hash too
    assert_break(case, last.pk, "内容被修改")


def test_the_paths_that_change_the_row_keep_it_sealed(org):
    """Clock stops, extensions, supplements, withdrawal, voiding and the due dates' recomputation."""
    dept, people, it = org
    clock.set_now(at(2026, 9, 24))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    case = services.perform(case, "pass", actor=people["handler"], params={"opinion": "同意"})
    case = services.perform(case, "suspend", actor=people["reviewer"],
                            params={"kind": "expert_review", "reason": "需专家论证", "expected_days": 3})
    clock.set_now(at(2026, 10, 12))
    case = services.perform(case, "resume", actor=people["reviewer"])
    case = services.perform(case, "extend", actor=people["approver"], params={"days": 5, "reason": "需现场核查"})
    case = services.perform(case, "request_supplement", actor=people["reviewer"],
                            params={"reason": "图纸不清", "expected_days": 3, "materials": [{"name": "施工图"}]})
    case = services.perform(case, "void", actor=f.user(None, "admin", is_superuser=True),
                            params={"reason": "重复申报"})
    refused = services.perform(f.receive(people["clerk"], it), "refuse", actor=people["clerk"],
                               params={"reason": "不属于本机关职权范围"})
    assert (case.state, refused.state) == (State.VOIDED, State.REFUSED)
    assert verify() == (0, "审计链完整：2 个办件，10 条记录\n", "")
    clock.set_now(None)


def test_an_action_on_an_edited_row_records_the_edit_for_good(org, caplog):
    """The next action seals the row anew, so it writes what it found into its event: still a break."""
    dept, people, it = org
    clock.set_now(at(2026, 9, 24))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    Case.objects.filter(pk=case.pk).update(promised_due=dt.date(2027, 1, 29), applicant_name="李四")
    assert_break(case, None, "办件信息与封存不符", "字段：applicant_name、promised_due）")
    assert services.seal_unsealed() == 0  # a sealed case is never sealed again: the edit stays found
    with caplog.at_level("INFO", logger="shenpi.security"):
        case = services.perform(case, "pass", actor=people["handler"], params={"opinion": "同意"})
    passed = CaseEvent.objects.filter(case=case).order_by("pk").last()
    assert passed.data["row_edited"] == ["applicant_name", "promised_due"]
    assert_break(case, passed.pk, "办件信息与封存不符", "该操作前办件行已被绕过平台修改",
                 "字段：applicant_name、promised_due）")
    assert any("case.row_edited" in r.getMessage() and case.number in r.getMessage() for r in caplog.records)
    clock.set_now(None)


def test_the_row_keeps_the_seal_of_its_latest_event(org):
    case = lived_case(org)
    assert trail.row_edits(Case.objects.get(pk=case.pk)) is None
    assert Case.objects.get(pk=case.pk).trail_seal == CaseEvent.objects.filter(case=case).last().seal
