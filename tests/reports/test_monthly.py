"""The monthly department report: its figures equal direct counts, its files open, it is generated on the
first working day, once, and mailed to the department's liaison and the centre's leaders."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from shenpi import clock
from shenpi.cases.models import State
from shenpi.figures import counters, upkeep
from shenpi.reports import monthly, monthly_figures
from shenpi.reports.management.commands.reports import Command
from shenpi.reports.models import MonthlyReport
from shenpi.workdays.services import get_calendar
from tests.performance import conftest as city
from tests.performance.conftest import at, make_case

# The performance tests' small city, with known figures for October 2026.
world, frozen = city.world, city.frozen

OCT = dt.date(2026, 10, 1)
SEP = dt.date(2026, 9, 1)
LEADER = "leader@centre.example.cn"


def direct(counter: str, first: dt.date, last: dt.date, department) -> int:
    start, end = clock.days_range(first, last)
    c = counters.COUNTERS[counter]
    cases = counters.cases_behind(counter, start, end).filter(department=department)
    return sum(cases.values_list(c.total, flat=True)) if c.total else cases.count()


@pytest.fixture
def month_ends(world):
    """Cases across the ends of October in Asia/Shanghai: received 30 Sep 23:50, completed 31 Oct 23:30
    (a September receipt, an October completion); received 31 Oct 23:59, completed 1 Nov 00:10."""
    clerk = world.people_a["clerk"]
    make_case(world.a, world.item_a, clerk, received=at(2026, 9, 30, 23, 50), completed=at(2026, 10, 31, 23, 30),
              due=dt.date(2026, 10, 30), limit=20, used=22)
    make_case(world.a, world.item_a, clerk, received=at(2026, 10, 31, 23, 59), completed=at(2026, 11, 1, 0, 10),
              due=dt.date(2026, 11, 3), limit=1, used=0)
    upkeep.rebuild()
    return world


def _row(made, code):
    return next(r for r in made.rows if r.line.code == code)


def test_the_figures_equal_direct_counts_across_the_months_end(month_ends):
    w = month_ends
    report = monthly.generate(OCT, [w.a]).generated[0]
    for name in counters.COUNTERS:
        assert report.figures[name] == direct(name, OCT, dt.date(2026, 10, 31), w.a), name
    assert (report.figures["received"], report.figures["completed"], report.figures["on_time"]) == (8, 6, 4)
    made = monthly_figures.content(w.a, OCT)
    assert _row(made, "on_time_rate").value == pytest.approx(100 * 4 / 6)
    assert _row(made, "on_the_spot_rate").value == pytest.approx(100 / 6)
    assert _row(made, "avg_used_days").value == pytest.approx(44 / 6)
    september = _row(made, "received")
    assert september.previous == direct("received", SEP, dt.date(2026, 9, 30), w.a) == 2
    assert september.month_on_month == "+300.0%"
    assert september.year_before == 0 and september.year_on_year == "—"
    assert made.alerts == {"预警": 7, "黄牌": 1, "红牌": 1}
    assert [c.level for c in made.cards] == ["黄牌", "红牌"] and made.cards[0].answered


def test_the_pdf_opens_on_a4_with_the_department_and_its_figures(month_ends):
    report = monthly.generate(OCT, [month_ends.a]).generated[0]
    pdf = PdfReader(io.BytesIO(bytes(report.pdf)))
    width, height = (float(v) for v in pdf.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)
    text = "".join(page.extract_text() for page in pdf.pages).replace(" ", "")
    assert "住房和城乡建设局2026年10月月度统计报告" in text
    assert "按时办结率" in text and "66.7%" in text and "指标口径" in text


def test_the_excel_reads_back(month_ends):
    report = monthly.generate(OCT, [month_ends.a]).generated[0]
    book = load_workbook(io.BytesIO(bytes(report.xlsx)))
    assert book.sheetnames == ["办件情况", "绩效考核", "电子监察", "指标口径"]
    sheet = book["办件情况"]
    assert sheet["A1"].value == "住房和城乡建设局2026年10月月度统计报告"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["收件数"][2:5] == (8, 2, "+300.0%")
    assert rows["按时办结率"][2] == pytest.approx(66.67)
    cards = list(book["电子监察"].iter_rows(min_row=4, values_only=True))
    assert [c[1] for c in cards] == ["黄牌", "红牌"]


def test_the_assessment_score_and_rank_are_the_rankings(month_ends):
    from shenpi.performance.periods import Period
    from shenpi.performance.services import assess

    ranking = assess(Period.month_of(OCT))
    row = next(r for r in ranking.rows if r.subject.key == month_ends.a.pk)
    made = monthly_figures.content(month_ends.a, OCT)
    assert (made.assessment.score, made.assessment.rank, made.assessment.of) == (row.score, row.rank, 2)


# -- when ----------------------------------------------------------------------------------------------

def test_national_day_waits_for_the_first_working_day(world):
    upkeep.rebuild()
    first = get_calendar().next_workday(OCT)
    assert first > dt.date(2026, 10, 7)  # 1–7 October are the National Day holiday
    for day in range(1, first.day):
        clock.set_now(at(2026, 10, day, 9))
        assert monthly.run_scheduled().month is None
    assert not MonthlyReport.objects.exists()
    clock.set_now(at(first.year, first.month, first.day, 9))
    run = monthly.run_scheduled()
    assert (run.month, run.generated) == (SEP, 1)  # only A had anything in September
    assert MonthlyReport.objects.get().department == world.a


def test_an_ordinary_month_is_due_on_its_first(world):
    assert monthly.due_month(dt.date(2026, 12, 1)) == dt.date(2026, 11, 1)  # a Tuesday
    assert monthly.due_month(dt.date(2026, 11, 30)) == OCT


# -- once ----------------------------------------------------------------------------------------------

def test_generating_twice_keeps_one_report_per_department_and_month(world):
    upkeep.rebuild()
    monthly.generate(OCT)
    monthly.generate(OCT)
    assert sorted(MonthlyReport.objects.values_list("department__name", "month")) == [
        ("住房和城乡建设局", OCT), ("市场监督管理局", OCT)]
    clock.set_now(at(2026, 11, 6, 9))
    assert monthly.run_scheduled().generated == 0


def test_a_failure_rolls_back_that_department_only(world, monkeypatch):
    upkeep.rebuild()
    monthly.generate(OCT)
    before = MonthlyReport.objects.get(department=world.b)
    real = monthly.render_xlsx

    def failing(made):
        if made.department == world.b:
            raise RuntimeError("磁盘已满")
        return real(made)

    monkeypatch.setattr(monthly, "render_xlsx", failing)
    clock.set_now(at(2026, 11, 5, 11))
    outcome = monthly.generate(OCT)
    assert [d for d, _ in outcome.failed] == [world.b]
    assert [r.department for r in outcome.generated] == [world.a]
    after = MonthlyReport.objects.get(department=world.b)
    assert (after.generated_at, bytes(after.pdf)) == (before.generated_at, bytes(before.pdf))
    assert MonthlyReport.objects.get(department=world.a).generated_at == clock.now()


# -- sent ----------------------------------------------------------------------------------------------

@override_settings(NOTIFY_EMAIL="smtp", REPORT_LEADERS=[LEADER],
                   EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_sent_to_the_liaison_and_the_leaders_with_both_files(world):
    upkeep.rebuild()
    liaison = world.people_a["liaison"]
    liaison.email = "liaison.a@zj.example.cn"
    liaison.save()
    clock.set_now(at(2026, 11, 2, 9))  # Monday 2 November: the first working day
    run = monthly.run_scheduled()
    assert (run.generated, run.sent) == (2, 2)
    to_a = next(m for m in mail.outbox if "住房和城乡建设局" in m.subject)
    assert to_a.to == ["liaison.a@zj.example.cn", LEADER]
    assert [(name, kind) for name, _, kind in to_a.attachments] == [
        (f"月度统计报告-{world.a.code}-2026-10.pdf", "application/pdf"),
        (f"月度统计报告-{world.a.code}-2026-10.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    assert to_a.attachments[0][1].startswith(b"%PDF")
    to_b = next(m for m in mail.outbox if "市场监督管理局" in m.subject)
    assert to_b.to == [LEADER]  # B's liaison has no address
    assert MonthlyReport.objects.get(department=world.a).sent_to == ["liaison.a@zj.example.cn", LEADER]
    assert monthly.run_scheduled().sent == 0 and len(mail.outbox) == 2


# -- the command ---------------------------------------------------------------------------------------

def run_on_console(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        Command(stdout=out, stderr=err).run_from_argv(["shenpi", "reports", "monthly", *args])
    return exited.value.code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2026-13"], "月份“2026-13”格式不对，应为 YYYY-MM，例如 2026-10。"),
    (["--month", "2026-11"], "2026年11月尚未结束，只能生成已结束月份的报告。"),
    (["--month", "2026-10", "--department", "NOPE"], "部门编码“NOPE”不存在。"),
])
def test_bad_input_is_one_line_and_a_failure(world, monkeypatch, args, message):
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    code, out, err = run_on_console(*args)
    assert (code, out, err) == (1, "", message + "\n")


def test_a_missing_month_is_one_line_too(world, capsys):
    code, _, _ = run_on_console()
    err = capsys.readouterr().err  # argument mistakes are written by the parser, on the process's stderr
    assert code == 2 and err.count("\n") == 1 and "--month" in err


@override_settings(NOTIFY_EMAIL="smtp", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                   REPORT_LEADERS=[LEADER])
def test_the_command_generates_one_department_and_sends(world):
    upkeep.rebuild()
    out = io.StringIO()
    call_command("reports", "monthly", "--month", "2026-10", "--department", world.b.code, "--send", stdout=out)
    assert out.getvalue() == "2026年10月月度统计报告：生成 1 份。\n已发送 1 份。\n"
    assert [m.to for m in mail.outbox] == [[LEADER]]
    with pytest.raises(CommandError, match="格式不对"):
        call_command("reports", "monthly", "--month", "10/2026")


# -- the staff page ------------------------------------------------------------------------------------

def test_the_page_lists_the_departments_reports_and_serves_the_files(world):
    upkeep.rebuild()
    monthly.generate(OCT)
    a, b = (MonthlyReport.objects.get(department=d) for d in (world.a, world.b))
    liaison = world.client(world.people_a["liaison"])
    page = liaison.get("/reports/monthly/").content.decode()
    assert "住房和城乡建设局" in page and "市场监督管理局" not in page and "2026年10月" in page
    pdf = liaison.get(f"/reports/monthly/{a.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = liaison.get(f"/reports/monthly/{a.pk}.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content))["办件情况"]["A1"].value.startswith("住房和城乡建设局")
    assert liaison.get(f"/reports/monthly/{b.pk}.pdf").status_code == 404
    supervisor = world.client(world.people_a["supervisor"]).get("/reports/monthly/").content.decode()
    assert "住房和城乡建设局" in supervisor and "市场监督管理局" in supervisor


def test_a_state_change_after_generation_needs_a_regeneration(world):
    """The stored report is what the month looked like when generated: later changes need `--month` again."""
    upkeep.rebuild()
    report = monthly.generate(OCT, [world.b]).generated[0]
    make_case(world.b, world.item_b, world.people_b["clerk"], received=at(2026, 10, 30), state=State.IN_PROGRESS)
    upkeep.rebuild()
    assert MonthlyReport.objects.get(pk=report.pk).figures["received"] == 2
    assert monthly.generate(OCT, [world.b]).generated[0].figures["received"] == 3
