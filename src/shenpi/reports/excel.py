"""A report as an Excel workbook: the titled table (title, filters, heads, rows, total) and its definition."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from shenpi import clock
from shenpi.spreadsheets import HEAD_ROW, saved, titled_table

from . import present
from .forms import Filters, grouping_label
from .registry import Report

UNITS = {"rate": "(%)", "days": "(工作日)", "money": "(元)"}
FORMATS = {"rate": "0.0", "days": "0.0", "money": "#,##0.00", "count": "0"}


def report_workbook(report: Report, filters: Filters, rows: list[dict], total: dict | None, as_of: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "报表"
    by = filters.ask.by
    names = present.key_names(rows, by)
    header = [present.grouping_head(g) for g in by] + [c.label + UNITS.get(c.kind, "") for c in report.columns]
    table = [[present.key_label(g, row.get(g), names) for g in by]
             + [present.number(row.get(c.code), c.kind) for c in report.columns] for row in rows]
    if total is not None:
        table.append(["合计", *[""] * (len(by) - 1), *[present.number(total.get(c.code), c.kind)
                                                    for c in report.columns]])
    conditions = f"{filters.conditions()}　{as_of}　导出时间：{timezone.localtime(clock.now()):%Y-%m-%d %H:%M}"
    titled_table(sheet, f"{settings.CENTRE_NAME}{report.title}", conditions, header, table,
                 frozen_columns=len(by))
    _number_formats(sheet, report, len(by), len(table))
    if total is not None:
        for cell in sheet[HEAD_ROW + len(table)]:
            cell.font = Font(bold=True)
    _definition_sheet(book.create_sheet("口径说明"), report, filters, as_of)
    return saved(book)


def _number_formats(sheet, report: Report, keys: int, count: int) -> None:
    """One decimal for rates and days (as the page shows them), thousands for money."""
    for offset, column in enumerate(report.columns, start=keys + 1):
        fmt = FORMATS.get(column.kind)
        if fmt is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=HEAD_ROW + 1, max_row=HEAD_ROW + count, min_col=offset, max_col=offset):
            if isinstance(cell.value, int | float):
                cell.number_format = fmt


def _definition_sheet(sheet, report: Report, filters: Filters, as_of: str) -> None:
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["统计口径", report.definition])
    sheet.append(["筛选条件", filters.conditions()])
    sheet.append(["可选分组", "、".join(grouping_label(g) for g in report.groupings)])
    sheet.append(["数据时间", as_of])
    sheet.append([])
    sheet.append(["栏目", "口径"])
    for cell in sheet[7]:
        cell.font = Font(bold=True)
    for column in report.columns:
        sheet.append([column.label + UNITS.get(column.kind, ""), column.definition or "—"])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
