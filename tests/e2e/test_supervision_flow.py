"""电子监察 in a real browser: a supervisor watches the live board, follows a red card to its case's
timeline and issues a supervision order (督办); the department answers the card from 我的告警 and
the order from its page.

The clock is frozen on Tuesday 13 October 2026, after scans on the days before: two cases accepted
on 24 September with a 5-working-day promise are 3 working days overdue (红牌), others are overdue
(黄牌) or about to fall due (预警). Screenshots go to test-artifacts/screenshots/; any console error
(a Content-Security-Policy violation, a missing asset, a script error) fails the test.
"""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services
from shenpi.catalog.models import FlowStep
from shenpi.feedback.models import Complaint
from shenpi.supervision.models import Alert, Level, Order
from shenpi.supervision.scan import scan
from tests import factories as f
from tests.browser import fresh_page, log_in, shot

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page




@pytest.fixture
def watched():
    """Two departments' cases scanned day by day up to 13 October 2026."""
    housing = f.department("住房和城乡建设局", short_name="住建局")
    market = f.department("市场监督管理局", short_name="市场监管局")
    people, others = f.staff(housing), f.staff(market)
    names = {"clerk": "王晓梅", "handler": "李建国", "liaison": "周联络", "supervisor": "吴监察"}
    for role, name in names.items():
        people[role].full_name = name
        people[role].save()
    permit = f.item(housing, promised=5)
    licence = f.item(market, name="食品经营许可", promised=5)

    def accepted(staff, item, day):
        clock.set_now(at(2026, *day, 9))
        case = f.receive(staff["clerk"], item)
        return services.perform(case.pk, "accept", actor=staff["clerk"])

    late = [accepted(people, permit, (9, 24)), accepted(people, permit, (9, 24))]  # due 9 October
    accepted(people, permit, (9, 28))  # due 10 October
    accepted(people, permit, (10, 8))  # due 14 October
    accepted(others, licence, (9, 28))
    for day in ((10, 8), (10, 9), (10, 10), (10, 12), (10, 13)):
        clock.set_now(at(2026, *day, 8))
        scan()
    clock.set_now(at(2026, 10, 13, 10))
    return people, others, late


