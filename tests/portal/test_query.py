"""进度查询: right number and code show the progress; anything else gets one answer, and tries are limited."""

import re

import pytest
from django.test import Client, override_settings

from shenpi.accounts.models import Role
from shenpi.cases import services
from shenpi.cases.models import ApplicantKind
from shenpi.portal import progress
from tests import factories as f

from .conftest import SECRET_INSTRUCTION, SECRET_OPINION, SECRET_RETURN, accepted, completed, receive


def ask(number, code, ip="10.0.0.1", client=None):
    return (client or Client()).post("/query/", {"number": number, "code": code}, REMOTE_ADDR=ip)


def body(response) -> str:
    return response.content.decode()


def error_of(response) -> str:
    match = re.search(r'<p class="form-error" role="alert">([^<]*)</p>', body(response))
    return match.group(1) if match else ""


@pytest.mark.clocks
def test_the_right_number_and_code_show_stage_step_due_and_history(portal):
    case = accepted(portal)
    case = services.perform(case, "pass", actor=portal.people["handler"], params={"opinion": SECRET_OPINION})
    response = ask(case.number, case.query_code)
    html = body(response)
    assert response.status_code == 200 and error_of(response) == ""
    for text in ("建筑工程施工许可证核发", case.number, "张*", "办理中", "审核（住建局）", "承诺办结期限",
                 f"{case.promised_due.year}年{case.promised_due.month}月{case.promised_due.day}日",
                 "收件", "受理", "通过", "审查环节", "住建局"):
        assert text in html, text
    assert 'class="stage stage-current" aria-current="step">审查办理' in html
    assert "张三" not in html and "11010519491231002X" not in html
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]


def test_no_staff_opinion_comment_or_name_is_shown(portal):
    people = portal.people
    case = receive(portal, materials={})
    specs = list(portal.licence.current_version().materials.all())
    case = services.perform(case, "request_correction", actor=people["clerk"], params={
        "missing": [{"name": specs[0].name, "problem": "未提交"}], "comment": SECRET_INSTRUCTION})
    case = services.perform(case, "supplement", actor=people["clerk"], params={"materials": [
        m.pk for m in case.materials.all()]})
    case = services.perform(case, "accept", actor=people["clerk"])
    case = services.perform(case, "pass", actor=people["handler"], params={"opinion": SECRET_OPINION})
    case = services.perform(case, "return", actor=people["reviewer"], params={"reason": SECRET_RETURN})
    case = services.perform(case, "pass", actor=people["handler"], params={"opinion": SECRET_OPINION})
    html = body(ask(case.number, case.query_code))
    assert "一次性告知补正" in html and "补正材料收齐" in html and "退回" in html
    for secret in (SECRET_OPINION, SECRET_RETURN, SECRET_INSTRUCTION, "同意"):
        assert secret not in html
    for person in people.values():
        assert person.full_name not in html and person.username not in html


def test_a_hand_over_between_staff_is_not_in_the_public_history(portal):
    people = portal.people
    colleague = f.user(portal.dept, Role.HANDLER, full_name="孙接手")
    case = accepted(portal)
    case = services.perform(case, "transfer", actor=people["handler"],
                            params={"to": colleague.pk, "reason": "本人外出核查，请孙接手办理"})
    html = body(ask(case.number, case.query_code))
    # The step under way and its department are shown; that it changed hands, and between whom, is not.
    assert "审查（住建局）" in html and "受理" in html
    for internal in ("转办", "孙接手", people["handler"].full_name, "本人外出核查"):
        assert internal not in html, internal
    assert [entry.label for entry in progress.progress(case).history] == ["收件", "受理"]
    # Staff keep the hand-over in the case's history.
    staff = Client()
    f.login_staff(staff, colleague)
    page = staff.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "转办" in page and "孙接手" in page


@pytest.mark.clocks
def test_a_correction_shows_the_one_time_list(portal):
    case = receive(portal, materials={})
    specs = list(portal.licence.current_version().materials.all())
    services.perform(case, "request_correction", actor=portal.people["clerk"], params={
        "missing": [{"name": specs[0].name, "problem": "未提交"}, {"name": specs[1].name, "problem": "复印件不清晰"}],
        "comment": SECRET_INSTRUCTION})
    html = body(ask(case.number, case.query_code))
    assert "补正中" in html and "请一次性补正以下材料" in html
    assert f"{specs[0].name}：未提交" in html and f"{specs[1].name}：复印件不清晰" in html
    assert SECRET_INSTRUCTION not in html


