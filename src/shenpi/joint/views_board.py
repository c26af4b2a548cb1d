"""The key-project board (重点项目跟踪督查), its monthly Excel report (专报) and each project's Gantt chart.

Supervisors and administrators see every key project; a lead department's staff see the projects
their department leads. Everyone else is told so.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from openpyxl import Workbook

from shenpi import clock, spreadsheets
from shenpi.accounts.access import forbidden, staff_required
from shenpi.errors import InvalidInput
from shenpi.security import audit
from shenpi.workdays.services import get_calendar

from . import board as board_queries
from .models import Project

NOT_YOURS = "重点项目跟踪督查仅向监察员、中心管理员和项目牵头部门开放。"


def _visible(request):
    return board_queries.visible_projects(request.user)


@staff_required
def key_projects(request):
    now = clock.now()
    try:
        result = board_queries.board(request.user, request.GET, get_calendar(), now)
    except InvalidInput as error:
        return render(request, "joint/key_projects.html", {"error": error.message, "result": None}, status=400)
    if result is None:
        return forbidden(request, NOT_YOURS)
    query = result.filters.query()
    today = result.today
    months = []
    first = today.replace(day=1)
    for _ in range(12):
        months.append((first.strftime("%Y-%m"), f"{first.year}年{first.month}月"))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return render(request, "joint/key_projects.html", {
        "result": result, "rows": result.rows, "page": result.page, "filters": result.filters,
        "options": result.options, "industries": [(c, board_queries.industry_label(c))
                                                  for c in result.options["industries"]],
        "query": urlencode(query), "months": months, "trends": board_queries.TRENDS,
        "sees_all": board_queries.may_see_all(request.user),
    })


@staff_required
def key_projects_export(request):
    projects = _visible(request)
    if projects is None:
        return forbidden(request, NOT_YOURS)
    now = clock.now()
    today = timezone.localdate(now)
    try:
        filters = board_queries.Filters.of(request.GET)
        first, last = board_queries.month_of(request.GET.get("month", ""), today)
    except InvalidInput as error:
        return render(request, "joint/key_projects.html", {"error": error.message, "result": None}, status=400)
    scope_key = "all" if board_queries.may_see_all(request.user) else f"dept{request.user.department_id}"
    options = board_queries.filter_options(projects, scope_key)
    calendar = get_calendar()
    rows = board_queries.report_rows(board_queries.filtered(projects, filters, today), calendar, today, first, last)
    as_of = min(today, last)
    behind = sum(1 for r in rows if r[17] == board_queries.TRENDS["behind"])
    book = Workbook()
    sheet = book.active
    sheet.title = f"{first.year}年{first.month}月"
    title = f"重点项目审批进度专报（{first.year}年{first.month}月）"
    conditions = (f"{filters.describe(options)}；数据截至{as_of.year}年{as_of.month}月{as_of.day}日；"
                  f"共{len(rows)}个项目，滞后{behind}个；导出时间{timezone.localtime(now):%Y-%m-%d %H:%M}")
    spreadsheets.titled_table(sheet, title, conditions, board_queries.REPORT_HEADER, rows, frozen_columns=3,
                              widest_of={"超期办件": 60, "项目名称": 40})
    audit.record("export.key_projects", request=request, target=f"key_projects:{first:%Y-%m}",
                 month=f"{first:%Y-%m}", rows=len(rows), filters=filters.query())
    response = HttpResponse(spreadsheets.saved(book), content_type=spreadsheets.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"重点项目专报-{first:%Y-%m}.xlsx")
    return response


def _project(request, code: str):
    projects = _visible(request)
    if projects is None:
        return None, forbidden(request, NOT_YOURS)
    project = projects.select_related("lead_department", "district").filter(code=code).first()
    if project is None:
        if Project.objects.filter(code=code, key_project=True).exists():
            return None, forbidden(request, "该项目不由您所在部门牵头，无法查看其进度。")
        raise Http404("没有这个重点项目。")
    return project, None


@staff_required
def project_gantt(request, code: str):
    project, refused = _project(request, code)
    if refused is not None:
        return refused
    today = clock.today()
    chart = board_queries.gantt(project, get_calendar(), today)
    row = board_queries.rows_for([project], get_calendar(), today)[0]
    return render(request, "joint/project_gantt.html", {"project": project, "chart": chart, "row": row})


@staff_required
def project_gantt_data(request, code: str):
    project, refused = _project(request, code)
    if refused is not None:
        return refused
    return JsonResponse(board_queries.gantt(project, get_calendar(), clock.today()),
                        json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("board/", key_projects, name="key_projects"),
    path("board/export.xlsx", key_projects_export, name="key_projects_export"),
    path("board/<str:code>/gantt/", project_gantt, name="project_gantt"),
    path("board/<str:code>/gantt.json", project_gantt_data, name="project_gantt_data"),
]