def test_a_red_card_from_the_board_to_an_order_and_the_departments_answers(live_server, page, watched):
    people, _, late = watched
    base = live_server.url
    reds = Alert.objects.filter(status=Alert.Status.OPEN, level=Level.RED)
    assert {a.case_id for a in reds} == {c.pk for c in late}

    # The supervisor opens the live board: figures, the department table and three charts.
    log_in(page, base, people["supervisor"])
    page.click(".sidenav >> text=实时监察")
    page.wait_for_url(re.compile(r"/supervision/$"))
    expect(page.locator('.sv-figure[data-level="3"] .sv-figure-count')).to_have_text("2")
    expect(page.locator("#department-table tbody tr")).to_have_count(2)
    expect(page.locator("#board-charts")).to_have_attribute("data-loaded", re.compile(r"\d{4}-"))
    for chart in ("chart-departments", "chart-categories", "chart-trend"):
        assert page.locator(f"#{chart} canvas").count() >= 1
    shot(page, "supervision-board-01-live")

    # The figures refresh themselves (htmx, every 60 s): a refresh redraws the charts from the JSON again.
    loaded = page.get_attribute("#board-charts", "data-loaded")
    with page.expect_response(lambda r: r.url.endswith("/supervision/board/data/")):
        page.evaluate("htmx.ajax('GET', '/supervision/', {target: '#board-live', swap: 'outerHTML'})")
    expect(page.locator("#board-charts")).not_to_have_attribute("data-loaded", loaded)

    # The filters narrow the list in place and keep the choice in the address.
    page.select_option("#alert-filters select[name=level]", "2")
    expect(page.locator("#alert-results tbody tr")).to_have_count(2)
    assert "level=2" in page.url

    # The red figure lists the red cards; the first one opens the alert.
    page.click('.sv-figure[data-level="3"]')
    page.wait_for_url(re.compile(r"level=3"))
    rows = page.locator("#alert-results tbody tr")
    expect(rows).to_have_count(2)
    shot(page, "supervision-board-02-red-cards")
    rows.first.locator("a.case-link").click()
    page.wait_for_url(re.compile(r"/supervision/alerts/\d+/$"))
    expect(page.locator("#alert-level")).to_have_text("红牌")
    expect(page.locator("#alert-figures")).to_have_text("已于10月9日到期，超期3个工作日。")
    card = Alert.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    number = card.case.number
    shot(page, "supervision-board-03-alert")

    # From the alert to the case: its timeline with the alerts beside it.
    page.click("#alert-case-link")
    page.wait_for_url(re.compile(rf"/workbench/cases/{number}/"))
    panel = page.locator("#case-alerts")
    expect(panel.locator("#case-alert-table tbody tr")).to_have_count(3)  # 预警, 黄牌 closed on escalation, 红牌
    expect(panel.locator(".sv-level-3")).to_have_count(1)
    assert "受理" in page.locator(".timeline").inner_text()
    shot(page, "supervision-board-04-case-timeline")

    # 督办 from the case page: the order form starts with the case and its open red card.
    page.click("#case-order-link")
    page.wait_for_url(re.compile(r"/supervision/orders/new/"))
    expect(page.locator(".order-subjects li")).to_have_count(1)
    assert number in page.input_value("textarea[name=cases]")
    page.fill("textarea[name=demand]", "查明超期原因，三个工作日内办结并反馈。")
    shot(page, "supervision-board-05-order-new")
    page.click("button:has-text('发出督办')")
    page.wait_for_url(re.compile(r"/supervision/orders/DB"))
    order = Order.objects.get()
    assert list(order.alerts.all()) == [card] and [c.number for c in order.cases.all()] == [number]

    # The department's liaison sees the count on the workbench and answers the red card.
    log_in(page, base, people["liaison"])
    badge = page.locator("#my-alerts-badge")
    open_alerts = Alert.objects.filter(department=card.department, status=Alert.Status.OPEN).count()
    expect(badge.locator(".badge")).to_have_text(str(open_alerts))
    shot(page, "supervision-board-06-home-badge")
    badge.click()
    page.wait_for_url(re.compile(r"/supervision/alerts/$"))
    mine = page.locator(f"#alert-card-{card.pk}")
    mine.locator("summary", has_text="填写整改说明").click()
    mine.locator("button[type=submit]").click()  # empty: refused in place, nothing saved
    mine.locator(".error", has_text="请填写整改说明。").wait_for()
    card.refresh_from_db()
    assert card.answered_at is None
    mine.locator("textarea").fill("承办人病休导致超期，已调整承办人，今日办结。")
    with page.expect_navigation():
        mine.locator("button[type=submit]").click()
    page.locator(".alert-success", has_text="整改说明已提交").wait_for()
    expect(page.locator(f"#alert-card-{card.pk} #alert-answer-text")).to_contain_text("已调整承办人")
    shot(page, "supervision-board-07-my-alerts-answered")
    card.refresh_from_db()
    assert card.answered_by == people["liaison"] and card.status == Alert.Status.OPEN

    # ... and the order from its page.
    page.goto(f"{base}/supervision/orders/{order.number}/")
    page.fill("#order-actions textarea[name=text]", "已调整承办人并办结，附整改说明。")
    page.click("#order-actions button:has-text('提交整改反馈')")
    page.locator(".alert-success", has_text="整改反馈已提交").wait_for()
    order.refresh_from_db()
    assert order.status == Order.Status.ANSWERED

    # The supervisor sees the answer on the alert page.
    log_in(page, base, people["supervisor"])
    page.goto(f"{base}/supervision/alerts/{card.pk}/")
    expect(page.locator("#alert-answer-text")).to_contain_text("已调整承办人")
    expect(page.locator("aside .sv-list a", has_text=order.number)).to_have_count(1)
    shot(page, "supervision-board-08-alert-answered")


