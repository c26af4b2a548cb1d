"""The workbench buckets: who finds which case in 待办, 已办, 即将到期, 已超期 and 暂停."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import queries, services
from shenpi.cases.models import CaseStep, State
from shenpi.catalog.models import FlowStep
from tests import factories as f

from .conftest import accepted, at, decided, missing_one, passed

MONDAY = dt.date(2026, 11, 2)  # promised 10 working days → due Monday 16 November 2026


def numbers(cases) -> set[str]:
    return set(cases.values_list("number", flat=True))


def in_bucket(name, user, case, day: dt.date, now=None) -> bool:
    return queries.bucket(name, user, day, now).filter(pk=case.pk).exists()


@pytest.fixture
def on_monday():
    clock.set_now(at(2026, 11, 2))


def test_a_step_is_todo_for_its_assignee_then_moves_on(org, on_monday):
    p = org.people
    case = accepted(org)
    assert in_bucket("todo", p["handler"], case, MONDAY)
    assert not in_bucket("todo", p["reviewer"], case, MONDAY)
    assert not in_bucket("done", p["handler"], case, MONDAY)

    passed(case, p, "handler")
    assert not in_bucket("todo", p["handler"], case, MONDAY)
    assert in_bucket("done", p["handler"], case, MONDAY)
    assert in_bucket("todo", p["reviewer"], case, MONDAY)
    # The clerk received and accepted it: theirs is done, not to do, while the departments work.
    assert in_bucket("done", p["clerk"], case, MONDAY)
    assert not in_bucket("todo", p["clerk"], case, MONDAY)


def test_an_unassigned_step_waits_for_everyone_with_the_role_in_the_department(org, on_monday):
    second = f.user(org.dept, Role.HANDLER, full_name="第二承办人")
    case = accepted(org)
    CaseStep.objects.filter(case=case).update(assignee=None)
    assert in_bucket("todo", org.people["handler"], case, MONDAY)
    assert in_bucket("todo", second, case, MONDAY)
    assert not in_bucket("todo", org.others["handler"], case, MONDAY)
    assert not in_bucket("todo", org.people["reviewer"], case, MONDAY)


def test_the_window_works_received_correcting_decided_and_supplement_stops(org, on_monday):
    p = org.people
    received = f.receive(p["clerk"], org.item)
    correcting = services.perform(f.receive(p["clerk"], org.item, materials=missing_one(org.item)),
                                  "request_correction", actor=p["clerk"],
                                  params={"missing": [{"name": "建筑工程施工许可申请表", "problem": "未提交"}]})
    working = accepted(org)
    done = decided(org)
    supplement = services.perform(accepted(org), "request_supplement", actor=p["handler"],
                                  params={"reason": "规划许可证复印件不清晰", "expected_days": 5})
    special = services.perform(accepted(org), "suspend", actor=p["handler"],
                               params={"kind": "expert_review", "reason": "需专家评审", "expected_days": 10})
    assert correcting.state == State.CORRECTING and supplement.state == special.state == State.SUSPENDED

    todo = numbers(queries.todo(p["clerk"], MONDAY))
    assert todo == {received.number, correcting.number, done.number, supplement.number}
    assert working.number not in todo and special.number not in todo
    # The other department's window does not see them; the comprehensive window (一窗受理) does.
    assert numbers(queries.todo(org.others["clerk"], MONDAY)) == set()
    assert todo <= numbers(queries.todo(org.window_clerk, MONDAY))
    # Both stops are in the suspended bucket of the department's staff.
    assert {supplement.number, special.number} <= numbers(queries.suspended(p["handler"], MONDAY))
    assert numbers(queries.suspended(org.others["handler"], MONDAY)) == set()


def test_the_approver_decides_cases_waiting_for_a_decision(org, on_monday):
    p = org.people
    case = passed(accepted(org), p, "handler", "reviewer")
    assert in_bucket("todo", p["approver"], case, MONDAY)  # the 审批 step
    case = passed(case, p, "approver")
    assert case.state == State.DECIDING
    assert in_bucket("todo", p["approver"], case, MONDAY)  # now the decision itself
    assert not in_bucket("todo", org.others["approver"], case, MONDAY)


def test_about_to_expire_then_overdue_by_the_working_day_calendar(org, on_monday):
    handler, reviewer = org.people["handler"], org.people["reviewer"]
    case = accepted(org)
    assert case.promised_due == dt.date(2026, 11, 16)
    # Ten working days: the warning comes at 2 left (20 %), which is on Thursday 12 November.
    assert not in_bucket("due_soon", handler, case, dt.date(2026, 11, 11))
    assert in_bucket("due_soon", handler, case, dt.date(2026, 11, 12))
    assert in_bucket("due_soon", handler, case, dt.date(2026, 11, 16))
    assert not in_bucket("overdue", handler, case, dt.date(2026, 11, 16))
    assert in_bucket("overdue", handler, case, dt.date(2026, 11, 17))
    assert not in_bucket("due_soon", handler, case, dt.date(2026, 11, 17))
    # Only those who answer for it, or watch the department, see it.
    assert not in_bucket("overdue", reviewer, case, dt.date(2026, 11, 17))
    assert in_bucket("overdue", org.people["supervisor"], case, dt.date(2026, 11, 17))
    assert in_bucket("overdue", org.people["liaison"], case, dt.date(2026, 11, 17))
    assert not in_bucket("overdue", org.others["liaison"], case, dt.date(2026, 11, 17))


def test_a_long_allotment_warns_at_twenty_percent(org, on_monday):
    long_item = f.item(org.dept, name="建设工程规划许可证核发", promised=20, statutory=20)
    case = accepted(org, item=long_item)
    assert case.promised_due == dt.date(2026, 11, 30)
    handler = org.people["handler"]
    assert not in_bucket("due_soon", handler, case, dt.date(2026, 11, 23))  # 5 working days left
    assert in_bucket("due_soon", handler, case, dt.date(2026, 11, 24))  # 4 left = 20 % of 20


def test_a_step_with_its_own_hours_is_overdue_within_the_day(org):
    hours_item = f.item(org.dept, name="个体工商户名称变更", steps=(("审查", Role.HANDLER, 4),))
    FlowStep.objects.filter(version__item=hours_item).update(limit_unit=FlowStep.LimitUnit.HOURS)
    clock.set_now(at(2026, 11, 2, 10, 0))
    case = accepted(org, item=hours_item)
    step = case.steps.get()
    assert step.own_limit and step.due_at == at(2026, 11, 2, 14, 0)
    handler = org.people["handler"]
    # Like the supervision rule time.step: an hour, or 20 % of the allotment, before the due moment.
    assert not in_bucket("due_soon", handler, case, MONDAY, at(2026, 11, 2, 11, 0))
    assert in_bucket("due_soon", handler, case, MONDAY, at(2026, 11, 2, 13, 0))
    assert not in_bucket("overdue", handler, case, MONDAY, at(2026, 11, 2, 13, 0))
    assert in_bucket("overdue", handler, case, MONDAY, at(2026, 11, 2, 15, 0))


def test_a_step_with_its_own_days_warns_by_its_own_allotment(org, on_monday):
    item = f.item(org.dept, name="施工图审查备案", promised=20, statutory=20, steps=(("审查", Role.HANDLER, 10),))
    case = accepted(org, item=item)
    assert timezone.localdate(case.steps.get().due_at) == dt.date(2026, 11, 16)
    handler = org.people["handler"]
    assert not in_bucket("due_soon", handler, case, dt.date(2026, 11, 11))
    assert in_bucket("due_soon", handler, case, dt.date(2026, 11, 12))  # 2 of 10 days left
    assert in_bucket("overdue", handler, case, dt.date(2026, 11, 17))  # the step, not the case, is late


def test_the_window_answers_for_the_correction_limit_and_delivery(org, on_monday):
    clerk = org.people["clerk"]
    received = f.receive(clerk, org.item, materials=missing_one(org.item))
    assert received.correction_due == dt.date(2026, 11, 9)
    assert in_bucket("due_soon", clerk, received, dt.date(2026, 11, 6))
    assert in_bucket("overdue", clerk, received, dt.date(2026, 11, 10))

    result = decided(org)
    assert result.delivery_due == dt.date(2026, 11, 16)
    assert in_bucket("overdue", clerk, result, dt.date(2026, 11, 17))


def test_a_suspended_case_is_not_overdue_while_its_clock_is_stopped(org, on_monday):
    handler = org.people["handler"]
    case = services.perform(accepted(org), "suspend", actor=handler,
                            params={"kind": "expert_review", "reason": "需专家评审", "expected_days": 10})
    later = dt.date(2026, 11, 20)
    assert in_bucket("suspended", handler, case, later)
    assert not in_bucket("overdue", handler, case, later)
    assert not in_bucket("todo", handler, case, later)


def test_buckets_are_set_based_queries(org, on_monday):
    """The number of queries for the whole home page does not grow with the number of cases."""
    client = org.client("supervisor")

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/workbench/?bucket=overdue").status_code == 200
        return len(captured)

    accepted(org)
    clock.set_now(at(2026, 11, 20))
    few = page_queries()
    clock.set_now(at(2026, 11, 2))
    for _ in range(4):
        accepted(org)
    clock.set_now(at(2026, 11, 20))
    assert page_queries() == few
