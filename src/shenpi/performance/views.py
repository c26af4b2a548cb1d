"""Performance pages: indicators, the ranking with its breakdown and Excel export, manual scores.

Each view reads the period and level from the query string, calls one service and renders it.
Who sees which rows is decided by shenpi.performance.services.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode

from shenpi import clock, spreadsheets
from shenpi.accounts.access import forbidden, staff_required
from shenpi.catalog.models import Department
from shenpi.security import audit

from . import services
from .excel import ranking_workbook
from .indicators import LEVELS
from .measures import MEASURES, SHARED
from .models import ManualScore
from .periods import KIND_LABELS, Period, recent
from .present import INDICATOR_COLUMNS, points_label, text
from .scoring import NoScheme, Scheme
from .services import AssessmentError

XLSX = spreadsheets.CONTENT_TYPE


def _assessor(view):
    """Staff with a role and a department, or centre-wide roles."""

    @staff_required
    def wrapper(request, *args, **kwargs):
        if not services.may_assess(request.user):
            return forbidden(request, "您的账号未归属部门，无法查看绩效考核。")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


def _choice(request, default: Period) -> tuple[Period, str]:
    """The period and level asked for; bad values raise AssessmentError."""
    raw = request.GET.get("period", "").strip()
    period = services.parse_period(raw) if raw else default
    level = services.check_level(request.GET.get("level", "department") or "department")
    return period, level


def _period_options(chosen: Period | None) -> list[tuple[str, list[tuple[str, str]]]]:
    periods = recent(clock.today())
    if chosen is not None and chosen not in periods:
        periods.append(chosen)
    groups: dict[str, list[tuple[str, str]]] = {}
    for period in sorted(periods, reverse=True):
        groups.setdefault(KIND_LABELS[period.kind], []).append((period.code, period.label))
    return [(label, groups[label]) for label in KIND_LABELS.values() if label in groups]


def _context(request, period: Period | None, level: str, **extra) -> dict:
    return {"period": period, "level": level, "level_label": LEVELS[level], "levels": LEVELS.items(),
            "period_options": _period_options(period),
            "may_enter_scores": services.may_enter_scores(request.user), "sees_all": services.sees_all(request.user),
            "query": urlencode({"period": period.code if period else "", "level": level}),
            "shared_definitions": [(m.label, m.description) for m in (MEASURES[c] for c in SHARED)], **extra}


def _failed(request, template: str, error: AssessmentError | NoScheme, level: str = "department"):
    message = error.message if isinstance(error, AssessmentError) else str(error)
    status = error.status if isinstance(error, AssessmentError) else 409
    return render(request, template, _context(request, None, level, error=message), status=status)


# -- indicators ----------------------------------------------------------------------------------------

@_assessor
def indicators(request):
    try:
        period, level = _choice(request, Period.month_of(clock.today()))
        table = services.indicator_table(period, level, request.user)
    except AssessmentError as error:
        return _failed(request, "performance/indicators.html", error, _safe_level(request))
    rows = [(subject, [text(c.get(ind), c.kind) for c in INDICATOR_COLUMNS]) for subject, ind in table.rows]
    total = [text(c.get(table.total), c.kind) for c in INDICATOR_COLUMNS] if table.total is not None else None
    return render(request, "performance/indicators.html", _context(
        request, period, level, table=table, columns=INDICATOR_COLUMNS, rows=rows, total=total))


def _safe_level(request) -> str:
    level = request.GET.get("level", "department")
    return level if level in LEVELS else "department"


# -- ranking and export --------------------------------------------------------------------------------

def _default_ranking_period() -> Period:
    """The last complete month: a month is assessed once it is over."""
    return Period.month_of(clock.today()).previous()


@_assessor
def ranking(request):
    try:
        period, level = _choice(request, _default_ranking_period())
        result = services.assess(period, level, user=request.user)
    except (AssessmentError, NoScheme) as error:
        return _failed(request, "performance/ranking.html", error, _safe_level(request))
    charts = _charts(result, services.trend(result, user=request.user)) if result.rows else None
    heads = [{"name": area.name, "kind": area.get_kind_display(), "weight": f"{area.weight.normalize():f}",
              "full": points_label(full)} for area, full in result.area_heads()]
    return render(request, "performance/ranking.html", _context(
        request, period, level, ranking=result, rows=[_row(result, row) for row in result.rows],
        areas=heads, colspan=_columns(result, len(heads)), incomplete=len(result.incomplete),
        charts=charts, charts_json=json.dumps(charts, ensure_ascii=False) if charts else ""))


def _columns(result: services.Ranking, areas: int) -> int:
    """Columns of the ranking table on the page, for the breakdown row under each subject."""
    names = 2 if result.level == "department" else 3
    if result.single_month:
        return names + 1 + areas + 2
    return names + 2 + len(result.months)


def _score(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _charts(result: services.Ranking, trend: services.Trend) -> dict:
    """What the ranking's two charts draw (performance.js): the scores in rank order, and the monthly
    scores of the leading subjects over the last months."""
    return {
        "period": result.period.label,
        "ranking": [{"name": row.subject.name, "score": _score(row.score), "rank": row.rank} for row in result.rows],
        "months": [m.label for m in trend.months],
        "trend": [{"name": subject.name, "scores": [_score(v) for v in values]} for subject, values in trend.series],
        "base": float(result.scheme.scheme.base),
    }


def _row(result: services.Ranking, row) -> dict:
    out = {"rank": row.rank, "subject": row.subject, "score": text(row.score, "points"),
           "months": [_month(m) for m in row.months]}
    if result.single_month:
        out.update(out["months"][0])
    else:
        by_month = {m.month: m for m in row.months}
        out["month_cells"] = [text(by_month[m].score, "points") if m in by_month else "—" for m in result.months]
    return out


def _month(month) -> dict:
    return {
        "label": month.month.label,
        "score": text(month.score, "points"),
        "weighted": text(month.weighted, "points"),
        "deducted": text(month.deducted, "points"),
        "added": text(month.added, "points"),
        "not_entered": month.not_entered,
        "complete": month.complete,
        "areas": [{
            "name": a.area.name, "weight": f"{a.area.weight.normalize():f}", "source": a.source,
            "source_label": a.source_label, "value": text(a.value, "points"), "points": text(a.points, "points"),
            "full": points_label(a.full) if a.full is not None else "—", "manual": a.manual,
        } for a in month.areas if a.points is not None],
        "adjustments": [
            *[{"name": d.rule.name, "value": _adjusted_value(d), "points": f"−{text(d.points, 'points')}"}
              for d in month.deductions if d.points],
            *[{"name": b.rule.name, "value": _adjusted_value(b), "points": f"+{text(b.points, 'points')}"}
              for b in month.bonuses if b.points],
        ],
    }


def _adjusted_value(line) -> str:
    kind = "count" if line.rule.indicator in ("warnings", "yellow_cards", "red_cards", "complaints") else "rate"
    return text(line.value, kind)


@_assessor
def export(request):
    try:
        period, level = _choice(request, _default_ranking_period())
        result = services.assess(period, level, user=request.user)
        table = services.indicator_table(period, level, request.user, computed=result.computed)
    except (AssessmentError, NoScheme) as error:
        return _failed(request, "performance/ranking.html", error, _safe_level(request))
    response = HttpResponse(ranking_workbook(result, table), content_type=XLSX)
    audit.record("export.performance_ranking", request=request, target=f"performance:{period.code}:{level}",
                 period=period.code, level=level, rows=len(result.rows))
    name = f"绩效考核排名-{period.code}-{LEVELS[level]}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# -- manual scores ---------------------------------------------------------------------------------------

@staff_required
def manual(request):
    if not services.may_enter_scores(request.user):
        return forbidden(request, "人工评分由监察员或中心管理员录入。")
    try:
        areas = Scheme.load().manual_areas
    except NoScheme as error:
        return _manual_page(request, None, [], error=str(error), status=409)
    source = request.POST if request.method == "POST" else request.GET
    try:
        month = _month_asked(source.get("month", ""))
    except AssessmentError as error:
        return _manual_page(request, None, areas, error=error.message, status=400)
    area = next((a for a in areas if a.code == source.get("area")), areas[0] if areas else None)
    departments = list(Department.objects.order_by("sort", "code"))
    errors: dict[int, str] = {}
    if request.method == "POST" and area is not None:
        entries, errors = _typed_scores(request.POST, departments)
        if not errors:
            try:
                result = services.enter_manual_scores(actor=request.user, area=area, month=month, entries=entries)
            except AssessmentError as error:
                return _manual_page(request, month, areas, area=area, error=error.message, status=error.status)
            messages.success(request, f"{month.label}“{area.name}”评分已保存：新增{result.created}项，"
                                      f"修改{result.updated}项，删除{result.removed}项。")
            return redirect(reverse("performance:manual") + "?" + urlencode({"month": month.code, "area": area.code}))
    existing = {m.department_id: m for m in ManualScore.objects.filter(area=area, month=month.first)
                .select_related("entered_by")} if area else {}
    rows = []
    for dept in departments:
        entry = existing.get(dept.pk)
        typed = errors and request.POST
        rows.append({
            "department": dept, "entry": entry, "error": errors.get(dept.pk),
            "score": request.POST.get(f"score-{dept.pk}", "") if typed else _score_text(entry),
            "note": request.POST.get(f"note-{dept.pk}", "") if typed else getattr(entry, "note", ""),
        })
    return _manual_page(request, month, areas, area=area, rows=rows,
                        error="请更正标出的评分，本次未保存任何评分。" if errors else None,
                        status=400 if errors else 200)


def _manual_page(request, month: Period | None, areas, *, status: int = 200, **extra):
    return render(request, "performance/manual.html", _context(
        request, month, "department", areas=areas, month_options=_months(month), **extra), status=status)


def _month_asked(raw: str) -> Period:
    month = services.parse_period(raw.strip()) if raw.strip() else _default_ranking_period()
    if month.kind != "month":
        raise AssessmentError("人工评分按月录入，请选择月份。")
    services.check_period(month)
    return month


def _typed_scores(data, departments) -> tuple[dict, dict[int, str]]:
    entries, errors = {}, {}
    for dept in departments:
        note = data.get(f"note-{dept.pk}", "").strip()
        try:
            entries[dept.pk] = (services.parse_score(data.get(f"score-{dept.pk}", "")), note)
        except ValueError as error:
            errors[dept.pk] = str(error)
    return entries, errors


def _score_text(entry: ManualScore | None) -> str:
    return "" if entry is None else f"{entry.score.normalize():f}"


def _months(chosen: Period | None = None) -> list[tuple[str, str]]:
    months = [p for p in recent(clock.today()) if p.kind == "month"]
    if chosen is not None and chosen not in months:
        months.append(chosen)
    return [(m.code, m.label) for m in sorted(months, reverse=True)]
