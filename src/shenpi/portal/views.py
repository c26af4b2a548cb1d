"""The public site (政务服务网): home, 办事指南, departments, the progress query and the publicity boards.

No page here needs a login. Each view reads through guides, progress or publicity and renders; the
rules (what is public, what is masked, the query's rate limit) live in those modules.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import PurePath
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, QueryDict
from django.shortcuts import render
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from shenpi.catalog.models import Department, ItemVersion
from shenpi.web import client_address

from . import guides, progress, publicity

GUIDE_PAGE_SIZE = 20



def not_found(request, message: str):
    return render(request, "portal/not_found.html", {"message": message}, status=404)


def home(request):
    facets = guides.facets()
    return render(request, "portal/home.html", {
        "themes": facets.themes, "types": facets.types, "departments": facets.departments,
        "recent": publicity.case_board().rows[:6],
        "results": publicity.result_board().rows[:6],
    })


# -- 办事指南 -------------------------------------------------------------------------------------

def _setting(params: QueryDict, key: str) -> Callable[[str], str]:
    """Addresses that set `key` in the current query and drop the page, as `{% querystring key=… page=None %}`.

    The department list links every department with items (dozens): encoding the rest of the
    query once, rather than once per link, takes most of the cost out of rendering the guide page.
    """
    changed = params.copy()
    changed.pop("page", None)
    changed[key] = ""
    keys = list(changed)
    position = keys.index(key)
    before, after = QueryDict(mutable=True), QueryDict(mutable=True)
    for name in keys[:position]:
        before.setlist(name, changed.getlist(name))
    for name in keys[position + 1:]:
        after.setlist(name, changed.getlist(name))
    head, tail = before.urlencode(), after.urlencode()

    def link(value: str) -> str:
        return "?" + "&".join(part for part in (head, urlencode({key: value}), tail) if part)

    return link


def _department_links(request, filters: guides.Filters, departments) -> str:
    """The department list's items, built here: dozens of links rendered by the template engine, four
    variables each, cost more than the rest of the page. format_html escapes like the template."""
    link = _setting(request.GET, "department")
    chosen = filters.department.pk if filters.department is not None else None
    current = mark_safe(' aria-current="true"')  # noqa: S308 - a constant
    return format_html_join(
        "\n", '<li><a href="{}"{}>{}<span class="count">{}</span></a></li>',
        ((link(d.code), current if d.pk == chosen else "", d.short_name or d.name, d.item_count)
         for d in departments))


def guide(request):
    filters = guides.Filters.from_params(request.GET)
    found = guides.search(filters)
    page = Paginator(found.ids, GUIDE_PAGE_SIZE).get_page(request.GET.get("page"))
    facets = guides.facets(filters)
    return render(request, "portal/guide.html", {
        "filters": filters, "page": page, "versions": guides.load(page.object_list), "similar": found.similar,
        "rewritten": found.rewritten[:3],
        "themes": facets.themes, "types": facets.types,
        "department_links": _department_links(request, filters, facets.departments),
        "theme_label": guides.THEMES[filters.theme][0] if filters.theme else "",
        "type_label": ItemVersion.Type(filters.type).label if filters.type else "",
    })


def guide_item(request, code):
    version = guides.current_version(code)
    if version is None:
        return not_found(request, "该事项不存在或已停止办理，请在办事指南中重新查找。")
    return render(request, "portal/guide_item.html", {
        "version": version, "item": version.item, "department": version.item.department,
        "stages": guides.stages(version), "windows": guides.windows_with_hours(version.item.department),
        "forms": [m for m in version.materials.all() if m.template],
    })


def material_template(request, code, pk):
    spec = guides.material_template(code, pk)
    if spec is None:
        return not_found(request, "该材料没有可下载的表格模板。")
    extension = PurePath(spec.template.name).suffix
    content_type = mimetypes.guess_type(spec.template.name)[0] or "application/octet-stream"
    try:
        handle = spec.template.open("rb")
    except FileNotFoundError:
        return not_found(request, "表格模板文件暂时无法下载，请到窗口领取。")
    # Always an attachment: an uploaded template is never rendered in the site's own origin.
    return FileResponse(handle, as_attachment=True, filename=f"{spec.name}{extension}", content_type=content_type)


# -- departments ----------------------------------------------------------------------------------

def departments(request):
    counts = {d.pk: d.item_count for d in guides.facets().departments}
    rows = list(Department.objects.select_related("parent"))
    for department in rows:
        department.item_count = counts.get(department.pk, 0)
    levels = [(label, [d for d in rows if d.level == value]) for value, label in Department.Level.choices]
    return render(request, "portal/departments.html", {"levels": [(label, ds) for label, ds in levels if ds]})


def department(request, code):
    dept = Department.objects.select_related("parent").filter(code=code).first()
    if dept is None:
        return not_found(request, "没有这个部门，请从部门列表中选择。")
    return render(request, "portal/department.html", {
        "department": dept,
        "windows": dept.windows.all(),
        "on_duty": guides.on_duty(dept),
        "items": guides.department_items(dept),
        "children": dept.children.all(),
    })


# -- 进度查询 -------------------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def query(request):
    """GET shows the form (a notice's QR code fills in the number); POST answers with the progress."""
    source = request.POST if request.method == "POST" else request.GET
    context = {"number": progress.normalise_number(source.get("number", ""))[:40],
               "attempts": settings.QUERY_ATTEMPTS,
               "window_minutes": settings.QUERY_WINDOW_MINUTES}
    if request.method != "POST":
        return render(request, "portal/query.html", context)
    ip = client_address(request)
    if progress.is_limited(ip):
        context["error"] = (f"查询失败次数过多，请{settings.QUERY_WINDOW_MINUTES}分钟后再试。"
                            "如忘记查询密码，请携带身份证件到受理窗口查询。")
        return render(request, "portal/query.html", context, status=429)
    code = request.POST.get("code", "").strip()
    if not context["number"] or not code:
        context["error"] = "请填写办件编号和查询密码。"
        return render(request, "portal/query.html", context, status=400)
    case = progress.find(context["number"], code)
    if case is None:
        progress.count_failure(ip)
        context["error"] = progress.WRONG
        return render(request, "portal/query.html", context)
    context["progress"] = progress.progress(case)
    return render(request, "portal/query.html", context)


# -- 办件公示 / 结果公示 --------------------------------------------------------------------------

def _board_department(request) -> Department | None:
    code = request.GET.get("department", "").strip()
    return Department.objects.filter(code=code).first() if code else None


def case_board(request):
    department = _board_department(request)
    board = publicity.case_board(department=department, before=request.GET.get("before"),
                                 after=request.GET.get("after"))
    return render(request, "portal/case_board.html", {
        "board": board, "department": department, "departments": guides.facets().departments,
    })


def result_board(request):
    department = _board_department(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in publicity.RESULT_KINDS else ""
    board = publicity.result_board(kind=kind, department=department, before=request.GET.get("before"),
                                   after=request.GET.get("after"))
    return render(request, "portal/result_board.html", {
        "board": board, "department": department, "departments": guides.facets().departments,
        "kind": kind, "kinds": publicity.RESULT_KINDS.items(),
    })
