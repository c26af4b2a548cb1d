"""Application forms (申请表) as Excel workbooks, from an item's catalogue entry and its own fields.

A form has what every window's paper form has: the applicant block for the item's 服务对象 (a
person, an organisation, or either), the item's own fields (工程名称, 建设地点 …), the materials
list with a box to tick, the applicant's declaration and signature, and the window's receipt
record. It is laid out for A4 paper, one page wide, and opens in Excel, WPS and LibreOffice.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from shenpi import spreadsheets

CONTENT_TYPE = spreadsheets.CONTENT_TYPE
FONT = "宋体"
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SECTION_FILL = PatternFill("solid", fgColor="E8EEF7")
# Fields whose answer takes several lines on paper.
_LONG = ("范围", "说明", "情况", "理由", "内容", "概况", "用途", "方案", "地址", "地点", "住所")
COLUMNS = {"A": 34, "B": 58}
DECLARATION = ("本人（单位）承诺：所填写内容和提交的申请材料真实、合法、有效，复印件与原件一致；"
               "如有不实，愿承担由此产生的一切法律责任。")


@dataclass(frozen=True)
class FormMaterial:
    name: str
    form: str  # 原件 / 复印件 …
    copies: int
    required: bool


PERSON_FIELDS = ("姓名", "性别", "居民身份证号码", "联系电话", "住址")
ORGANISATION_FIELDS = ("单位名称", "统一社会信用代码", "法定代表人(负责人)", "法定代表人身份证号码", "联系人",
                       "联系电话", "单位地址")
EITHER_FIELDS = ("申请人类型", "申请人名称(姓名)", "统一社会信用代码/身份证号码", "法定代表人(负责人)", "联系人",
                 "联系电话", "地址(住所)")


def application_form(*, title: str, item_name: str, item_code: str, department: str, audience: str,
                     fields: Sequence[str], materials: Sequence[FormMaterial]) -> bytes:
    """The workbook's bytes. `audience` is the item's: "person", "organisation" or "both".

    Two columns, question and answer, without merged cells but the title's: merged ranges cost
    openpyxl most of a workbook's time, and a form reads as well without them.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "申请表"
    for column, width in COLUMNS.items():
        sheet.column_dimensions[column].width = width
    writer = _Writer(sheet)
    writer.title(title, f"事项：{item_name}\n事项编码：{item_code}    实施部门：{department}")
    writer.section("一、申请人信息")
    applicant = {"person": PERSON_FIELDS, "organisation": ORGANISATION_FIELDS}.get(audience, EITHER_FIELDS)
    for name in applicant:
        writer.pair(name, "□ 个人        □ 法人或其他组织" if name == "申请人类型" else "",
                    lines=2 if any(word in name for word in _LONG) else 1)
    writer.section("二、申请事项")
    for name in fields:
        writer.pair(name, lines=3 if any(word in name for word in _LONG) else 1)
    writer.section("三、申请材料清单（请在已提交的材料后打“√”）")
    for number, material in enumerate(materials, start=1):
        need = "必需" if material.required else "视情况提交"
        writer.pair(f"{number}. {material.name}", f"{material.form} {material.copies}份；{need}        已提交 □",
                    lines=2 if len(material.name) > 14 else 1)
    writer.section("四、申请人承诺")
    writer.pair("承诺", DECLARATION, lines=3)
    writer.pair("申请人（签字/盖章）", "")
    writer.pair("日期", "        年      月      日")
    writer.section("五、受理记录（以下由窗口工作人员填写）")
    for name in ("收件人", "收件日期", "办件编号"):
        writer.pair(name)
    _page_setup(sheet, writer.row - 1)
    out = io.BytesIO()
    book.properties.title = title
    book.properties.creator = department
    book.save(out)
    return out.getvalue()


class _Writer:
    """Rows written top to bottom: a question (bold) and the space for its answer."""

    def __init__(self, sheet: Worksheet):
        self.sheet = sheet
        self.row = 1
        self.label = Font(name=FONT, bold=True, size=11)
        self.plain = Font(name=FONT, size=11)
        self.wrap = Alignment(horizontal="left", vertical="center", wrap_text=True)

    def _cell(self, column: int, value: str, font: Font, fill=None) -> None:
        cell = self.sheet.cell(row=self.row, column=column, value=value or None)
        cell.font = font
        cell.alignment = self.wrap
        cell.border = _BOX
        if fill is not None:
            cell.fill = fill

    def _next(self, lines: int = 1) -> None:
        self.sheet.row_dimensions[self.row].height = 22 * lines
        self.row += 1

    def title(self, text: str, subtitle: str) -> None:
        for value, font, align in ((text, Font(name=FONT, bold=True, size=18), "center"),
                                   (subtitle, Font(name=FONT, size=10), "left")):
            cell = self.sheet.cell(row=self.row, column=1, value=value)
            cell.font = font
            cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
            self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=2)
            self._next(2)

    def section(self, text: str) -> None:
        self._cell(1, text, self.label, _SECTION_FILL)
        self._cell(2, "", self.label, _SECTION_FILL)
        self._next()

    def pair(self, label: str, value: str = "", lines: int = 1) -> None:
        self._cell(1, label, self.label)
        self._cell(2, value, self.plain)
        self._next(lines)


def _page_setup(sheet: Worksheet, last_row: int) -> None:
    sheet.print_area = f"A1:B{last_row}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
