"""Excel exports in one shape: a title, the conditions it was made under, a header row, the rows.

Every export a user reads (performance ranking, security audit log, reports) is one titled table:
the title across the top, a line saying what was filtered and when, a coloured header repeated on
every printed page, frozen panes, an auto-filter, and columns wide enough to read (a Chinese
character counting two), landscape on A4.
"""

from __future__ import annotations

import io
import unicodedata

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An empty cell would read as zero to anyone summing the column: "—" says there is no figure.
DASH = "—"
HEAD_ROW = 3
_TITLE_FONT = Font(bold=True, size=16)
_NOTE_FONT = Font(size=10, color="555555")
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1D4F91")


def display_width(value) -> int:
    """Characters a cell shows, a Chinese character counting two."""
    if value is None:
        return 0
    if isinstance(value, float):
        value = f"{value:.2f}"
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def titled_table(sheet, title: str, conditions: str, header: list[str], rows: list[list], *,
                 frozen_columns: int = 0, widest: int = 40, widest_of: dict[str, int] | None = None) -> None:
    """Write the table on `sheet`. frozen_columns: columns kept in view when scrolling right (names);
    widest: the widest a column grows; widest_of: narrower caps by heading (free text, user agents)."""
    last = get_column_letter(len(header))
    sheet.append([title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font, sheet["A1"].alignment = _TITLE_FONT, Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    sheet.append([conditions])
    sheet.merge_cells(f"A2:{last}2")
    sheet["A2"].font = _NOTE_FONT
    sheet["A2"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    sheet.row_dimensions[2].height = 32
    sheet.append(header)
    for cell in sheet[HEAD_ROW]:
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[HEAD_ROW].height = 36
    for row in rows:
        sheet.append([DASH if value is None else value for value in row])
    for row in sheet.iter_rows(min_row=HEAD_ROW + 1, max_row=HEAD_ROW + len(rows)):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    sheet.freeze_panes = f"{get_column_letter(frozen_columns + 1)}{HEAD_ROW + 1}"
    if rows:
        sheet.auto_filter.ref = f"A{HEAD_ROW}:{last}{len(rows) + HEAD_ROW}"
    caps = widest_of or {}
    for index, heading in enumerate(header, start=1):
        # Wide enough for the longest value, and for the heading on at most two lines.
        longest = max([display_width(r[index - 1]) for r in rows if index - 1 < len(r)] or [0])
        wanted = max(longest + 2, (display_width(heading) + 1) // 2 + 2, 6)
        sheet.column_dimensions[get_column_letter(index)].width = min(wanted, caps.get(heading, widest))
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = f"{HEAD_ROW}:{HEAD_ROW}"


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
