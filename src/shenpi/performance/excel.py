"""The ranking as an Excel workbook (openpyxl): the ranking, the indicators, and the scheme it was scored with."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shenpi import clock

from .indicators import LEVELS
from .measures import MEASURES
from .present import DASH, INDICATOR_COLUMNS, number, ranking_header, ranking_values
from .services import IndicatorTable, Ranking

_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1D4F91")


def ranking_workbook(ranking: Ranking, table: IndicatorTable) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "考核排名"
    _table(sheet, ranking_header(ranking), [ranking_values(ranking, row) for row in ranking.rows])
    indicators = book.create_sheet("考核指标")
    head = ["名称"] + ([] if table.level == "department" else ["所属部门"])
    rows = []
    for subject, ind in table.rows:
        names = [subject.name] + ([] if table.level == "department" else [subject.department_name])
        rows.append([*names, *[number(column.get(ind), column.kind) for column in INDICATOR_COLUMNS]])
    if table.total is not None:
        rows.append(["合计", *[number(column.get(table.total), column.kind) for column in INDICATOR_COLUMNS]])
    units = {"rate": "(%)", "days": "", "count": ""}
    _table(indicators, [*head, *[c.label + units[c.kind] for c in INDICATOR_COLUMNS]], rows)
    _scheme_sheet(book.create_sheet("考核方案"), ranking)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table(sheet, header: list[str], rows: list[list]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        # An empty cell would read as zero to anyone summing the column: "—" says there is no figure.
        sheet.append([DASH if value is None else value for value in row])
    sheet.freeze_panes = "C2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    for index, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, min(30, len(str(title)) * 2 + 2))


def _scheme_sheet(sheet, ranking: Ranking) -> None:
    scheme = ranking.scheme
    sheet.append(["考核单位", settings.CENTRE_NAME])
    sheet.append(["考核期间", ranking.period.label])
    sheet.append(["考核对象", LEVELS[ranking.level]])
    sheet.append(["考核方案", scheme.scheme.name])
    sheet.append(["基准分", float(scheme.scheme.base)])
    floor = "（扣完为止）" if scheme.scheme.floor_at_zero else ""
    sheet.append(["计分方法", f"月度得分 = 各考核项得分之和 − 扣分 + 加分{floor}；"
                              "季度、半年、年度得分为各月得分的平均值。"])
    sheet.append(["导出时间", timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M")])
    sheet.append([])
    sheet.append(["考核项", "权重(%)", "评分方式", "计算指标", "考核内容"])
    for area in scheme.areas:
        measure = MEASURES[area.measure].label if area.measure in MEASURES else ""
        sheet.append([area.name, float(area.weight), area.get_kind_display(), measure, area.description])
    sheet.append([])
    sheet.append(["扣分/加分", "依据指标", "每满", "分值", "月度上限"])
    for rule in scheme.deductions:
        sheet.append([f"扣分：{rule.name}", rule.get_indicator_display(), float(rule.every), -float(rule.points),
                      DASH if rule.cap is None else float(rule.cap)])
    for rule in scheme.bonuses:
        sheet.append([f"加分：{rule.name}", rule.get_indicator_display(), float(rule.every), float(rule.points),
                      DASH if rule.cap is None else float(rule.cap)])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["E"].width = 60
