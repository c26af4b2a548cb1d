"""The security events found by the audit page as an Excel workbook: title, filters, readable widths."""

from __future__ import annotations

import json

from django.utils import timezone
from openpyxl import Workbook

from shenpi import clock
from shenpi.spreadsheets import saved, titled_table

from .actions import label
from .models import SecurityEvent

HEADER = ["序号", "时间", "事件", "事件代码", "结果", "用户", "地址", "对象", "详情", "浏览器"]
_WIDEST_OF = {"详情": 62, "浏览器": 42, "对象": 38}


def workbook(rows, *, title: str, conditions: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "安全审计记录"
    titled_table(sheet, title, conditions, HEADER, [_values(n, event) for n, event in enumerate(rows, start=1)],
                 widest=32, widest_of=_WIDEST_OF)
    return saved(book)


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
