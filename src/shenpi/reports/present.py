"""A report's rows as a table for people: the row names, the values written out, the total, the chart.

Generic over every report: the grouping keys of a row (ids, channel codes, dates) are named here,
values are written by their column's kind (rates in percent with one decimal, days with one,
"—" where there is no figure), and the keys travel in drill-down links as `k_<grouping>=<value>`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from shenpi.cases.models import Channel
from shenpi.catalog.models import Department, Window

from .forms import GROUPING_LABELS, Filters, item_names
from .registry import Report

DASH = "—"
KEY_PREFIX = "k_"
NUMERIC = ("count", "rate", "days", "money")
NO_WINDOW = "（无窗口）"


# -- values ----------------------------------------------------------------------------------------------

def rounded(value, places: int) -> Decimal:
    """Half up, from the exact value (a rate is a Fraction): 2.25 days is 2.3, as people round."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(str(value))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def text(value, kind: str) -> str:
    """A value as the page shows it."""
    if value is None:
        return DASH
    if kind == "count":
        return f"{int(value):,}"
    if kind == "rate":
        return f"{rounded(value, 1)}%"
    if kind == "days":
        return f"{rounded(value, 1)}"
    if kind == "money":
        return f"{rounded(value, 2):,}"
    if kind == "date":
        return value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else str(value)
    return str(value)


def number(value, kind: str):
    """A value as the spreadsheet stores it: a number where it is one (rates in percent, one decimal)."""
    if value is None:
        return None
    if kind == "count":
        return int(value)
    if kind in ("rate", "days"):
        return float(rounded(value, 1))
    if kind == "money":
        return float(rounded(value, 2))
    if kind == "date":
        return value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else str(value)
    return str(value)


def chart_value(value, kind: str):
    if value is None or kind not in NUMERIC:
        return None
    return int(value) if kind == "count" else float(rounded(value, 2 if kind == "money" else 1))


# -- row names -------------------------------------------------------------------------------------------

def key_names(rows: list[dict], by: tuple[str, ...]) -> dict[str, dict]:
    """For each grouping, the name of every value in the rows (one query per kind of id)."""
    names: dict[str, dict] = {}
    for grouping in by:
        values = {row.get(grouping) for row in rows}
        ids = [v for v in values if isinstance(v, int)]
        if grouping in ("department", "district"):
            names[grouping] = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
        elif grouping == "item":
            names[grouping] = item_names(ids)
        elif grouping == "window":
            names[grouping] = {w.pk: str(w) for w in Window.objects.filter(pk__in=ids)}
        else:
            names[grouping] = {}
    return names


def key_label(grouping: str, value, names: dict[str, dict]) -> str:
    if grouping in names and value in names[grouping]:
        return names[grouping][value]
    if value is None:
        return NO_WINDOW if grouping == "window" else DASH
    if grouping == "channel":
        return Channel(value).label if value in Channel.values else str(value)
    if grouping == "month" and isinstance(value, dt.date):
        return f"{value.year}年{value.month}月"
    if grouping == "day" and isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if grouping == "year":
        return f"{value}年"
    if grouping == "hour":
        return f"{value}:00–{value}:59"
    return str(value)


def key_value(value) -> str:
    """A grouping value as it travels in a link."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse_key(grouping: str, raw: str):
    """A link's grouping value back to what rows hold; ValueError when it is not one."""
    if raw == "":
        return None
    if grouping in ("department", "item", "window", "district", "year", "hour"):
        return int(raw)
    if grouping in ("day", "month"):
        return dt.date.fromisoformat(raw)
    return raw


# -- the table -------------------------------------------------------------------------------------------

@dataclass
class Cell:
    text: str
    href: str = ""
    value: object = None


@dataclass
class Table:
    heads: list[tuple[str, bool]]  # the grouping heads, then the columns; whether right-aligned (numbers)
    rows: list[tuple[list[str], list[Cell]]]
    total: list[Cell] | None
    chart: dict | None


def drillable(report: Report, column, value) -> bool:
    if report.cases is None or not column.drill or value is None:
        return False
    return not (column.kind in NUMERIC and not value)


def table(report: Report, filters: Filters, rows: list[dict], total: dict | None, drill_url: str) -> Table:
    by = filters.ask.by
    names = key_names(rows, by)
    heads = [(grouping_head(g), False) for g in by] + [(c.label, c.kind in NUMERIC) for c in report.columns]
    out = []
    for row in rows:
        keys = {KEY_PREFIX + g: key_value(row.get(g)) for g in by}
        labels = [key_label(g, row.get(g), names) for g in by]
        out.append((labels, _cells(report, filters, row, keys, drill_url)))
    total_cells = _cells(report, filters, total, {}, drill_url) if total is not None else None
    return Table(heads, out, total_cells, chart(report, by, rows, total, names))


def grouping_head(grouping: str) -> str:
    return GROUPING_LABELS.get(grouping, grouping)


def _cells(report: Report, filters: Filters, row: dict, keys: dict, drill_url: str) -> list[Cell]:
    cells = []
    for column in report.columns:
        value = row.get(column.code)
        href = ""
        if drillable(report, column, value):
            href = f"{drill_url}?{filters.query(**keys, column=column.code)}"
        cells.append(Cell(text(value, column.kind), href, value))
    return cells


def chart(report: Report, by: tuple[str, ...], rows: list[dict], total: dict | None, names) -> dict | None:
    """What the report's chart draws (static/reports/reports.js): categories and series."""
    numeric = [c for c in report.columns if c.kind in NUMERIC]
    if report.chart == "none" or not numeric:
        return None
    if report.chart == "histogram":
        source = total if total is not None else _summed(rows, numeric)
        shown = [c for c in numeric if c.kind == numeric[0].kind]
        return {"type": "bar", "title": report.title, "categories": [c.label for c in shown],
                "series": [{"name": report.title, "data": [chart_value(source.get(c.code), c.kind)
                                                           for c in shown]}]}
    if not by or not rows:
        return None
    # The counts when the report has any (rates on their own axis would flatten them), else the rates.
    kind = "count" if any(c.kind == "count" for c in numeric) else numeric[0].kind
    shown = [c for c in numeric if c.kind == kind][:4]
    categories = [" / ".join(key_label(g, row.get(g), names) for g in by) for row in rows]
    if report.chart == "pie":
        column = shown[0]
        return {"type": "pie", "title": column.label, "categories": categories,
                "series": [{"name": column.label, "data": [chart_value(row.get(column.code), kind) for row in rows]}]}
    return {"type": "line" if report.chart == "line" else "bar", "title": report.title, "categories": categories,
            "unit": "%" if kind == "rate" else "",
            "series": [{"name": c.label, "data": [chart_value(row.get(c.code), kind) for row in rows]}
                       for c in shown]}


def _summed(rows: list[dict], columns) -> dict:
    return {c.code: sum((row.get(c.code) or 0) for row in rows) for c in columns if c.kind == "count"}
