"""The audit administrator's pages: the security audit log, searched and exported to Excel.

Everyone else, superusers and system administrators included, is refused (403, and the refusal
is recorded by PermissionDeniedMiddleware): 三权分立, shenpi.security.separation.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from shenpi import clock, spreadsheets

from . import excel, separation
from .actions import label
from .audit import record
from .models import SecurityEvent
from .search import SearchForm, events

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


def audit_admin_required(view):
    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not separation.reads_security_log(request.user):
            return render(request, "workbench/forbidden.html", {"message": separation.refusal(request.user)},
                          status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _form(request) -> SearchForm:
    return SearchForm(request.GET)  # no filter at all is a valid search: every event, newest first


def _shown_filters(form: SearchForm) -> dict:
    filters = form.filters()
    if "outcome" in filters:
        filters["outcome"] = SecurityEvent.Outcome(filters["outcome"]).label
    return filters


@audit_admin_required
def search(request):
    form = _form(request)
    page, status = None, 200
    if not form.is_valid():
        status = 400
    else:
        page = Paginator(events(form), PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)  # read before this search is recorded in turn
        record("audit.viewed", request=request, target="security_log", page=page.number, filters=form.filters())
    rows = [{"event": e, "label": label(e.action)} for e in page.object_list] if page else []
    return render(request, "security/search.html", {"form": form, "page": page, "rows": rows}, status=status)


@audit_admin_required
def export(request):
    form = _form(request)
    if not form.is_valid():
        return render(request, "security/search.html", {"form": form, "page": None, "rows": []}, status=400)
    found = events(form)
    count = found.count()
    if count > EXPORT_LIMIT:
        form.add_error(None, f"符合条件的记录有 {count} 条，超过一次导出的上限 {EXPORT_LIMIT} 条，请缩小日期范围。")
        return render(request, "security/search.html", {"form": form, "page": None, "rows": []}, status=400)
    filters = _shown_filters(form)
    labels = {name: str(field.label) for name, field in form.fields.items()}
    content = excel.workbook(found.iterator(chunk_size=2000), title="安全审计记录",
                             conditions=excel.conditions_line(filters, labels, count))
    # Recorded once the file is made: an export that failed was not an export.
    record("export.security_log", request=request, target="security_log", rows=count, filters=form.filters())
    response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPE)
    name = f"安全审计记录-{timezone.localtime(clock.now()):%Y%m%d-%H%M}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