def test_refusal_and_denial_show_their_reasons_a_grant_its_result(portal):
    refused = receive(portal)
    refused = services.perform(refused, "refuse", actor=portal.people["clerk"],
                               params={"reason": "申请事项不属于本机关职权范围"})
    html = body(ask(refused.number, refused.query_code))
    assert "不予受理" in html and "申请事项不属于本机关职权范围" in html and "本件不予受理，办理结束。" in html
    denied = completed(portal, deny="建设工程规划许可证已失效")
    html = body(ask(denied.number, denied.query_code))
    assert "不予许可" in html and "建设工程规划许可证已失效" in html
    granted = completed(portal)
    html = body(ask(granted.number, granted.query_code))
    assert "准予许可（建筑工程施工许可证）" in html and "已办结" in html and SECRET_OPINION not in html


def test_a_wrong_number_and_a_wrong_code_get_the_same_answer(portal):
    case = accepted(portal)
    wrong_code = "000000" if case.query_code != "000000" else "111111"
    unknown = ask("20260101ABCDEFGH", case.query_code)
    mistaken = ask(case.number, wrong_code)
    assert unknown.status_code == mistaken.status_code == 200
    assert error_of(unknown) == error_of(mistaken) == progress.WRONG
    # Apart from the number typed, echoed in the form, the pages are the same.
    without = [re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body(r).replace(n, ""))
               for r, n in ((unknown, "20260101ABCDEFGH"), (mistaken, case.number))]
    assert without[0] == without[1]
    # Malformed numbers and an empty-looking code take the same way.
    assert error_of(ask("x" * 30, case.query_code)) == progress.WRONG
    assert error_of(ask(case.number, " " + wrong_code + " ")) == progress.WRONG


