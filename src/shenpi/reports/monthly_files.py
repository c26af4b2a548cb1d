"""The monthly department report's two files: PDF on A4 (the notices' embedded CJK font) and Excel."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shenpi.cases.notices import ChineseParagraph
from shenpi.fonts import cjk_font_name
from shenpi.spreadsheets import saved, titled_table

from .monthly_figures import TITLE, UNITS, Content, number

RED = colors.HexColor("#C00000")
GRID = colors.HexColor("#808080")
SHADE = colors.HexColor("#F2F2F2")
MARGIN_X = 18 * mm
CARDS_SHOWN = 60  # the PDF lists at most this many cards; the Excel lists them all


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _facts(made: Content) -> list[tuple[str, str]]:
    return [("部门", made.department.name), ("统计月份", made.label),
            ("数据截至", _moment(made.as_of)), ("生成时间", _moment(made.generated_at))]


def _score_text(made: Content) -> str:
    a = made.assessment
    if a.score is None:
        return a.note
    return f"月度考核得分 {float(a.score):.2f} 分，在 {a.of} 个部门中排名第 {a.rank}（考核方案：{a.scheme}）。"


def _alerts_text(made: Content) -> str:
    parts = [f"{label} {n} 次" for label, n in made.alerts.items()]
    answered = sum(1 for c in made.cards if c.answered)
    return f"本月监察告警：{'，'.join(parts)}；亮牌 {len(made.cards)} 张，已反馈整改 {answered} 张。"


def _card_row(card) -> list[str]:
    return [_moment(card.detected_at), card.level, card.category, card.rule, card.case_number or "—",
            card.responsible or "—", "已反馈" if card.answered else "未反馈"]


CARD_HEAD = ["发现时间", "级别", "类别", "监察点", "办件编号", "责任人", "整改反馈"]
FIGURE_HEAD = ["指标", "单位", "本月", "上月", "环比", "去年同月", "同比"]


def render_pdf(made: Content) -> bytes:
    font = cjk_font_name()

    def style(name, size, leading, **kw) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    centre = style("centre", 16, 22, alignment=TA_CENTER, textColor=RED)
    title = style("title", 19, 27, alignment=TA_CENTER, spaceBefore=3 * mm, spaceAfter=3 * mm)
    heading = style("heading", 13, 20, spaceBefore=5 * mm, spaceAfter=2 * mm)
    body = style("body", 10.5, 17)
    cell = style("cell", 9, 12)

    def p(text, st=cell):
        return ChineseParagraph(escape(str(text)), st)

    def grid(rows, widths):
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="CENTER")
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
        return table

    story = [p(settings.CENTRE_NAME, centre), HRFlowable(width="100%", thickness=1.5, color=RED, spaceBefore=2 * mm),
             Paragraph(escape(made.title), title),
             p("　".join(f"{k}：{v}" for k, v in _facts(made)), body)]

    story.append(p("一、办件情况", heading))
    rows = [[p(h) for h in FIGURE_HEAD]]
    for row in made.rows:
        kind = row.line.kind
        rows.append([p(row.line.label), p(UNITS[kind]), p(number(kind, row.value)), p(number(kind, row.previous)),
                     p(row.month_on_month), p(number(kind, row.year_before)), p(row.year_on_year)])
    story.append(grid(rows, [46 * mm, 16 * mm, 20 * mm, 20 * mm, 26 * mm, 20 * mm, 26 * mm]))

    story.append(p("二、绩效考核", heading))
    story.append(p(_score_text(made), body))

    story.append(p("三、电子监察", heading))
    story.append(p(_alerts_text(made), body))
    if made.cards:
        story.append(Spacer(1, 2 * mm))
        cards = [[p(h) for h in CARD_HEAD], *[[p(v) for v in _card_row(c)] for c in made.cards[:CARDS_SHOWN]]]
        story.append(grid(cards, [27 * mm, 12 * mm, 12 * mm, 45 * mm, 30 * mm, 25 * mm, 23 * mm]))
        if len(made.cards) > CARDS_SHOWN:
            story.append(p(f"另有 {len(made.cards) - CARDS_SHOWN} 张，见 Excel 文件。", body))

    story.append(p("附：指标口径", heading))
    definitions = [[p("指标"), p("口径")], *[[p(r.line.label), p(r.line.definition)] for r in made.rows]]
    story.append(grid(definitions, [46 * mm, None]))
    story.append(Spacer(1, 2 * mm))
    story.append(p("各项按北京时间的自然日统计，作废件不计入；环比、同比对计数为增减百分比，"
                   "对比率为增减百分点，对平均用时为增减天数。", body))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(GRID)
        canvas.drawString(MARGIN_X, 10 * mm, made.title)
        canvas.drawRightString(A4[0] - MARGIN_X, 10 * mm, f"— {doc.page} —")
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=15 * mm,
                            bottomMargin=18 * mm, title=made.title, author=settings.CENTRE_NAME, subject=TITLE,
                            creator="Shenpi", lang="zh-CN", invariant=True, initialFontName=font)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _excel_value(kind: str, value):
    if value is None:
        return None
    return value if kind == "count" else round(float(value), 2)


def render_xlsx(made: Content) -> bytes:
    book = Workbook()
    conditions = "　".join(f"{k}：{v}" for k, v in _facts(made))
    sheet = book.active
    sheet.title = "办件情况"
    rows = [[r.line.label, UNITS[r.line.kind], _excel_value(r.line.kind, r.value),
             _excel_value(r.line.kind, r.previous), r.month_on_month, _excel_value(r.line.kind, r.year_before),
             r.year_on_year] for r in made.rows]
    titled_table(sheet, made.title, conditions, FIGURE_HEAD, rows, frozen_columns=1)
    assessment = book.create_sheet("绩效考核")
    a = made.assessment
    titled_table(assessment, f"{made.label}绩效考核", conditions,
                 ["得分", "排名", "参加排名部门数", "考核方案", "说明"],
                 [[None if a.score is None else round(float(a.score), 2), a.rank, a.of or None, a.scheme or None,
                   a.note or None]])
    supervision = book.create_sheet("电子监察")
    titled_table(supervision, f"{made.label}电子监察亮牌", f"{conditions}　{_alerts_text(made)}", CARD_HEAD,
                 [_card_row(c) for c in made.cards], widest_of={"监察点": 40})
    appendix = book.create_sheet("指标口径")
    titled_table(appendix, "指标口径", conditions, ["指标", "口径"],
                 [[r.line.label, r.line.definition] for r in made.rows], widest_of={"口径": 80})
    return saved(book)
