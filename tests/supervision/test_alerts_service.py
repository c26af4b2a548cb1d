"""The rectification answer (整改说明) and the manual findings (人工认定), against alerts raised by real scans.

Facts used: a case accepted on Thursday 24 September 2026 with a 5-working-day promise is due on
Friday 9 October (中秋 25 September, 国庆 1-7 October; Saturday 10 October is a working day), so it is
a yellow card on 10 October and a red card on 13 October.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services
from shenpi.cases.models import Case
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.supervision import alerts
from shenpi.supervision.models import Alert, Flag, Level, Rule
from shenpi.supervision.scan import scan
from tests import factories as f
from tests.concurrency import race

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def scan_at(*moment, full=False):
    clock.set_now(at(*moment))
    return scan(full=full)


@pytest.fixture
def office():
    dept = f.department("住房和城乡建设局")
    other = f.department("市场监督管理局")
    return dept, f.staff(dept), f.item(dept, promised=5, statutory=20), f.staff(other)


@pytest.fixture
def late_case(office):
    """Accepted on 24 September, its handler responsible; a yellow card from the scan of 10 October."""
    _, people, it, _ = office
    clock.set_now(at(2026, 9, 24, 9))
    case = f.receive(people["clerk"], it)
    services.perform(case.pk, "accept", actor=people["clerk"])
    return Case.objects.get(pk=case.pk)


def yellow_card(case) -> Alert:
    scan_at(2026, 10, 10)
    return Alert.objects.get(case=case, rule__code="time.case", level=Level.YELLOW)


def recorded_after_approval(people, it) -> Alert:
    """先批后录: an item with a 5-day promise accepted and completed within ten minutes (an event rule)."""
    clock.set_now(at(2026, 11, 2, 9, 0))
    case = f.receive(people["clerk"], it)
    services.perform(case.pk, "accept", actor=people["clerk"])
    for minute, (action, who) in enumerate((("pass", "handler"), ("pass", "reviewer"), ("pass", "approver"),
                                            ("grant", "approver"), ("complete", "clerk")), start=1):
        clock.set_now(at(2026, 11, 2, 9, minute))
        services.perform(case.pk, action, actor=people[who])
    scan_at(2026, 11, 2, 10)
    return Alert.objects.get(case_id=case.pk, rule__code="proc.record_after_approval")


def unchanged(alert: Alert) -> bool:
    fresh = Alert.objects.get(pk=alert.pk)
    return (fresh.answer, fresh.answered_at, fresh.answered_by_id, fresh.status) == ("", None, None, alert.status)


# -- who may answer -------------------------------------------------------------------------------------

def test_the_responsible_person_answers_and_the_yellow_card_stays_yellow(office, late_case):
    _, people, _, _ = office
    card = yellow_card(late_case)
    assert card.responsible_id == people["handler"].pk
    clock.set_now(at(2026, 10, 10, 11))
    answered = alerts.answer_alert(card, people["handler"], "  材料已补齐，明日办结。  ")
    assert answered.answer == "材料已补齐，明日办结。"
    assert answered.answered_at == at(2026, 10, 10, 11) and answered.answered_by == people["handler"]
    assert answered.status == Alert.Status.OPEN  # a state rule: it closes when the case is done
    # Two working days later an unanswered yellow card would turn red; this one was answered.
    scan_at(2026, 10, 12)
    assert set(Alert.objects.filter(case=late_case, status=Alert.Status.OPEN).values_list("level", flat=True)) == {
        Level.YELLOW}


@pytest.mark.parametrize("role", ["liaison", "approver"])
def test_the_departments_liaison_or_approver_answers_for_it(office, late_case, role):
    _, people, _, _ = office
    card = yellow_card(late_case)
    answered = alerts.answer_alert(card.pk, people[role], "已督促承办人办理。")
    assert answered.answered_by == people[role]


@pytest.mark.parametrize("who", ["reviewer", "clerk", "supervisor", "admin", "other_liaison", "other_approver"])
def test_others_may_not_answer_and_nothing_is_saved(office, late_case, who):
    _, people, _, others = office
    actor = others[who.removeprefix("other_")] if who.startswith("other_") else people[who]
    card = yellow_card(late_case)
    with pytest.raises(Forbidden, match="整改说明须由责任人或住房和城乡建设局的部门联络员、审批人填报"):
        alerts.answer_alert(card, actor, "已整改")
    assert unchanged(card)


def test_an_inactive_account_may_not_answer(office, late_case):
    _, people, _, _ = office
    card = yellow_card(late_case)
    people["handler"].is_active = False
    people["handler"].save()
    with pytest.raises(Forbidden):
        alerts.answer_alert(card, people["handler"], "已整改")
    assert unchanged(card)


# -- what the answer does --------------------------------------------------------------------------------

def test_answering_an_event_rule_closes_the_alert_for_good(office):
    _, people, it, _ = office
    alert = recorded_after_approval(people, it)
    assert alert.level == Level.RED and alert.status == Alert.Status.OPEN
    clock.set_now(at(2026, 11, 2, 11))
    answered = alerts.answer_alert(alert, people["liaison"], "系统外先行审批，已责令补录并通报批评。")
    assert answered.status == Alert.Status.CLOSED
    assert answered.closed_reason == "已反馈整改" and answered.closed_at == at(2026, 11, 2, 11)
    # A later full scan still sees the violation and never reopens what the answer closed.
    result = scan_at(2026, 11, 3, full=True)
    assert sum(result.raised.values()) == 0
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED and alert.reopened == 0


@pytest.mark.parametrize(("text", "message"), [
    ("", "请填写整改说明。"),
    ("   \n ", "请填写整改说明。"),
    ("整" * 2001, "整改说明不能超过2000字（现有2001字）。"),
])
def test_bad_text_is_refused_with_the_field_and_nothing_is_saved(office, late_case, text, message):
    _, people, _, _ = office
    card = yellow_card(late_case)
    with pytest.raises(InvalidInput) as refused:
        alerts.answer_alert(card, people["handler"], text)
    assert refused.value.fields == {"text": [message]}
    assert unchanged(card)


def test_an_answer_is_given_once(office, late_case):
    _, people, _, _ = office
    card = yellow_card(late_case)
    clock.set_now(at(2026, 10, 10, 11, 30))
    alerts.answer_alert(card, people["handler"], "第一次反馈")
    with pytest.raises(TransitionRefused, match="已于2026-10-10 11:30反馈整改情况，不能重复反馈"):
        alerts.answer_alert(card, people["liaison"], "第二次反馈")
    card.refresh_from_db()
    assert card.answer == "第一次反馈" and card.answered_by == people["handler"]


def test_a_closed_alert_needs_no_answer(office, late_case):
    _, people, _, _ = office
    card = yellow_card(late_case)
    scan_at(2026, 10, 13)  # escalated: the yellow card closes, a red card opens
    card.refresh_from_db()
    assert card.status == Alert.Status.CLOSED
    with pytest.raises(TransitionRefused, match="该告警已解除（升级红牌），无需反馈"):
        alerts.answer_alert(card, people["handler"], "已整改")
    assert unchanged(card)
    red = Alert.objects.get(case=late_case, level=Level.RED)
    assert alerts.answer_alert(red, people["handler"], "已办结").answered_at is not None


# -- 人工认定 ----------------------------------------------------------------------------------------------

@pytest.fixture
def refused_case(office):
    _, people, it, _ = office
    clock.set_now(at(2026, 11, 2, 9))
    case = f.receive(people["clerk"], it)
    services.perform(case.pk, "refuse", actor=people["clerk"], params={"reason": "材料不全"})
    return Case.objects.get(pk=case.pk)


def test_a_supervisor_flags_a_wrongful_refusal_the_scan_raises_a_red_card_and_withdrawal_closes_it(
        office, refused_case):
    dept, people, _, _ = office
    clock.set_now(at(2026, 11, 2, 10))
    flag = alerts.flag_case(people["supervisor"], refused_case.number.lower(), "accept.wrongful_refusal",
                            " 经核实材料齐全、符合法定形式 ")
    assert (flag.case, flag.rule.code, flag.note, flag.flagged_by, flag.flagged_at) == (
        refused_case, "accept.wrongful_refusal", "经核实材料齐全、符合法定形式", people["supervisor"],
        at(2026, 11, 2, 10))
    scan_at(2026, 11, 2, 10, 1)
    card = Alert.objects.get(rule__code="accept.wrongful_refusal")
    assert (card.level, card.case_id, card.department_id, card.figures) == (Level.RED, refused_case.pk, dept.pk,
                                                                            {"flag": flag.pk})
    clock.set_now(at(2026, 11, 2, 11))
    alerts.withdraw_flag(flag, people["supervisor"])
    flag.refresh_from_db()
    card.refresh_from_db()
    assert (flag.withdrawn_at, flag.withdrawn_by) == (at(2026, 11, 2, 11), people["supervisor"])
    assert (card.status, card.closed_reason, card.closed_at) == (Alert.Status.CLOSED, "人工认定已撤销",
                                                                 at(2026, 11, 2, 11))
    scan_at(2026, 11, 2, 11, 1)
    scan_at(2026, 11, 3, full=True)
    assert not Alert.objects.filter(rule__code="accept.wrongful_refusal", status=Alert.Status.OPEN).exists()


def test_flagging_again_after_a_withdrawal_reopens_the_card(office, refused_case):
    _, people, _, _ = office
    first = alerts.flag_case(people["supervisor"], refused_case, "accept.wrongful_refusal", "投诉查实")
    scan_at(2026, 11, 2, 10)
    alerts.withdraw_flag(first.pk, people["supervisor"])
    with pytest.raises(TransitionRefused, match="已于.*撤销"):
        alerts.withdraw_flag(first.pk, people["supervisor"])
    alerts.flag_case(people["supervisor"], refused_case, "accept.wrongful_refusal", "复查后再次认定")
    scan_at(2026, 11, 2, 11)
    card = Alert.objects.get(rule__code="accept.wrongful_refusal")
    assert card.status == Alert.Status.OPEN and card.reopened == 1


def test_offline_handling_may_be_found_on_any_case(office, late_case):
    _, people, _, _ = office
    flag = alerts.flag_case(people["supervisor"], late_case, "proc.offline_handling", "线下办结后补录")
    assert flag.rule.code == "proc.offline_handling"


def test_a_finding_is_made_once_while_it_stands(office, refused_case):
    _, people, _, _ = office
    alerts.flag_case(people["supervisor"], refused_case, "accept.wrongful_refusal", "投诉查实")
    with pytest.raises(TransitionRefused, match="已有“对符合条件的申请不予受理”的人工认定"):
        alerts.flag_case(people["supervisor"], refused_case, "accept.wrongful_refusal", "再次认定")
    assert Flag.objects.count() == 1


@pytest.mark.parametrize("who", ["admin", "liaison", "approver", "handler"])
def test_only_supervisors_make_findings(office, refused_case, who):
    _, people, _, _ = office
    with pytest.raises(Forbidden, match="人工认定须由监察员作出"):
        alerts.flag_case(people[who], refused_case, "accept.wrongful_refusal", "投诉查实")
    flag = Flag.objects.create(rule=Rule.objects.get(code="accept.wrongful_refusal"), case=refused_case,
                               note="投诉查实", flagged_by=people["supervisor"], flagged_at=clock.now())
    with pytest.raises(Forbidden):
        alerts.withdraw_flag(flag, people[who])
    flag.refresh_from_db()
    assert flag.withdrawn_at is None and Flag.objects.count() == 1


def test_every_mistake_is_named_at_once_and_nothing_is_saved(office):
    _, people, _, _ = office
    with pytest.raises(InvalidInput) as refused:
        alerts.flag_case(people["supervisor"], "SP-NO-SUCH", "time.case", "")
    assert refused.value.fields == {"case": ["办件编号不存在：SP-NO-SUCH。"], "rule": ["请选择人工认定的监察点。"],
                                    "note": ["请填写情况说明。"]}
    assert not Flag.objects.exists()


def test_a_wrongful_refusal_needs_a_refused_case(office, late_case):
    _, people, _, _ = office
    with pytest.raises(InvalidInput) as refused:
        alerts.flag_case(people["supervisor"], late_case, "accept.wrongful_refusal", "投诉查实")
    assert refused.value.fields == {
        "rule": [f"办件{late_case.number}未被不予受理，不能认定为“对符合条件的申请不予受理”。"]}
    assert not Flag.objects.exists()


def test_a_disabled_rule_takes_no_findings(office, refused_case):
    _, people, _, _ = office
    Rule.objects.filter(code="accept.wrongful_refusal").update(enabled=False)
    with pytest.raises(InvalidInput, match="已停用"):
        alerts.flag_case(people["supervisor"], refused_case, "accept.wrongful_refusal", "投诉查实")
    assert not Flag.objects.exists()


# -- who sees what -------------------------------------------------------------------------------------

def test_alerts_are_seen_by_the_department_the_responsible_person_and_supervisors(office, late_case):
    _, people, _, others = office
    card = yellow_card(late_case)
    for person in (people["handler"], people["clerk"], people["liaison"], people["supervisor"], people["admin"]):
        assert alerts.visible_alerts(person).filter(pk=card.pk).exists()
    for person in (others["liaison"], others["handler"]):
        assert not alerts.visible_alerts(person).filter(pk=card.pk).exists()
    # 我的告警: the responsible person, and the department's liaison and approver; not a colleague.
    assert alerts.open_to_answer_count(people["handler"]) == 1
    assert alerts.open_to_answer_count(people["liaison"]) == 1
    assert alerts.open_to_answer_count(people["approver"]) == 1
    assert alerts.open_to_answer_count(people["reviewer"]) == 0
    assert alerts.open_to_answer_count(others["liaison"]) == 0


def test_the_case_page_panel_is_for_supervisors_and_the_cases_department(office, late_case):
    _, people, _, others = office
    yellow_card(late_case)
    supervisor = alerts.case_supervision(people["supervisor"], late_case)
    assert [a.level for a in supervisor.alerts] == [Level.YELLOW] and supervisor.open_count == 1
    assert supervisor.may_flag and [r.code for r in supervisor.rules] == sorted(alerts.MANUAL_RULES)
    clerk = alerts.case_supervision(people["clerk"], late_case)
    assert len(clerk.alerts) == 1 and not clerk.may_flag and clerk.rules == []
    assert alerts.case_supervision(others["handler"], late_case) is None
    window = f.user(f.department("政务服务中心综合受理", comprehensive=True), Role.CLERK)
    assert alerts.case_supervision(window, late_case) is None


# -- two people at once ------------------------------------------------------------------------------

def at_once(monkeypatch, lock_name: str, calls) -> list:
    """Run two calls in two threads; the lock is held a while, so without it both would pass."""
    locking = getattr(alerts, lock_name)

    def slow_lock(pk):
        locked = locking(pk)
        time.sleep(0.4)
        return locked

    monkeypatch.setattr(alerts, lock_name, slow_lock)
    return race(*calls)


POSTGRES_ONLY = pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                                   reason="SQLite serialises writers by its file lock; row locks are tested on "
                                          "PostgreSQL")


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_answers_at_once_one_is_kept(office, late_case, monkeypatch):
    _, people, _, _ = office
    card = yellow_card(late_case)
    results = at_once(monkeypatch, "_lock_alert", [
        lambda: alerts.answer_alert(card.pk, people["handler"], "承办人的说明"),
        lambda: alerts.answer_alert(card.pk, people["liaison"], "联络员的说明")])
    kept = [r for r in results if isinstance(r, Alert)]
    refused = [r for r in results if not isinstance(r, Alert)]
    assert len(kept) == 1 and len(refused) == 1 and isinstance(refused[0], TransitionRefused), results
    assert Alert.objects.get(pk=card.pk).answer == kept[0].answer


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_supervisors_flagging_at_once_make_one_finding(office, refused_case, monkeypatch):
    _, people, _, _ = office
    other = f.user(None, Role.SUPERVISOR, full_name="另一监察员")
    results = at_once(monkeypatch, "_lock_case", [
        lambda: alerts.flag_case(people["supervisor"], refused_case.number, "accept.wrongful_refusal", "投诉查实"),
        lambda: alerts.flag_case(other, refused_case.number, "accept.wrongful_refusal", "检查发现")])
    made = [r for r in results if isinstance(r, Flag)]
    refused = [r for r in results if not isinstance(r, Flag)]
    assert len(made) == 1 and len(refused) == 1 and isinstance(refused[0], TransitionRefused), results
    assert Flag.objects.count() == 1