# Codes a person should never read on the board: a rule's code (time.case) or a subject's (complaint:3).
CODES = re.compile(r"\b(?:time|proc|accept|service|order|fee)\.[a-z_]+\b"
                   r"|\b(?:case|step|order|complaint|rating|online):\d+")


def test_the_board_shows_only_cards_a_person_can_act_on(live_server, page, watched):
    people, others, _ = watched
    housing, market = people["clerk"].department, others["clerk"].department
    quick = f.item(housing, name="建筑垃圾处置核准", promised=3,
                   steps=(("审查", Role.HANDLER, 1), ("审核", Role.REVIEWER, None), ("审批", Role.APPROVER, None)))
    hourly = f.item(housing, name="临时占用道路许可", promised=3,
                    steps=(("审查", Role.HANDLER, 2), ("审核", Role.REVIEWER, None), ("审批", Role.APPROVER, None)))
    FlowStep.objects.filter(version__item=hourly, seq=1).update(limit_unit=FlowStep.LimitUnit.HOURS)

    def accept(item, hour, minute=0):
        clock.set_now(at(2026, 10, 13, hour, minute))
        return services.perform(f.receive(people["clerk"], item).pk, "accept", actor=people["clerk"])

    fresh = accept(quick, 9, 5)  # a one-day step that reached its handler a moment ago
    slow = accept(hourly, 9, 0)  # two office hours: due 11:00 today
    Complaint.objects.create(number="TS20260929001", subject=Complaint.Subject.WINDOW, department=market,
                             complainant="赵女士", mobile="13800000000", mobile_masked="138****0000",
                             content="窗口午休时间无人值守。", filed_at=at(2026, 9, 25),
                             answer_due=dt.date(2026, 10, 12))
    clock.set_now(at(2026, 10, 13, 11, 30))
    scan(full=True)
    assert not Alert.objects.filter(case=fresh).exists()
    late_step = Alert.objects.get(case=slow, rule__code="time.step")
    assert late_step.level == Level.YELLOW and late_step.figures["overdue_days"] == 0

    log_in(page, live_server.url, people["supervisor"])
    page.goto(f"{live_server.url}/supervision/?status=all")
    listing = page.locator("#alert-results")
    expect(listing.locator("tbody tr").first).to_be_visible()
    text = page.locator("main").inner_text()
    assert fresh.number not in text  # no warning the moment a short step starts
    assert "0个工作日" not in text and not CODES.search(text), CODES.findall(text)
    expect(listing.locator("tr", has_text="投诉 TS20260929001")).to_have_count(1)
    row = listing.locator("tr", has=page.locator(".sv-subject", has_text=slow.number))
    expect(row).to_contain_text("环节超时")
    expect(row).to_contain_text("已于10月13日到期，超期不足1个工作日")
    shot(page, "supervision-board-09-meaningful-cards")

    # 督办 from that card: the form starts with its case, its department and what it is about.
    row.locator("a.case-link").click()
    page.wait_for_url(re.compile(r"/supervision/alerts/\d+/$"))
    assert not CODES.search(page.locator("main").inner_text())
    page.click("#alert-order-link")
    page.wait_for_url(re.compile(r"/supervision/orders/new/"))
    assert page.input_value("textarea[name=cases]").strip() == slow.number
    assert page.input_value("input[name=title]") == f"环节超时（黄牌）：办件{slow.number}"
    assert "超期不足1个工作日" in page.input_value("textarea[name=demand]")
    assert page.locator("select[name=department] option:checked").inner_text().strip().startswith("住房和城乡建设局")
    shot(page, "supervision-board-10-order-from-card")
