"""The staff page of the monthly department reports: the list, and each report's PDF and Excel.

Supervisors and administrators see every department's reports; other staff with a department see
their own department's.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from shenpi import spreadsheets
from shenpi.accounts.access import forbidden, staff_required
from shenpi.figures.build import next_month
from shenpi.performance import services as performance

from .models import MonthlyReport
from .monthly import PDF_TYPE, first_working_day

CONTENT_TYPES = {"pdf": PDF_TYPE, "xlsx": spreadsheets.CONTENT_TYPE}


def _visible(user):
    reports = MonthlyReport.objects.select_related("department").defer("pdf", "xlsx")
    return reports if performance.sees_all(user) else reports.filter(department_id=user.department_id)


@staff_required
def monthly_list(request):
    if not performance.may_assess(request.user):
        return forbidden(request, "您的账号未归属部门，无法查看月度统计报告。")
    months: dict = {}
    for report in _visible(request.user):
        months.setdefault(report.month, []).append(report)
    groups = [{"month": month, "label": reports[0].label, "reports": reports,
               "due_on": first_working_day(next_month(month))} for month, reports in months.items()]
    return render(request, "reports/monthly.html", {"groups": groups,
                                                    "sees_all": performance.sees_all(request.user)})


@staff_required
def monthly_file(request, pk: int, extension: str):
    if extension not in CONTENT_TYPES:
        raise Http404
    if not performance.may_assess(request.user):
        return forbidden(request, "您的账号未归属部门，无法查看月度统计报告。")
    report = _visible(request.user).defer(None).filter(pk=pk).first()
    if report is None:
        raise Http404("没有这份月度统计报告，或您无权查看。")
    response = HttpResponse(bytes(getattr(report, extension)), content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = content_disposition_header(extension == "xlsx", report.filename(extension))
    return response
