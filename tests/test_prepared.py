"""Kept statements (shenpi.prepared) return the rows the ORM returns, converted with the running thread's connection."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import BigIntegerField, CharField, DateTimeField
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases.models import Case, CaseStep, Notice
from shenpi.errors import Conflict
from shenpi.prepared import NOTHING, Param, Prepared, batched, from_queryset, insert_row, together, update_row
from tests import factories as f

COLUMNS = ("pk", "number", "received_at", "query_code", "correction_due", "due_provisional", "applicant_name")
_DEPARTMENT, _SINCE = Param("department", BigIntegerField()), Param("since", DateTimeField())


def at(day: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 9, day, hour, 30))


def cases_of(department, since):
    return Case.objects.filter(department_id=department, received_at__gte=since).order_by("pk").values_list(*COLUMNS)


@pytest.fixture
def departments(db):
    """Two departments with two cases each, received on the 1st and the 3rd."""
    made = []
    for name in ("住房和城乡建设局", "公安局"):
        department = f.department(name)
        clerk, item = f.user(department, Role.CLERK), f.item(department)
        for day in (1, 3):
            clock.set_now(at(day, 9))
            f.receive(clerk, item, name=f"{name}申请人{day}")
        made.append(department)
    clock.set_now(None)
    return made


def test_rows_equal_the_orm_s_for_each_set_of_values(departments):
    kept = Prepared(cases_of(_DEPARTMENT, _SINCE))
    for department in departments:
        for since in (at(1, 0), at(2, 0), at(4, 0)):
            assert kept.rows(department=department.pk, since=since) == list(cases_of(department.pk, since))
    rows = kept.rows(department=departments[0].pk, since=at(1, 0))
    assert len(rows) == 2 and rows[0][2] == at(1, 9) and timezone.is_aware(rows[0][2])
    with connection.cursor() as cursor:  # the column holds SM4 ciphertext; the row has the plain code
        cursor.execute("SELECT query_code FROM cases_case WHERE id = %s", [rows[0][0]])
        (stored,) = cursor.fetchone()
    assert rows[0][3] == Case.objects.get(pk=rows[0][0]).query_code and rows[0][3] and stored != rows[0][3]


def test_the_statement_is_the_orm_s_sql_compiled_once(departments):
    kept, department = Prepared(cases_of(_DEPARTMENT, _SINCE)), departments[0].pk
    with CaptureQueriesContext(connection) as queries:
        kept.rows(department=department, since=at(2, 0))
        kept.rows(department=department, since=at(1, 0))
    plain, _ = cases_of(department, at(2, 0)).query.get_compiler(connection=connection).as_sql()
    assert len(queries.captured_queries) == 2 and kept.statement() is kept.statement()
    assert kept.statement().sql == plain  # placeholders where the ORM puts its parameters, nothing else


def test_first_gives_one_row_or_none(departments):
    kept = Prepared(cases_of(_DEPARTMENT, _SINCE))
    assert kept.first(department=departments[1].pk, since=at(2, 0))[-1] == "公安局申请人3"
    assert kept.first(department=departments[1].pk, since=at(4, 0)) is None


def test_a_queryset_that_matches_nothing_runs_no_statement(db):
    assert from_queryset(Case.objects.none().values_list("pk")) is NOTHING
    with CaptureQueriesContext(connection) as queries:
        assert Prepared(Case.objects.none().values_list("pk")).rows() == []
    assert queries.captured_queries == []


# Threads see only committed data; serialized_rollback restores the seeded roles afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_thread_converts_rows_with_its_own_connection(departments):
    kept, department = Prepared(cases_of(_DEPARTMENT, _SINCE)), departments[0].pk
    kept.statement()  # compiled here, run in the threads
    expected, together, seen = list(cases_of(department, at(1, 0))), threading.Barrier(2), {}

    def run(name):
        own = connections["default"]
        original = own.ops.get_db_converters

        def recording(expression):  # this connection's converters, and one noting who applied them
            return [*original(expression), lambda value, _, applying: seen[name].append(applying) or value]

        own.ops.get_db_converters, seen[name] = recording, []
        try:
            together.wait(timeout=10)
            seen[name].append(kept.rows(department=department, since=at(1, 0)) == expected)
            seen[name].append(own)
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for name in ("one", "two"):
        *applying, same_rows, own = seen[name]
        assert same_rows and applying and all(each is own for each in applying)
    assert seen["one"][-1] is not seen["two"][-1] and connection not in (seen["one"][-1], seen["two"][-1])


def test_together_gives_each_statement_its_own_rows(departments):
    kept = Prepared(cases_of(_DEPARTMENT, _SINCE))
    nothing = Prepared(Case.objects.none().values_list("pk"))
    first, second = departments
    with transaction.atomic(), batched():
        rows = together((kept.statement(), {"department": first.pk, "since": at(1, 0)}),
                        (nothing.statement(), {}),
                        (kept.statement(), {"department": second.pk, "since": at(2, 0)}))
    assert rows == [list(cases_of(first.pk, at(1, 0))), [], list(cases_of(second.pk, at(2, 0)))]
    assert [len(r) for r in rows] == [2, 0, 1]


# -- writes ----------------------------------------------------------------------------------------

def _copy_of(case: Case, number: str) -> Case:
    copy = Case.objects.get(pk=case.pk)
    copy.pk, copy.number = None, number
    return copy


def test_insert_row_stores_what_save_stores(departments):
    """Every column, the SM4-encrypted ones and JSON included, reads back the same either way."""
    original = Case.objects.filter(department=departments[0]).first()
    saved, inserted = _copy_of(original, "SAVED"), _copy_of(original, "INSERTED")
    saved.save(force_insert=True)
    assert insert_row(inserted) is inserted and inserted.pk not in (None, saved.pk)
    assert not inserted._state.adding
    rows = {row.pop("number"): row for row in Case.objects.filter(pk__in=[saved.pk, inserted.pk]).values()}
    for row in rows.values():
        row.pop("id")
    assert rows["SAVED"] == rows["INSERTED"] and rows["INSERTED"]["query_code"] == original.query_code
    with connection.cursor() as cursor:
        cursor.execute("SELECT query_code FROM cases_case WHERE id = %s", [inserted.pk])
        assert cursor.fetchone()[0].startswith("sm4gcm:v1:")
    notice = insert_row(Notice(case=original, kind=Notice.Kind.ACCEPTANCE, number="N-JSON", issued_at=at(2, 9),
                               body={"名单": ["甲", 2.0], "ok": True}))
    assert Notice.objects.get(pk=notice.pk).body == {"名单": ["甲", 2], "ok": True}


def test_update_row_writes_the_named_fields_only(departments):
    case = Case.objects.filter(department=departments[0]).first()
    case.applicant_name, case.title = "改后的名称", "未保存的标题"
    update_row(case, ["applicant_name"])
    stored = Case.objects.get(pk=case.pk)
    assert (stored.applicant_name, stored.title) == ("改后的名称", "")
    update_row(case, [])  # nothing named: nothing written
    assert Case.objects.get(pk=case.pk).title == ""


def test_an_inserted_column_can_be_chosen_by_the_database(departments):
    """The value comes from a one-value query run as the row goes in; the object does not learn it."""
    handler = f.user(departments[0], Role.HANDLER, username="chosen-one")
    by_name = Prepared(User.objects.filter(username=Param("name", CharField())).values_list("pk")[:1])
    case = Case.objects.filter(department=departments[0]).first()
    flow_step = case.version.steps.first()
    for name, expected in (("chosen-one", handler.pk), ("nobody", None)):
        step = insert_row(CaseStep(case=case, flow_step=flow_step, seq=1, name="审查", role_id=Role.HANDLER,
                                   department=departments[0], started_at=at(3, 10)),
                          chosen={"assignee_id": (by_name, {"name": name})})
        assert step.assignee_id is None and CaseStep.objects.get(pk=step.pk).assignee_id == expected


def test_a_batched_write_that_fails_raises_the_orm_s_error_and_leaves_nothing(departments):
    """On PostgreSQL the failing INSERT is only answered when the batch goes out: the error is still
    Django's IntegrityError, the block's writes are undone and the connection goes on working."""
    case = Case.objects.filter(department=departments[0]).first()

    def notice(number):
        return Notice(case=case, kind=Notice.Kind.ACCEPTANCE, number=number, issued_at=at(3, 10), body={})

    with pytest.raises(IntegrityError), transaction.atomic(), batched():
        insert_row(notice("N-1"), need_pk=False)
        update_row(Case(pk=case.pk, applicant_name="不应保存"), ["applicant_name"])
        insert_row(notice("N-1"), need_pk=False)
    assert not Notice.objects.filter(number="N-1").exists()
    assert Case.objects.get(pk=case.pk).applicant_name == case.applicant_name
    with transaction.atomic(), batched():
        insert_row(notice("N-2"), need_pk=False)
    assert Notice.objects.filter(number="N-2").count() == 1


def test_a_number_already_taken_is_drawn_again_and_every_draw_taken_inserts_nothing(departments, monkeypatch):
    """Case numbers are random: a clash draws another, in the same transaction, batched or not."""
    from shenpi.cases import services

    taken = Case.objects.filter(department=departments[0]).first()
    draws = iter([taken.number, taken.number, "20260903FRESH001"])
    monkeypatch.setattr(services, "new_case_number", lambda now: next(draws))
    clerk, item = f.user(departments[0], Role.CLERK), f.item(departments[0])
    with transaction.atomic(), batched():
        case = f.receive(clerk, item, name="第三次编号")
    assert Case.objects.get(pk=case.pk).number == "20260903FRESH001" == case.number
    monkeypatch.setattr(services, "new_case_number", lambda now: taken.number)
    before = Case.objects.count()
    with pytest.raises(Conflict, match="办件编号生成冲突"):
        f.receive(clerk, item, name="编号全被占用")
    assert Case.objects.count() == before and not Case.objects.filter(applicant_name="编号全被占用").exists()
