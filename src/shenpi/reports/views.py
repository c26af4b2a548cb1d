"""The statistics pages: the home page (统计分析), each report with its filters, table, chart and
drill-down, its definition page, and its Excel export. Generic over every registered report.

Who sees what: supervisors and centre administrators every department; other staff with a role
their own department only (shenpi.reports.forms forces the scope and refuses another department).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from shenpi import spreadsheets
from shenpi.accounts.access import forbidden, staff_required
from shenpi.cases.models import Channel
from shenpi.figures import query, upkeep
from shenpi.figures.counters import COUNTERS, HOURS
from shenpi.figures.definitions import DERIVED
from shenpi.performance.periods import add_months
from shenpi.security import audit

from . import district_map, forms, present
from .excel import report_workbook
from .forms import FilterError, Filters
from .registry import GROUPS, REPORTS, AskError, Report

CASES_PAGE_SIZE = 50
GROUP_ORDER = ("办件量", "时效", "网办", "过程", "评价与投诉", "收费", "监察", "项目", "对比")
HEADLINE_COUNTS = ("received", "accepted", "completed", "refused")
HEADLINE_RATES = ("on_time_rate", "early_rate", "on_the_spot_rate", "online_rate", "full_online_rate",
                  "at_most_once_rate", "avg_used_days")
TREND_MONTHS = 12
RANKED = 15


def _reader(view):
    @staff_required
    def wrapper(request, *args, **kwargs):
        if not forms.may_read(request.user):
            return forbidden(request, "您的账号未归属部门，无法查看统计报表。")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


def _report(code: str) -> Report:
    report = REPORTS.get(code)
    if report is None:
        raise Http404("没有这张报表。")
    return report


def as_of_text() -> str:
    moment = upkeep.as_of()
    if moment is None:
        return "统计汇总尚未生成"
    return f"数据截至 {timezone.localtime(moment):%Y-%m-%d %H:%M}"


def groups() -> list[tuple[str, list[Report]]]:
    order = [g for g in GROUP_ORDER if g in GROUPS] + sorted(g for g in GROUPS if g not in GROUP_ORDER)
    return [(g, GROUPS[g]) for g in order]


def _refused(request, template: str, error: FilterError, **context):
    return render(request, template, {
        "errors": error.errors, "error": str(error), "as_of": as_of_text(),
        "options": forms.options(None, request.user),
        "chosen": {k: (request.GET.get(k) or "").strip() for k in forms.PARAMS}, **context}, status=error.status)


# -- the statistics home page ------------------------------------------------------------------------------

@_reader
def home(request):
    try:
        filters = forms.parse(None, request.GET, request.user)
    except FilterError as error:
        return _refused(request, "reports/home.html", error, groups=groups())
    ask = filters.ask
    counts = query.total(ask.first, ask.last, scope=ask.scope)
    headline = [{"label": COUNTERS[n].label, "text": present.text(counts[n], "count"),
                 "definition": COUNTERS[n].definition} for n in HEADLINE_COUNTS]
    headline += [{"label": DERIVED[c].label, "text": present.text(DERIVED[c].of(counts), DERIVED[c].kind),
                  "definition": DERIVED[c].definition} for c in HEADLINE_RATES]
    charts = _home_charts(filters, counts)
    shown_map = district_map.district_map(filters)
    return render(request, "reports/home.html", {
        "filters": filters, "options": forms.options(filters, request.user), "chosen": filters.chosen,
        "headline": headline, "charts_json": json.dumps(charts, ensure_ascii=False), "groups": groups(),
        "map_json": json.dumps(shown_map, ensure_ascii=False) if shown_map else "",
        "as_of": as_of_text(), "sees_all": forms.sees_all(request.user)})


def _home_charts(filters: Filters, counts: dict) -> dict:
    """The home page's four charts (static/reports/home.js): twelve months' trend, the departments'
    ranking, the channels, the hours of the day."""
    ask = filters.ask
    last_month = ask.last.replace(day=1)
    first_month = add_months(last_month, 1 - TREND_MONTHS)
    months = [add_months(first_month, n) for n in range(TREND_MONTHS)]
    trend = {r["month"]: r for r in query.totals(first_month, add_months(last_month, 1) - dt.timedelta(days=1),
                                                 by=("month",), scope=ask.scope, names=("received", "completed"))}
    ranked = sorted(query.totals(ask.first, ask.last, by=("department",), scope=ask.scope,
                                 names=("completed", "on_time", "received")),
                    key=lambda r: (-r["completed"], -r["received"]))[:RANKED]
    names = present.key_names(ranked, ("department",))["department"]
    channels = query.totals(ask.first, ask.last, by=("channel",), scope=ask.scope, names=("received",))
    return {
        "trend": {"months": [f"{m.year}-{m.month:02d}" for m in months],
                  "received": [trend.get(m, {}).get("received", 0) for m in months],
                  "completed": [trend.get(m, {}).get("completed", 0) for m in months]},
        "ranking": [{"name": names.get(r["department"], "—"), "completed": r["completed"],
                     "on_time_rate": present.chart_value(DERIVED["on_time_rate"].of(r), "rate")} for r in ranked],
        "channels": [{"name": present.key_label("channel", r["channel"], {}), "value": r["received"]}
                     for r in channels if r["received"]],
        "hours": [counts[f"received_h{h:02d}"] for h in HOURS],
        "channel_names": dict(Channel.choices),
    }


# -- a report ------------------------------------------------------------------------------------------------

def _computed(report: Report, filters: Filters) -> tuple[list[dict], dict | None]:
    rows = report.rows(filters.ask)
    total = None
    if report.total and filters.ask.by and all(c.kind in present.NUMERIC for c in report.columns):
        totals = report.rows(replace(filters.ask, by=()))
        total = totals[0] if totals else None
    return rows, total


def _page_context(request, report: Report, filters: Filters | None, **extra) -> dict:
    return {"report": report, "filters": filters, "options": forms.options(filters, request.user),
            "chosen": filters.chosen if filters else {k: (request.GET.get(k) or "").strip() for k in forms.PARAMS},
            "groupings": [(g, forms.grouping_label(g)) for g in report.groupings],
            "extra_filters": [(f, (request.GET.get(f) or "").strip())
                              for f in report.filters if f not in forms.STANDARD],
            "shows": set(report.filters), "as_of": as_of_text(), "sees_all": forms.sees_all(request.user),
            "query": filters.query() if filters else "", **extra}


def _failed(request, report: Report, errors: dict, status: int):
    return render(request, "reports/report.html", _page_context(
        request, report, None, errors=errors, error="；".join(errors.values())), status=status)


@_reader
def report_page(request, code: str):
    report = _report(code)
    try:
        filters = forms.parse(report, request.GET, request.user)
        rows, total = _computed(report, filters)
    except FilterError as error:
        return _failed(request, report, error.errors, error.status)
    except AskError as error:
        return _failed(request, report, {"report": str(error)}, 400)
    drill = reverse("reports:cases", args=[report.code])
    shown = present.table(report, filters, rows, total, drill)
    return render(request, "reports/report.html", _page_context(
        request, report, filters, table=shown, wide=len(shown.heads) > 7,
        chart_json=json.dumps(shown.chart, ensure_ascii=False) if shown.chart else ""))


@_reader
def definition(request, code: str):
    report = _report(code)
    return render(request, "reports/definition.html", {
        "report": report, "groupings": [forms.grouping_label(g) for g in report.groupings], "as_of": as_of_text()})


@_reader
def cases(request, code: str):
    report = _report(code)
    if report.cases is None:
        raise Http404("本报表没有办件明细。")
    try:
        filters = forms.parse(report, request.GET, request.user)
        key, column = _drill_target(report, filters, request.GET)
        found = report.cases(filters.ask, key, column.code)
    except FilterError as error:
        return _failed(request, report, error.errors, error.status)
    except AskError as error:
        return _failed(request, report, {"column": str(error)}, 400)
    if found is None:
        return _failed(request, report, {"column": f"“{column.label}”没有办件明细。"}, 400)
    # The page lists what the user may see anyway: the scope is already forced to their department.
    found = found.filter(filters.ask.scope.q()).select_related("version", "department").order_by("-received_at", "-pk")
    page = Paginator(found, CASES_PAGE_SIZE).get_page(request.GET.get("page"))
    names = present.key_names([key], tuple(key))
    described = [(present.grouping_head(g), present.key_label(g, v, names)) for g, v in key.items()]
    back = filters.query()
    more = {present.KEY_PREFIX + g: present.key_value(v) for g, v in key.items()}
    return render(request, "reports/cases.html", {
        "report": report, "filters": filters, "column": column, "key_described": described, "page": page,
        "back": back, "page_query": filters.query(**more, column=column.code), "as_of": as_of_text()})


def _drill_target(report: Report, filters: Filters, data) -> tuple[dict, object]:
    code = (data.get("column") or "").strip()
    column = next((c for c in report.columns if c.code == code), None)
    if column is None or not column.drill:
        raise FilterError({"column": f"栏目“{code}”不存在或不能查看办件明细。" if code else "请选择要查看明细的栏目。"})
    key = {}
    for grouping in filters.ask.by:
        name = present.KEY_PREFIX + grouping
        if name not in data:
            continue
        try:
            key[grouping] = present.parse_key(grouping, data.get(name).strip())
        except ValueError:
            raise FilterError({name: f"分组值“{data.get(name)}”不正确。"}) from None
    prefix = present.KEY_PREFIX
    unknown = [k for k in data if k.startswith(prefix) and k[len(prefix):] not in filters.ask.by]
    if unknown:
        raise FilterError({unknown[0]: "明细的分组与报表的分组不一致，请从报表中点击数字进入。"})
    return key, column


@_reader
def export(request, code: str):
    report = _report(code)
    try:
        filters = forms.parse(report, request.GET, request.user)
        rows, total = _computed(report, filters)
    except FilterError as error:
        return _failed(request, report, error.errors, error.status)
    except AskError as error:
        return _failed(request, report, {"report": str(error)}, 400)
    body = report_workbook(report, filters, rows, total, as_of_text())
    response = HttpResponse(body, content_type=spreadsheets.CONTENT_TYPE)
    audit.record("export.report", request=request, target=f"report:{report.code}", report=report.code,
                 filters=filters.chosen, rows=len(rows))
    name = f"{report.title}-{filters.period_code or f'{filters.ask.first:%Y%m%d}-{filters.ask.last:%Y%m%d}'}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
