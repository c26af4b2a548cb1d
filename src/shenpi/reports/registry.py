"""The standard report set (标准报表): what a report is, and the register of all of them.

A report is declared once (`Report`) and registered (`register`); the pages (list, report with its
filters, table and chart, drill-down, definition page), the Excel export and the print layout
are generic and read only this declaration. Figures come from the aggregates of shenpi.figures
(or, for lists, from an indexed query), never from a full table scan.

- `rows(ask)` returns the table: one dict per row, holding the grouping key(s) named by
  `ask.by` and one value per column code. Counts are ints, rates Fractions or None, days Fractions.
- `cases(ask, key, column)` returns the cases behind one cell (drill-down), as a Case queryset;
  `key` is the row's grouping values (a dict), `column` the column code. None: no drill-down.
- `definition` says exactly which cases are counted; each column has its own `definition`, taken
  from the one home of that figure (shenpi.figures.counters / shenpi.figures.definitions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from shenpi.figures.query import Scope

# How a column's values are shown and exported.
KINDS = ("count", "rate", "days", "money", "text", "date")


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    kind: str = "count"
    definition: str = ""
    drill: bool = True  # a cell of this column links to the cases behind it (when the report has `cases`)


@dataclass(frozen=True)
class Ask:
    """What the user asked for: the period (local days), the filters, the grouping."""

    first: dt.date
    last: dt.date
    scope: Scope = field(default_factory=Scope)
    by: tuple[str, ...] = ()
    district: int | None = None   # a department of level district/town, already expanded into scope
    extra: dict = field(default_factory=dict)  # a report's own filters (e.g. level, kind)


@dataclass(frozen=True)
class Report:
    code: str                      # in URLs: /reports/<code>/
    title: str
    group: str                     # 办件量, 时效, 网办, 过程, 评价与投诉, 收费, 监察, 项目, 对比
    definition: str
    columns: tuple[Column, ...]
    rows: Callable[[Ask], list[dict]]
    groupings: tuple[str, ...] = ("department",)   # what the rows may be grouped by; first is the default
    cases: Callable[[Ask, dict, str], object] | None = None
    chart: str = "bar"             # bar | line | pie | histogram | none
    filters: tuple[str, ...] = ("period", "department", "item", "channel", "window", "district")
    # The aggregates it reads (counter names of shenpi.figures.counters, or another family's name): the
    # benchmark times the same figures by a plain GROUP BY over the source rows for comparison.
    reads: tuple[str, ...] = ()
    # The table ends with a total row, computed by `rows` over the same ask without grouping (by=()):
    # a rate's total is not the sum of the rows' rates. False for lists and for tables with no total.
    total: bool = True


class AskError(ValueError):
    """A report's own filter (Ask.extra) it cannot work with; the message is shown to the user (400)."""


REPORTS: dict[str, Report] = {}
GROUPS: dict[str, list[Report]] = {}


def register(report: Report) -> Report:
    if report.code in REPORTS:
        raise ValueError(f"report {report.code} registered twice")
    REPORTS[report.code] = report
    GROUPS.setdefault(report.group, []).append(report)
    return report
