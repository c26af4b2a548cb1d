"""The security events found by the audit page as an Excel workbook: title, filters, readable widths."""

from __future__ import annotations

import io
import json
import unicodedata

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shenpi import clock

from .actions import label
from .models import SecurityEvent

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["序号", "时间", "事件", "事件代码", "结果", "用户", "地址", "对象", "详情", "浏览器"]
_MAX_WIDTH = {"详情": 60, "浏览器": 40, "对象": 36}
_HEAD_ROW = 3
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1D4F91")


def workbook(rows, *, title: str, conditions: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "安全审计记录"
    sheet.append([title])
    sheet.append([conditions])
    sheet.append(HEADER)
    last = get_column_letter(len(HEADER))
    sheet.merge_cells(f"A1:{last}1")
    sheet.merge_cells(f"A2:{last}2")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    sheet["A2"].font = Font(size=10, color="555555")
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 30
    for cell in sheet[_HEAD_ROW]:
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
    widths = [_width(h) for h in HEADER]
    for n, event in enumerate(rows, start=1):
        values = _values(n, event)
        sheet.append(values)
        widths = [max(w, _width(v)) for w, v in zip(widths, values, strict=True)]
    for index, (head, width) in enumerate(zip(HEADER, widths, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, _MAX_WIDTH.get(head, 30)) + 2
    sheet.freeze_panes = f"A{_HEAD_ROW + 1}"
    sheet.auto_filter.ref = f"A{_HEAD_ROW}:{last}{sheet.max_row}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _values(n: int, event: SecurityEvent) -> list:
    return [n, timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"), label(event.action), event.action,
            event.get_outcome_display(), event.username or "—", event.address or "—", event.target or "—",
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
            event.user_agent]


def conditions_line(filters: dict, labels: dict, count: int) -> str:
    parts = [f"{labels[name]}：{value}" for name, value in filters.items()] or ["全部记录"]
    parts.append(f"共 {count} 条")
    parts.append(f"导出时间：{timezone.localtime(clock.now()):%Y-%m-%d %H:%M}")
    return "　".join(parts)


def _width(value) -> int:
    """Characters a cell shows, a Chinese character counting two."""
    if value is None:
        return 0
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))
