"""The statistics home page's map of the districts (区县地图): each district or town that has an
outline (catalog.Department.outline) coloured by a figure of the period, a click leading to the 办件量
report filtered by it.

A district's figure counts the cases of every department in its subtree, the same expansion as the
reports' `district` filter (shenpi.reports.forms), intersected with the page's own scope; the counts
come from the aggregates (figures.query), the rates from figures.definitions like everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from django.urls import reverse

from shenpi.catalog.models import Department
from shenpi.catalog.outlines import NETWORK_LEVELS
from shenpi.figures import query
from shenpi.figures.counters import COUNTERS
from shenpi.figures.definitions import DERIVED

from . import present
from .forms import Filters
from .registry import REPORTS

TARGET_REPORT = "volume"  # 办件量: where a click on a district leads
# The figures a visitor may colour the map by: (code, kind), labels and definitions from their one home.
FIGURES = (("received", "count"), ("on_time_rate", "rate"), ("online_rate", "rate"))
LEVEL_LABELS = {"district": "区县", "town": "乡镇(街道)"}


def _figure(code: str) -> dict:
    source = COUNTERS[code] if code in COUNTERS else DERIVED[code]
    kind = dict(FIGURES)[code]
    return {"code": code, "label": source.label, "kind": kind, "unit": "%" if kind == "rate" else "件",
            "definition": source.definition}


def subtrees(areas: list[Department]) -> dict[int, set[int]]:
    """Each area's department and all below it, from one read of the department tree."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Department.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    found = {}
    for area in areas:
        ids, frontier = {area.pk}, [area.pk]
        while frontier:
            frontier = [child for pk in frontier for child in children[pk] if child not in ids]
            ids.update(frontier)
        found[area.pk] = ids
    return found


def area_values(filters: Filters, trees: dict[int, set[int]]) -> dict[int, dict]:
    """The map's figures of every area for the page's period and scope, from one query by department."""
    scope = filters.ask.scope
    wanted = set().union(*trees.values())
    if scope.departments:
        wanted &= set(scope.departments)
    names = sorted({code for code, _ in FIGURES if code in COUNTERS}
                   | {name for code, _ in FIGURES if code in DERIVED for name in DERIVED[code].reads})
    rows = query.totals(filters.ask.first, filters.ask.last, by=("department",), names=names,
                        scope=replace(scope, departments=tuple(sorted(wanted)) or (0,)))
    by_department = {row["department"]: row for row in rows}
    out = {}
    for area, subtree in trees.items():
        counts = dict.fromkeys(names, 0)
        for department in subtree & wanted:
            for name in names:
                counts[name] += by_department.get(department, {}).get(name, 0)
        out[area] = {code: present.chart_value(counts[code] if code in COUNTERS else DERIVED[code].of(counts), kind)
                     for code, kind in FIGURES}
    return out


def _link(filters: Filters, area: Department) -> str:
    if TARGET_REPORT not in REPORTS:
        return ""
    return f"{reverse('reports:report', args=[TARGET_REPORT])}?{filters.query(district=str(area.pk))}"


def district_map(filters: Filters) -> dict | None:
    """The map's data (static/reports/reports.js), or None when no district or town has an outline."""
    areas = list(Department.objects.filter(level__in=NETWORK_LEVELS, outline__isnull=False)
                 .only("pk", "name", "short_name", "level", "outline", "parent_id").order_by("sort", "code"))
    if not areas:
        return None
    trees = subtrees(areas)
    values = area_values(filters, trees)
    levels = []
    for level in NETWORK_LEVELS:
        chosen = [a for a in areas if a.level == level]
        if not chosen:
            continue
        features = [{"type": "Feature", "properties": {"key": str(a.pk), "name": a.short_name or a.name},
                     "geometry": a.outline} for a in chosen]
        levels.append({
            "level": level, "label": LEVEL_LABELS[level],
            "geo": {"type": "FeatureCollection", "features": features},
            "areas": [{"key": str(a.pk), "name": a.short_name or a.name, "title": a.name,
                       "url": _link(filters, a), "values": values[a.pk]} for a in chosen],
        })
    return {"levels": levels, "figures": [_figure(code) for code, _ in FIGURES]}
