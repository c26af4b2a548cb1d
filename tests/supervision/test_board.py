"""The 电子监察 pages: the live board, its filters and chart figures, an alert, 我的告警 and its answer form,
the case page's panel with the manual findings, and who may see each."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services
from shenpi.cases.models import Case
from shenpi.supervision.models import Alert, Flag, Level, Order, Rule, ScanRun
from shenpi.supervision.scan import scan
from tests import factories as f

pytestmark = pytest.mark.django_db
BOARD = "/supervision/"
DATA = "/supervision/board/data/"
MINE = "/supervision/alerts/"
_subjects = itertools.count(1)


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def client_for(user) -> Client:
    client = Client()
    f.login_staff(client, user)
    return client


def htmx(client, url, target, **params):
    return client.get(url, params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target)


def body(response) -> str:
    return response.content.decode()


def alert(rule_code, level, department, *, case=None, responsible=None, detected=None, status=Alert.Status.OPEN,
          **kw) -> Alert:
    """An alert row as a scan leaves it (the page tests need many, in exact places)."""
    return Alert.objects.create(
        rule=Rule.objects.get(code=rule_code), level=level, department=department,
        subject=f"case:{case.pk}" if case else f"test:{next(_subjects)}", case=case, responsible=responsible,
        detected_at=detected or at(2026, 11, 2), status=status,
        closed_at=at(2026, 11, 3) if status == Alert.Status.CLOSED else None,
        closed_reason="条件已解除" if status == Alert.Status.CLOSED else "", **kw)


@pytest.fixture
def org():
    dept = f.department("住房和城乡建设局", short_name="住建局")
    other = f.department("市场监督管理局", short_name="市场监管局")
    people, others = f.staff(dept), f.staff(other)
    clock.set_now(at(2026, 11, 2, 9))
    case = f.receive(people["clerk"], f.item(dept, promised=5))
    services.perform(case.pk, "accept", actor=people["clerk"])
    return {"dept": dept, "other": other, "people": people, "others": others, "case": Case.objects.get(pk=case.pk)}


@pytest.fixture
def spread(org):
    """Open alerts: 住建局 2 warnings, 1 yellow, 3 red; 市场监管局 1 yellow; and 2 closed ones."""
    dept, other, case = org["dept"], org["other"], org["case"]
    handler = org["people"]["handler"]
    rows = [alert("time.case", Level.WARNING, dept, detected=at(2026, 11, 2, 8)),
            alert("time.step", Level.WARNING, dept, detected=at(2026, 11, 1, 23, 30)),
            alert("time.case", Level.YELLOW, dept, responsible=handler, detected=at(2026, 10, 30)),
            alert("time.case", Level.RED, dept, case=case, responsible=handler, detected=at(2026, 10, 28),
                  figures={"due": "2026-10-23", "overdue_days": 3}),
            alert("proc.record_after_approval", Level.RED, dept, detected=at(2026, 10, 20)),
            alert("accept.wrongful_refusal", Level.RED, dept, detected=at(2026, 9, 1)),
            alert("proc.second_correction", Level.YELLOW, other, detected=at(2026, 10, 31),
                  figures={"corrections": 2}),
            alert("time.case", Level.WARNING, dept, detected=at(2026, 10, 5), status=Alert.Status.CLOSED),
            alert("time.case", Level.YELLOW, other, detected=at(2026, 10, 6), status=Alert.Status.CLOSED)]
    clock.set_now(at(2026, 11, 2, 10))
    return rows


# -- who may see the board ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_administrators_see_the_board(org, role):
    response = client_for(org["people"][role]).get(BOARD)
    assert response.status_code == 200
    assert "电子监察 · 实时监察" in body(response)
    assert client_for(org["people"][role]).get(DATA).status_code == 200


@pytest.mark.parametrize("role", ["clerk", "handler", "liaison", "approver"])
def test_department_staff_are_kept_off_the_board(org, role):
    client = client_for(org["people"][role])
    response = client.get(BOARD)
    assert response.status_code == 403 and "电子监察看板仅供监察员和中心管理员使用。" in body(response)
    data = client.get(DATA)
    assert data.status_code == 403 and data.json() == {"detail": "电子监察看板仅供监察员和中心管理员使用。"}


def test_signed_out_visitors_are_sent_to_the_login_page(org):
    for url in (BOARD, DATA, MINE):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_navigation_offers_the_board_to_supervisors_and_my_alerts_to_the_department(org):
    supervisor = body(client_for(org["people"]["supervisor"]).get("/workbench/"))
    assert 'href="/supervision/">实时监察' in supervisor and 'href="/supervision/alerts/">我的告警' not in supervisor
    handler = body(client_for(org["people"]["handler"]).get("/workbench/"))
    assert 'href="/supervision/alerts/">我的告警' in handler and 'href="/supervision/">实时监察' not in handler


# -- the board's figures and list -------------------------------------------------------------------------

def figure(html: str, level: int) -> int:
    start = html.index(f'data-level="{level}"')
    count = html.index('class="sv-figure-count">', start) + len('class="sv-figure-count">')
    return int(html[count:html.index("<", count)])


def test_the_board_counts_open_alerts_by_level_and_department(org, spread):
    ScanRun.objects.create(kind=ScanRun.Kind.INCREMENTAL, started_at=at(2026, 11, 2, 9, 59),
                           as_of=at(2026, 11, 2, 9, 59), finished_at=at(2026, 11, 2, 9, 59, ), seconds=0.42,
                           raised={"1": 2, "3": 1}, closed={"2": 4})
    html = body(client_for(org["people"]["supervisor"]).get(BOARD))
    assert (figure(html, 1), figure(html, 2), figure(html, 3)) == (2, 2, 3)
    assert "未解除合计" in html and ">7</span>" in html
    table = html[html.index('id="department-table"'):html.index("</table>", html.index('id="department-table"'))]
    # Departments with most red cards first; each count links to the list of those alerts.
    assert table.index("住建局") < table.index("市场监管局")
    assert f'?department={org["dept"].pk}&amp;level=3#alert-list">3</a>' in table
    assert f'?department={org["other"].pk}&amp;level=2#alert-list">1</a>' in table
    assert "2026-11-02 09:59:00" in html and "增量扫描" in html and "0.42" in html
    assert 'hx-trigger="every 60s"' in html


def listed_ids(response) -> list[int]:
    html = body(response)
    ids, start = [], 0
    while (start := html.find('href="/supervision/alerts/', start)) != -1:
        start += len('href="/supervision/alerts/')
        number = html[start:html.index("/", start)]
        if number.isdigit() and (not ids or ids[-1] != int(number)):
            ids.append(int(number))
    return ids


def test_the_list_shows_open_alerts_newest_first_each_linking_to_its_page(org, spread):
    response = client_for(org["people"]["supervisor"]).get(BOARD)
    opened = [a for a in spread if a.status == Alert.Status.OPEN]
    assert listed_ids(response) == [a.pk for a in sorted(opened, key=lambda a: a.detected_at, reverse=True)]
    html = body(response)
    assert org["case"].number in html and "已于10月23日到期，超期3个工作日" in html and "已要求补正2次" in html


@pytest.mark.parametrize(("params", "expected"), [
    ({"level": "3"}, [3, 4, 5]),
    ({"level": "1"}, [0, 1]),
    ({"department": "other"}, [6]),
    ({"category": "procedure"}, [4, 6]),
    ({"category": "acceptance"}, [5]),
    ({"rule": "time.case"}, [0, 2, 3]),
    ({"status": "closed"}, [7, 8]),
    ({"status": "all", "rule": "time.case", "department": "dept"}, [0, 2, 3, 7]),
    ({"since": "2026-10-28", "until": "2026-10-31"}, [2, 3, 6]),
    ({"since": "2026-11-02"}, [0]),  # 1 November 23:30 in Beijing is the 1st, whatever UTC says
    ({"until": "2026-11-01"}, [1, 2, 3, 4, 5, 6]),
])
def test_filters_narrow_the_list(org, spread, params, expected):
    params = {k: str(org[v].pk) if k == "department" else v for k, v in params.items()}
    response = client_for(org["people"]["supervisor"]).get(BOARD, params)
    assert sorted(listed_ids(response)) == sorted(spread[i].pk for i in expected)


def test_a_wrong_filter_is_named_and_left_out(org, spread):
    client = client_for(org["people"]["supervisor"])
    response = client.get(BOARD, {"since": "2026-13-01", "level": "3"})
    assert response.status_code == 200
    assert "开始日期无效，请按“2026-11-02”的格式填写。" in body(response) and "以上条件未生效" in body(response)
    assert sorted(listed_ids(response)) == sorted(a.pk for a in spread if a.level == Level.RED
                                                  and a.status == Alert.Status.OPEN)
    response = client.get(BOARD, {"since": "2026-11-02", "until": "2026-11-01"})
    assert "结束日期不能早于开始日期。" in body(response)


def test_the_list_is_paginated_and_htmx_swaps_only_the_results(org):
    dept = org["dept"]
    for i in range(23):
        alert("time.case", Level.WARNING, dept, detected=at(2026, 10, 1) + dt.timedelta(hours=i))
    client = client_for(org["people"]["supervisor"])
    first = client.get(BOARD, {"level": "1"})
    assert len(listed_ids(first)) == 20 and "第 1 / 2 页" in body(first)
    second = htmx(client, BOARD, "alert-results", level="1", page="2")
    assert len(listed_ids(second)) == 3
    html = body(second)
    assert html.lstrip().startswith('<div id="alert-results"') and "<html" not in html
    # The refresh keeps the filters and the page it shows.
    assert 'hx-get="/supervision/?level=1&amp;page=2" hx-trigger="every 60s"' in html


def test_the_figures_refresh_by_themselves(org, spread):
    client = client_for(org["people"]["supervisor"])
    html = body(htmx(client, BOARD, "board-live"))
    assert html.lstrip().startswith('<div class="sv-live" id="board-live"') and "<html" not in html
    alert("time.case", Level.RED, org["other"])
    assert figure(body(htmx(client, BOARD, "board-live")), 3) == 4


# -- the charts' JSON -------------------------------------------------------------------------------------

def test_chart_figures(org, spread):
    ScanRun.objects.create(kind=ScanRun.Kind.FULL, started_at=at(2026, 11, 2, 6), as_of=at(2026, 11, 2, 6),
                           finished_at=at(2026, 11, 2, 6), seconds=1.5, raised={"2": 3}, closed={"1": 1})
    data = client_for(org["people"]["admin"]).get(DATA).json()
    assert data["levels"] == [{"level": 1, "name": "预警", "count": 2}, {"level": 2, "name": "黄牌", "count": 2},
                              {"level": 3, "name": "红牌", "count": 3}]
    assert data["level_names"] == ["预警", "黄牌", "红牌"]
    assert data["departments"] == [
        {"id": org["dept"].pk, "name": "住建局", "levels": [2, 1, 3], "total": 6},
        {"id": org["other"].pk, "name": "市场监管局", "levels": [0, 1, 0], "total": 1}]
    assert {c["code"]: c["value"] for c in data["categories"]} == {
        "time": 4, "procedure": 2, "fee": 0, "acceptance": 1, "service": 0}
    assert data["categories"][0] == {"code": "time", "name": "时限", "value": 4}
    trend = data["trend"]
    assert len(trend["days"]) == 30 and trend["days"][0] == "2026-10-04" and trend["days"][-1] == "2026-11-02"
    day = {d: i for i, d in enumerate(trend["days"])}
    assert trend["series"]["1"][day["2026-11-02"]] == 1 and trend["series"]["1"][day["2026-11-01"]] == 1
    assert trend["series"]["1"][day["2026-10-05"]] == 1  # closed since, but raised that day
    assert trend["series"]["3"][day["2026-10-28"]] == 1 and trend["series"]["3"][day["2026-10-20"]] == 1
    assert sum(trend["series"]["3"]) == 2  # the red card of 1 September is older than 30 days
    assert sum(sum(s) for s in trend["series"].values()) == 8
    assert data["scan"] == {"kind": "全量", "as_of": "2026-11-02T06:00:00+08:00", "seconds": 1.5, "levels": [
        {"level": 1, "name": "预警", "raised": 0, "closed": 1}, {"level": 2, "name": "黄牌", "raised": 3, "closed": 0},
        {"level": 3, "name": "红牌", "raised": 0, "closed": 0}]}


def test_chart_figures_take_the_same_few_queries_however_many_alerts(org, spread):
    client = client_for(org["people"]["supervisor"])
    client.get(DATA)  # sessions and user
    with CaptureQueriesContext(connection) as few:
        client.get(DATA)
    for i in range(40):
        alert("time.step", Level(i % 3 + 1), org["other"], detected=at(2026, 10, 10) + dt.timedelta(hours=i))
    with CaptureQueriesContext(connection) as many:
        client.get(DATA)
    assert len(few) == len(many)
    aggregates = [q["sql"] for q in many.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert len(aggregates) == 3  # levels with departments, categories, trend: one query each


def test_chart_figures_without_alerts_or_scans(org):
    data = client_for(org["people"]["supervisor"]).get(DATA).json()
    assert [lv["count"] for lv in data["levels"]] == [0, 0, 0]
    assert data["departments"] == [] and data["scan"] is None
    assert all(v == 0 for series in data["trend"]["series"].values() for v in series)


# -- one alert -------------------------------------------------------------------------------------------

@pytest.fixture
def red(org):
    """A real red card: the case due on 9 November is 3 working days overdue on 12 November."""
    clock.set_now(at(2026, 11, 12, 10))
    scan(full=True)
    return Alert.objects.get(case=org["case"], rule__code="time.case", level=Level.RED)


def test_the_alert_page_tells_what_who_when_and_links_to_the_case_and_an_order(org, red):
    html = body(client_for(org["people"]["supervisor"]).get(f"/supervision/alerts/{red.pk}/"))
    for text in ("红牌", "办件超时", "行政许可法第四十二条", org["case"].number, "住房和城乡建设局",
                 str(org["people"]["handler"]), "2026-11-12 10:00:00", "未解除", "已于11月9日到期，超期3个工作日。",
                 "尚未督办"):
        assert text in html
    assert "time.case" not in html  # the rule by its name, never its code
    assert f'href="/workbench/cases/{org["case"].number}/#case-alerts"' in html
    assert f'href="/supervision/orders/new/?alert={red.pk}"' in html


def test_the_alert_page_is_for_the_department_and_supervisors(org, red):
    url = f"/supervision/alerts/{red.pk}/"
    assert client_for(org["people"]["clerk"]).get(url).status_code == 200
    assert client_for(org["others"]["liaison"]).get(url).status_code == 404
    assert client_for(org["people"]["clerk"]).get("/supervision/alerts/999999/").status_code == 404
    clerk = body(client_for(org["people"]["clerk"]).get(url))
    assert "/supervision/orders/new/" not in clerk  # only supervisors issue orders
    assert "提交整改说明" not in clerk and "尚未反馈" in clerk


def test_an_order_about_the_alert_is_listed(org, red):
    order = Order.objects.create(number="DB20261112TEST01", title="超期督办", demand="限期办结", department=org["dept"],
                                 issued_by=org["people"]["supervisor"], issued_at=clock.now(),
                                 reply_due=dt.date(2026, 11, 19))
    order.alerts.add(red)
    html = body(client_for(org["people"]["supervisor"]).get(f"/supervision/alerts/{red.pk}/"))
    assert 'href="/supervision/orders/DB20261112TEST01/"' in html and "超期督办" in html


def test_an_alert_about_an_unanswered_order_names_the_order(org):
    order = Order.objects.create(number="DB20261102TEST02", title="督办", demand="反馈", department=org["dept"],
                                 issued_by=org["people"]["supervisor"], issued_at=clock.now(),
                                 reply_due=dt.date(2026, 11, 4))
    late = Alert.objects.create(rule=Rule.objects.get(code="order.unanswered"), level=Level.YELLOW,
                                subject=f"order:{order.pk}", department=org["dept"], detected_at=at(2026, 11, 5),
                                figures={"reply_due": "2026-11-04", "overdue_days": 1})
    client = client_for(org["people"]["supervisor"])
    assert "督办单 <span class=\"mono\">DB20261102TEST02</span>" in body(client.get(f"/supervision/alerts/{late.pk}/"))
    assert "DB20261102TEST02" in body(client.get(BOARD))


# -- answering from the pages ---------------------------------------------------------------------------

def test_the_responsible_person_answers_from_the_alert_page(org, red):
    client = client_for(org["people"]["handler"])
    url = f"/supervision/alerts/{red.pk}/"
    assert "提交整改说明" in body(client.get(url))
    response = client.post(f"{url}answer/", {"text": "已联系申请人补正，今日办结。", "next": "alert"})
    assert response.status_code == 302 and response["Location"] == url
    red.refresh_from_db()
    assert red.answer == "已联系申请人补正，今日办结。" and red.answered_by == org["people"]["handler"]
    html = body(client.get(url))
    assert "整改说明已提交。" in html and "已联系申请人补正，今日办结。" in html and "提交整改说明" not in html


def test_a_blank_answer_is_refused_in_chinese_and_nothing_is_saved(org, red):
    client = client_for(org["people"]["handler"])
    url = f"/supervision/alerts/{red.pk}/answer/"
    response = client.post(url, {"text": "  "})
    assert response.status_code == 400 and "请填写整改说明。" in body(response)
    response = client.post(url, {"text": ""}, HTTP_HX_REQUEST="true")
    html = body(response)
    assert response.status_code == 400 and html.lstrip().startswith(f'<div id="answer-{red.pk}"')
    assert "请填写整改说明。" in html and "<textarea" in html
    red.refresh_from_db()
    assert red.answered_at is None and red.answer == ""


def test_htmx_answers_redirect_back_to_my_alerts(org, red):
    response = client_for(org["people"]["liaison"]).post(
        f"/supervision/alerts/{red.pk}/answer/", {"text": "已整改", "next": "alerts"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == MINE
    assert Alert.objects.get(pk=red.pk).answered_by == org["people"]["liaison"]


def test_a_colleague_who_does_not_answer_for_the_alert_is_refused(org, red):
    response = client_for(org["people"]["reviewer"]).post(f"/supervision/alerts/{red.pk}/answer/", {"text": "已整改"})
    assert response.status_code == 403
    assert "整改说明须由责任人或住房和城乡建设局的部门联络员、审批人填报" in body(response)
    assert client_for(org["others"]["liaison"]).post(
        f"/supervision/alerts/{red.pk}/answer/", {"text": "已整改"}).status_code == 404
    red.refresh_from_db()
    assert red.answered_at is None


def test_answering_an_event_rule_from_the_page_closes_it(org):
    event = alert("proc.second_correction", Level.YELLOW, org["dept"], case=org["case"],
                  responsible=org["people"]["clerk"], figures={"corrections": 2})
    response = client_for(org["people"]["clerk"]).post(f"/supervision/alerts/{event.pk}/answer/",
                                                        {"text": "已合并为一次告知。", "next": "alerts"}, follow=True)
    assert "整改说明已提交，告警已解除。" in body(response)
    event.refresh_from_db()
    assert event.status == Alert.Status.CLOSED and event.closed_reason == "已反馈整改"


# -- 我的告警 and the home badge ------------------------------------------------------------------------------

def test_my_alerts_lists_what_i_answer_for_with_a_form_each(org, spread):
    handler = org["people"]["handler"]
    html = body(client_for(handler).get(MINE))
    mine = [a for a in spread if a.responsible_id == handler.pk]
    assert len(mine) == 2
    for a in mine:
        assert f'id="alert-card-{a.pk}"' in html and f'id="id_text_{a.pk}"' in html
    assert html.count('class="sv-card ') == 2
    liaison = body(client_for(org["people"]["liaison"]).get(MINE))
    assert liaison.count('class="sv-card ') == 6  # every open alert of the department
    closed = body(client_for(org["people"]["liaison"]).get(MINE, {"status": "closed"}))
    assert closed.count('class="sv-card ') == 1 and "条件已解除" in closed
    assert body(client_for(org["people"]["reviewer"]).get(MINE)).count('class="sv-card ') == 0
    assert "没有未解除的告警。" in body(client_for(org["people"]["reviewer"]).get(MINE))


def test_supervisors_without_a_department_are_sent_to_the_board(org):
    response = client_for(org["people"]["supervisor"]).get(MINE)
    assert response.status_code == 302 and response["Location"] == BOARD


def test_the_workbench_home_shows_the_number_to_answer(org, spread):
    html = body(client_for(org["people"]["handler"]).get("/workbench/"))
    start = html.index('id="my-alerts-badge"')
    assert 'href="/supervision/alerts/"' in html[start - 80:start + 80]
    assert '<span class="badge badge-bad">2</span>' in html[start:start + 200]
    reviewer = body(client_for(org["people"]["reviewer"]).get("/workbench/"))
    assert '<span class="badge badge-muted">0</span>' in reviewer


# -- the case page's panel and the manual findings -------------------------------------------------------

def test_the_case_page_shows_its_alerts_to_supervisors_and_its_department(org, red):
    number = org["case"].number
    supervisor = body(client_for(org["people"]["supervisor"]).get(f"/workbench/cases/{number}/"))
    panel = supervisor[supervisor.index('id="case-alerts"'):supervisor.index("办理记录")]
    assert "红牌" in panel and "办件超时" in panel and "2026-11-12 10:00" in panel and "未解除" in panel
    assert f'href="/supervision/alerts/{red.pk}/"' in panel
    assert f'href="/supervision/orders/new/?case={number}&amp;alert={red.pk}"' in panel and 'id="flag-form"' in panel
    handler = body(client_for(org["people"]["handler"]).get(f"/workbench/cases/{number}/"))
    assert 'id="case-alerts"' in handler and 'id="flag-form"' not in handler and "orders/new" not in handler
    window = f.user(f.department("政务服务中心综合受理", comprehensive=True), "clerk")
    outside = body(client_for(window).get(f"/workbench/cases/{number}/"))
    assert "办理记录" in outside and 'id="case-alerts"' not in outside


def test_a_supervisor_flags_and_withdraws_from_the_case_page(org):
    clock.set_now(at(2026, 11, 2, 11))
    number = org["case"].number
    client = client_for(org["people"]["supervisor"])
    response = client.post("/supervision/flags/", {"case": number, "rule": "proc.offline_handling",
                                                    "note": "群众反映线下审批后补录"})
    assert response.status_code == 302 and response["Location"] == f"/workbench/cases/{number}/#case-alerts"
    flag = Flag.objects.get()
    assert (flag.case, flag.rule.code, flag.flagged_by) == (org["case"], "proc.offline_handling",
                                                             org["people"]["supervisor"])
    html = body(client.get(f"/workbench/cases/{number}/"))
    assert "群众反映线下审批后补录" in html and "将据此发出红牌" in html
    scan()
    assert Alert.objects.get(rule__code="proc.offline_handling").level == Level.RED
    response = client.post(f"/supervision/flags/{flag.pk}/withdraw/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == f"/workbench/cases/{number}/#case-alerts"
    assert Alert.objects.get(rule__code="proc.offline_handling").status == Alert.Status.CLOSED
    html = body(client.get(f"/workbench/cases/{number}/"))
    assert f"已由 {org['people']['supervisor']} 于 2026-11-02 11:00 撤销" in html


def test_a_bad_finding_is_refused_on_the_case_page_and_nothing_is_saved(org):
    number = org["case"].number
    client = client_for(org["people"]["supervisor"])
    response = client.post("/supervision/flags/", {"case": number, "rule": "accept.wrongful_refusal", "note": ""},
                           HTTP_HX_REQUEST="true")
    html = body(response)
    assert response.status_code == 400 and html.lstrip().startswith('<section class="panel sv-case-panel"')
    assert "未被不予受理" in html and "请填写情况说明。" in html
    assert '<option value="accept.wrongful_refusal" selected>' in html
    response = client.post("/supervision/flags/", {"case": "NO-SUCH", "rule": "proc.offline_handling", "note": "x"})
    assert response.status_code == 302 and response["Location"] == BOARD
    response = client.post("/supervision/flags/", {"case": "NO-SUCH", "rule": "proc.offline_handling", "note": "x"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == BOARD
    assert "办件编号不存在：NO-SUCH。" in body(client.get(BOARD))
    assert not Flag.objects.exists()


def test_only_supervisors_flag(org):
    for role in ("admin", "liaison"):
        response = client_for(org["people"][role]).post(
            "/supervision/flags/", {"case": org["case"].number, "rule": "proc.offline_handling", "note": "x"})
        assert response.status_code == 403 and "人工认定须由监察员作出。" in body(response)
    assert not Flag.objects.exists()


def test_the_board_page_loads_its_charts_from_local_files(org):
    html = body(client_for(org["people"]["supervisor"]).get(BOARD))
    assert '/static/vendor/echarts.common.min.js' in html and '/static/supervision/board.js' in html
    assert 'data-source="/supervision/board/data/"' in html
    assert "<script>" not in html and "style=" not in html and "http://" not in html and "https://" not in html


def test_json_is_not_cached(org):
    response = client_for(org["people"]["supervisor"]).get(DATA)
    assert response["Cache-Control"] == "private, no-store"
    json.loads(response.content)


def test_an_unknown_department_or_level_is_named(org, spread):
    response = client_for(org["people"]["supervisor"]).get(BOARD, {"department": "999999", "level": "9"})
    html = body(response)
    assert "所选部门不存在。" in html and "所选级别不存在。" in html
    assert len(listed_ids(response)) == 7
