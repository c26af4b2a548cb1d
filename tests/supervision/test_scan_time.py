"""The time rules at their thresholds, around 国庆 2026, with escalation, closing and idempotence.

Facts used: a case accepted on Thursday 24 September 2026 with a 5-working-day promise is due on
Friday 9 October (中秋 25 September, 国庆 1-7 October; Saturday 10 October is a working day).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services
from shenpi.supervision.models import Alert, Level, Rule, ScanRun
from shenpi.supervision.scan import scan
from tests import factories as f

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture
def office():
    dept = f.department()
    return dept, f.staff(dept), f.item(dept, promised=5, statutory=20)


@pytest.fixture
def case(office):
    _, people, it = office
    clock.set_now(at(2026, 9, 24, 9))
    case = f.receive(people["clerk"], it)
    services.perform(case.pk, "accept", actor=people["clerk"])
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 10, 9)
    return case


def case_alerts(case, status=Alert.Status.OPEN):
    return {(a.level, a.rule.code) for a in Alert.objects.filter(case=case, status=status).select_related("rule")}


def scan_at(*moment, full=False):
    clock.set_now(at(*moment))
    return scan(full=full)


@pytest.mark.parametrize(("day", "expected"), [
    ((2026, 9, 30), set()),                                   # 2 working days left (8 and 9 October)
    ((2026, 10, 5), set()),                                   # 国庆: still 2 left, the clock does not run
    ((2026, 10, 8), {(Level.WARNING, "time.case")}),          # 1 left
    ((2026, 10, 9), {(Level.WARNING, "time.case")}),          # due today: 0 left
    ((2026, 10, 10), {(Level.YELLOW, "time.case")}),          # Saturday worked: 1 day overdue
    ((2026, 10, 12), {(Level.YELLOW, "time.case")}),          # 2 days overdue
    ((2026, 10, 13), {(Level.RED, "time.case")}),             # 3 days overdue
])
def test_case_time_levels_around_national_day(case, day, expected):
    scan_at(*day)
    assert case_alerts(case) == expected


def test_escalation_closes_the_lower_level_and_keeps_it(case):
    scan_at(2026, 10, 8)
    scan_at(2026, 10, 10)
    scan_at(2026, 10, 13)
    assert case_alerts(case) == {(Level.RED, "time.case")}
    closed = Alert.objects.filter(case=case, status=Alert.Status.CLOSED).order_by("level")
    assert [(a.level, a.closed_reason) for a in closed] == [(Level.WARNING, "升级黄牌"), (Level.YELLOW, "升级红牌")]


def test_scans_are_idempotent(case):
    first = scan_at(2026, 10, 10)
    again = scan_at(2026, 10, 10, 11, full=True)
    assert first.raised[Level.YELLOW] == 1
    assert sum(again.raised.values()) == 0 and sum(again.closed.values()) == 0
    assert Alert.objects.filter(case=case).count() == 1


def test_completion_closes_the_alert_and_never_deletes_it(office, case):
    _, people, _ = office
    scan_at(2026, 10, 10)
    for role in ("handler", "reviewer", "approver"):
        services.perform(case.pk, "pass", actor=people[role])
    services.perform(case.pk, "grant", actor=people["approver"])
    services.perform(case.pk, "complete", actor=people["clerk"])
    result = scan_at(2026, 10, 10, 11)
    assert result.kind == ScanRun.Kind.INCREMENTAL
    assert result.closed[Level.YELLOW] == 1
    alert = Alert.objects.get(case=case)
    assert alert.status == Alert.Status.CLOSED and alert.closed_reason == "办件已办结"


def test_extension_moves_the_threshold(office, case):
    _, people, _ = office
    services.perform(case.pk, "extend", actor=people["approver"], params={"days": 5, "reason": "需现场核查"})
    scan_at(2026, 10, 10)
    assert case_alerts(case) == set()


@pytest.mark.parametrize(("day", "expected"), [
    ((2026, 10, 12), set()),                                   # 3 working days left of 10
    ((2026, 10, 13), {(Level.WARNING, "time.case")}),          # 2 left: 20 % of the extended allotment
    ((2026, 10, 15), {(Level.WARNING, "time.case")}),          # the extended due date
    ((2026, 10, 16), {(Level.YELLOW, "time.case")}),           # 1 day past it
])
def test_extended_case_warns_by_its_extended_allotment(office, case, day, expected):
    _, people, _ = office
    services.perform(case.pk, "extend", actor=people["approver"], params={"days": 5, "reason": "需现场核查"})
    case.refresh_from_db()
    assert (case.promised_due, case.extension_days) == (dt.date(2026, 10, 15), 5)
    scan_at(*day, full=True)
    assert case_alerts(case) == expected


def test_suspended_clock_raises_nothing_and_closes_the_warning(office, case):
    _, people, _ = office
    scan_at(2026, 10, 8)
    assert case_alerts(case) == {(Level.WARNING, "time.case")}
    services.perform(case.pk, "suspend", actor=people["handler"],
                     params={"kind": "expert_review", "reason": "组织专家评审", "expected_days": 5})
    scan_at(2026, 10, 8, 11)
    scan_at(2026, 10, 13)
    assert case_alerts(case) == set()
    assert Alert.objects.get(case=case).closed_reason == "办件暂停计时"


def test_yellow_without_answer_for_two_working_days_turns_red(case):
    scan_at(2026, 10, 10)
    yellow = Alert.objects.get(case=case, level=Level.YELLOW)
    yellow.detected_at = at(2026, 10, 9, 18)  # detected the evening it fell due
    yellow.save()
    scan_at(2026, 10, 12)  # 10 and 12 October: two working days, no answer
    assert case_alerts(case) == {(Level.RED, "time.case")}
    assert Alert.objects.get(case=case, level=Level.RED).figures["unanswered"] is True


def test_answered_yellow_stays_yellow(case):
    scan_at(2026, 10, 10)
    Alert.objects.filter(case=case).update(answer="已催办，明日办结", answered_at=at(2026, 10, 10, 12),
                                           detected_at=at(2026, 10, 9, 18))
    scan_at(2026, 10, 12)
    assert case_alerts(case) == {(Level.YELLOW, "time.case")}


def test_thresholds_are_data(case):
    scan_at(2026, 9, 30)  # 2 working days left (8 and 9 October)
    assert case_alerts(case) == set()
    rule = Rule.objects.get(code="time.case")
    rule.params = {**rule.params, "warn_days_left": 2}
    rule.save()
    result = scan_at(2026, 9, 30, 11)
    assert result.kind == ScanRun.Kind.FULL  # edited thresholds apply to every case at once
    assert case_alerts(case) == {(Level.WARNING, "time.case")}


def test_a_warning_never_comes_before_half_the_allotment_is_used(case):
    rule = Rule.objects.get(code="time.case")
    rule.params = {**rule.params, "warn_days_left": 4}
    rule.save()
    scan_at(2026, 9, 29)  # 3 of 5 working days left: asking for 4 days' notice gets at most half (2)
    assert case_alerts(case) == set()
    scan_at(2026, 9, 30)  # 2 left
    assert case_alerts(case) == {(Level.WARNING, "time.case")}


def test_disabled_rule_closes_its_alerts(case):
    scan_at(2026, 10, 10)
    Rule.objects.filter(code="time.case").update(enabled=False)
    scan_at(2026, 10, 10, 11)
    assert case_alerts(case) == set()
    assert Alert.objects.get(case=case).closed_reason == "监察点已停用"


def test_command_prints_counts_per_level(case, capsys):
    clock.set_now(at(2026, 10, 10))
    call_command("supervise")
    out = capsys.readouterr().out
    assert "全量扫描" in out and "黄牌：新发 1，解除 0" in out and "红牌：新发 0，解除 0" in out


@pytest.mark.parametrize(("params", "message"), [
    ({"warn_days": 1}, "未知的阈值：warn_days"),
    ({"warn_days_left": -1}, "应为不小于0的数"),
    ({"warn_days_left": "一"}, "应为不小于0的数"),
    ({"warn_share_left": 1.5}, "应在0到1之间"),
])
def test_rule_thresholds_are_checked(params, message):
    from django.core.exceptions import ValidationError

    rule = Rule.objects.get(code="time.case")
    rule.params = params
    with pytest.raises(ValidationError, match=message):
        rule.full_clean()
