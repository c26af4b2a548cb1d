"""The ranking as an Excel workbook (openpyxl): the ranking, the indicators, and the scheme it was scored with."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment

from shenpi import clock
from shenpi.spreadsheets import saved, titled_table

from .indicators import LEVELS
from .measures import MEASURES
from .present import DASH, INDICATOR_COLUMNS, number, ranking_header, ranking_values
from .services import IndicatorTable, Ranking

# Title, conditions, then the column heads.


def ranking_workbook(ranking: Ranking, table: IndicatorTable) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "考核排名"
    conditions = _conditions(ranking)
    titled_table(sheet, f"{ranking.period.label}{LEVELS[ranking.level]}绩效考核排名", conditions,
                 ranking_header(ranking), [ranking_values(ranking, row) for row in ranking.rows], frozen_columns=2)
    indicators = book.create_sheet("考核指标")
    head = ["名称"] + ([] if table.level == "department" else ["所属部门"])
    rows = []
    for subject, ind in table.rows:
        names = [subject.name] + ([] if table.level == "department" else [subject.department_name])
        rows.append([*names, *[number(column.get(ind), column.kind) for column in INDICATOR_COLUMNS]])
    if table.total is not None:
        rows.append(["合计", *[number(column.get(table.total), column.kind) for column in INDICATOR_COLUMNS]])
    units = {"rate": "(%)", "days": "", "count": ""}
    titled_table(indicators, f"{ranking.period.label}{LEVELS[table.level]}考核指标", conditions,
                 [*head, *[c.label + units[c.kind] for c in INDICATOR_COLUMNS]], rows, frozen_columns=2)
    _scheme_sheet(book.create_sheet("考核方案"), ranking)
    return saved(book)


def _conditions(ranking: Ranking) -> str:
    """What the sheet was filtered to, under its title: period, level, scheme, when."""
    parts = [f"考核期间：{ranking.period.label}", f"考核对象：{LEVELS[ranking.level]}",
             f"考核方案：{ranking.scheme.scheme.name}（基准分{float(ranking.scheme.scheme.base):g}）"]
    if not ranking.single_month:
        parts.append("得分为各月得分的平均值")
    if ranking.incomplete:
        parts.append(f"{len(ranking.incomplete)}个{LEVELS[ranking.level]}人工评分未录入完整，未录入项按0分计")
    parts.append(f"导出时间：{timezone.localtime(clock.now()):%Y-%m-%d %H:%M}")
    return "　".join(parts)


def _scheme_sheet(sheet, ranking: Ranking) -> None:
    scheme = ranking.scheme
    sheet.append(["考核单位", settings.CENTRE_NAME])
    sheet.append(["考核期间", ranking.period.label])
    sheet.append(["考核对象", LEVELS[ranking.level]])
    sheet.append(["考核方案", scheme.scheme.name])
    sheet.append(["基准分", float(scheme.scheme.base)])
    floor = "（扣完为止）" if scheme.scheme.floor_at_zero else ""
    sheet.append(["计分方法", f"月度得分 = 各考核项得分之和 − 扣分 + 加分{floor}；考核项得分 = 满分 × 得分率 ÷ 100，"
                              "满分 = 基准分 × 权重（窗口、个人只考核系统计算项，按其权重分配基准分）；"
                              "未录入的人工评分项按0分计，本月无办结件的系统计算项计满分；"
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
    sheet.column_dimensions["A"].width = 24
    for letter, width in (("B", 16), ("C", 12), ("D", 16)):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["E"].width = 60
    for row in sheet.iter_rows(min_col=5, max_col=5):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
