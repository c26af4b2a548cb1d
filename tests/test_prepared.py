"""Kept statements (shenpi.prepared) return the rows the ORM returns, converted with the running thread's connection."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.db.models import BigIntegerField, DateTimeField
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases.models import Case
from shenpi.prepared import NOTHING, Param, Prepared, from_queryset
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