def test_the_code_is_compared_in_constant_time_whether_the_number_exists_or_not(portal, monkeypatch):
    case = accepted(portal)
    compared = []
    real = progress.hmac.compare_digest
    monkeypatch.setattr(progress.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    decrypted = []
    real_decrypt = progress.crypto.decrypt
    monkeypatch.setattr(progress.crypto, "decrypt", lambda token: decrypted.append(1) or real_decrypt(token))
    ask("20260101ABCDEFGH", "123456")
    ask(case.number, "123456")
    assert len(compared) == 2
    assert compared[1][0] == case.query_code.encode()
    assert decrypted  # the unknown number decrypted a decoy, as a known one decrypts its code


def test_numbers_are_read_forgivingly(portal):
    case = accepted(portal)
    spaced = case.number[:8] + " " + case.number[8:].lower()
    assert error_of(ask(spaced, case.query_code)) == "" and case.number in body(ask(spaced, case.query_code))


@override_settings(QUERY_ATTEMPTS=10, QUERY_WINDOW_MINUTES=10)
def test_failed_tries_are_limited_per_client_address(portal):
    case = accepted(portal)
    for attempt in range(10):
        response = ask(f"20260101ABCDEF{attempt:02d}", "123456")
        assert response.status_code == 200 and error_of(response) == progress.WRONG
    blocked = ask(case.number, case.query_code)  # even the right code waits
    assert blocked.status_code == 429 and "查询失败次数过多，请10分钟后再试" in body(blocked)
    assert "建筑工程施工许可证核发" not in body(blocked)
    # Another address is not held back.
    other = ask(case.number, case.query_code, ip="10.0.0.2")
    assert other.status_code == 200 and case.number in body(other) and error_of(other) == ""


def test_successful_queries_do_not_count_against_the_limit(portal, settings):
    settings.QUERY_ATTEMPTS = 3
    case = accepted(portal)
    for _ in range(10):
        assert error_of(ask(case.number, case.query_code)) == ""
    for _ in range(3):
        ask(case.number, "999999" if case.query_code != "999999" else "888888")
    assert ask(case.number, case.query_code).status_code == 429


def test_failures_are_counted_per_address(portal, settings):
    settings.QUERY_ATTEMPTS = 2
    progress.count_failure("10.0.0.9")
    assert not progress.is_limited("10.0.0.9")
    progress.count_failure("10.0.0.9")
    assert progress.is_limited("10.0.0.9")
    assert not progress.is_limited("10.0.0.10")


def test_a_notice_qr_code_fills_in_the_number_and_a_get_never_checks_a_code(portal):
    case = accepted(portal)
    response = Client().get("/query/", {"number": case.number, "code": case.query_code})
    html = body(response)
    assert response.status_code == 200
    assert f'value="{case.number}"' in html and "办理记录" not in html


def test_an_empty_field_is_asked_for_and_not_counted(portal, settings):
    settings.QUERY_ATTEMPTS = 1
    response = ask("", "")
    assert response.status_code == 400 and error_of(response) == "请填写办件编号和查询密码。"
    assert not progress.is_limited("10.0.0.1")


def test_the_query_form_is_protected_against_cross_site_posts(portal):
    client = Client(enforce_csrf_checks=True)
    assert ask("20260101ABCDEFGH", "123456", client=client).status_code == 403


def test_an_organisation_applicant_is_shown_by_name(portal):
    case = accepted(portal, kind=ApplicantKind.ORGANISATION)
    assert "示范建设有限公司" in body(ask(case.number, case.query_code))


def test_the_wait_ends_with_the_window_that_began_at_the_first_failure(portal, settings, monkeypatch, tmp_path):
    import time

    from django.core.cache.backends import filebased

    # The embedded cache, whose clock the test can move (Redis keeps its own; tests/test_limits.py waits for it).
    settings.CACHES = {"default": {"BACKEND": "shenpi.limits.SharedFileCache", "LOCATION": str(tmp_path)}}
    settings.QUERY_ATTEMPTS, settings.QUERY_WINDOW_MINUTES = 2, 10
    start = time.time()
    monkeypatch.setattr(filebased.time, "time", lambda: start)
    progress.count_failure("10.0.0.7")
    monkeypatch.setattr(filebased.time, "time", lambda: start + 300)
    progress.count_failure("10.0.0.7")  # a later failure does not extend the window
    assert progress.is_limited("10.0.0.7")
    monkeypatch.setattr(filebased.time, "time", lambda: start + 599)
    assert progress.is_limited("10.0.0.7")
    monkeypatch.setattr(filebased.time, "time", lambda: start + 601)
    assert not progress.is_limited("10.0.0.7")


SECRET_SUSPENSION = "内部理由：申请人背景待核实"


@pytest.mark.clocks
def test_a_special_procedure_shows_its_kind_length_and_latest_date_not_its_reason(portal):
    case = accepted(portal)
    case = services.perform(case, "suspend", actor=portal.people["handler"],
                            params={"kind": "expert_review", "reason": SECRET_SUSPENSION, "expected_days": 10})
    stop = case.clock_stops.get()
    html = body(ask(case.number, case.query_code))
    assert "暂停计时" in html and "（预计10个工作日，" in html
    assert f"{stop.kind_name}期间暂停计时（预计10个工作日，最迟{stop.limit_due.year}年{stop.limit_due.month}月" \
           f"{stop.limit_due.day}日），所用时间不计入办理期限。" in html
    assert f"{stop.kind_name}，预计10个工作日" in html  # the history's detail names the kind
    assert SECRET_SUSPENSION not in html
    case = services.perform(case, "resume", actor=portal.people["handler"])
    html = body(ask(case.number, case.query_code))
    assert "期限顺延" in html and "所用时间不计入办理期限" not in html and SECRET_SUSPENSION not in html


@pytest.mark.clocks
def test_a_supplement_request_shows_its_deadline(portal):
    case = services.perform(accepted(portal), "request_supplement", actor=portal.people["handler"],
                            params={"reason": SECRET_SUSPENSION, "expected_days": 5})
    html = body(ask(case.number, case.query_code))
    assert "补件期间暂停计时（预计5个工作日" in html and "补交期限5个工作日" in html
    assert SECRET_SUSPENSION not in html


def test_the_answer_reads_no_staff_column_in_three_statements(portal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = accepted(portal)
    case = services.perform(case, "pass", actor=portal.people["handler"], params={"opinion": SECRET_OPINION})
    number, code = case.number, case.query_code
    with CaptureQueriesContext(connection) as queries:
        html = body(ask(number, code))
    assert "审核（住建局）" in html and "审查环节" in html
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    for column in ('."opinion"', '."comment"', '."actor_id"', '."actor_name"', '."ip"', '."applicant_id"',
                   '."contact_phone"', '."finished_by_id"', '."assignee_id"'):
        assert column not in sql, column
    # The case by its number, the case with its active steps, its history: the load test's budget.
    assert len(queries.captured_queries) <= 3, sql


def test_a_found_case_loads_its_other_fields_when_asked(portal):
    case = accepted(portal)
    found = progress.find(case.number, case.query_code)
    assert found.pk == case.pk and found.query_code == case.query_code
    assert found.state == case.state and found.department_id == case.department_id


def test_a_supplement_under_way_shows_what_to_bring(portal):
    case = accepted(portal)
    case = services.perform(case, "pass", actor=portal.people["handler"], params={"opinion": "同意"})
    permit = case.materials.first()
    case = services.perform(case, "request_supplement", actor=portal.people["reviewer"], params={
        "reason": "复印件不清晰", "materials": [{"material": permit.pk, "problem": "复印件不清晰"}]})
    html = body(ask(case.number, case.query_code))
    assert "补件期间暂停计时" in html and "在线补交" in html
    assert f"<li>{permit.name}：复印件不清晰</li>" in html
