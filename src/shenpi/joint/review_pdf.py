"""联审意见书: a joint review printed on A4 with the CJK font the notices embed (shenpi.fonts).

What it prints: the title and number, the project, stage or case reviewed, the lead department,
every invited department with its verdict, opinion and posting time (late ones marked 逾期), the
marks on the drawings listed per document and page, the joint conclusion, the date and the seal line.
"""

from __future__ import annotations

import re
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shenpi import clock
from shenpi.cases.notices import ChineseParagraph, cn_date
from shenpi.fonts import cjk_font_name

from .models import JointReview
from .reviews import is_late

TITLE = "联审意见书"
RED = colors.HexColor("#C00000")
GRID = colors.HexColor("#808080")
SHADE = colors.HexColor("#F2F2F2")
MARGIN_X = 22 * mm


def _markup(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def review_filename(review: JointReview) -> str:
    safe = re.sub(r"[^\w-]", "_", review.number)
    return f"{TITLE}-{safe}.pdf"


class _Styles:
    def __init__(self, font: str):
        self.font = font

    def style(self, name, size, leading, **kw) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=self.font, fontSize=size, leading=leading, wordWrap="CJK", **kw)


def render_review(review: JointReview) -> bytes:
    """The 联审意见书 of a review as PDF bytes (A4, CJK font embedded)."""
    font = cjk_font_name()
    s = _Styles(font)
    centre = s.style("centre", 18, 24, alignment=TA_CENTER, textColor=RED)
    title = s.style("title", 22, 30, alignment=TA_CENTER, spaceBefore=3 * mm)
    number = s.style("number", 11, 18, alignment=TA_CENTER, spaceAfter=4 * mm)
    heading = s.style("heading", 13, 20, spaceBefore=4 * mm, spaceAfter=2 * mm)
    body = s.style("body", 11.5, 20, firstLineIndent=23)
    cell = s.style("cell", 10, 14)
    late_cell = s.style("late", 10, 14, textColor=RED)
    signature = s.style("signature", 12, 22, alignment=TA_CENTER)

    def p(text, style=cell):
        return ChineseParagraph(_markup(text), style)

    def grid(rows, widths, header=True):
        table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="CENTER")
        commands = [("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
        commands.append(("BACKGROUND", (0, 0), (-1, 0), SHADE) if header else ("BACKGROUND", (0, 0), (0, -1), SHADE))
        table.setStyle(TableStyle(commands))
        return table

    today = clock.today()
    stage, case = review.stage, review.case
    facts = [("联审编号", review.number), ("联审事项", review.title)]
    if stage is not None:
        if stage.project is not None:
            facts += [("项目名称", stage.project.name), ("项目代码", stage.project.code)]
        facts.append(("审批阶段", f"{stage.name}（{stage.number}）"))
    if case is not None:
        if case.project_code:
            facts.append(("项目代码", case.project_code))
        facts.append(("办件", f"{case.number} {case.version.name}（{case.applicant_name}）"))
    facts += [("牵头部门", review.lead_department.name),
              ("发起时间", _moment(review.opened_at)),
              ("意见期限", f"{cn_date(review.due_on)}（{review.limit_days}个工作日）")]

    story = [p(settings.CENTRE_NAME, centre), HRFlowable(width="100%", thickness=1.5, color=RED, spaceBefore=2 * mm),
             Paragraph(TITLE, title), p(review.number, number),
             grid([[p(k), p(v)] for k, v in facts], [30 * mm, None], header=False)]

    story.append(p("一、参加联审部门意见", heading))
    rows = [[p("序号"), p("部门"), p("结论"), p("意见"), p("提交时间")]]
    late_rows = []
    invitations = list(review.invitations.select_related("department").order_by("pk"))
    for index, invitation in enumerate(invitations, start=1):
        late = is_late(invitation, review, today)
        if invitation.posted_at:
            when = _moment(invitation.posted_at)
            if invitation.revised_at:
                when += f"（{_moment(invitation.revised_at)}修改）"
            verdict, opinion = invitation.get_verdict_display(), invitation.opinion
        else:
            when, verdict, opinion = "未提交", "—", "未在联审中提交意见。"
        if late:
            when += "　逾期"
            late_rows.append(index)
        rows.append([p(str(index)), p(invitation.department.name), p(verdict), p(opinion),
                     p(when, late_cell if late else cell)])
    story.append(grid(rows, [12 * mm, 36 * mm, 26 * mm, None, 33 * mm]))
    if late_rows:
        names = "、".join(invitations[i - 1].department.name for i in late_rows)
        story.append(Spacer(1, 2 * mm))
        story.append(p(f"逾期部门：{names}。", late_cell))

    story.append(p("二、图纸标注意见", heading))
    marks = []
    for document in review.documents.order_by("pk"):
        numbers: dict[int, int] = {}
        for mark in document.annotations.select_related("department", "author").order_by("page", "pk"):
            numbers[mark.page] = number = numbers.get(mark.page, 0) + 1  # as the room numbers the page's pins
            marks.append([p(document.name), p(f"第{mark.page}页\n标注{number}"), p(mark.department.name),
                          p(mark.comment), p(_moment(mark.at))])
    if marks:
        header = [p("图纸"), p("页码"), p("部门"), p("批注"), p("时间")]
        story.append(grid([header, *marks], [32 * mm, 18 * mm, 34 * mm, None, 31 * mm]))
    else:
        story.append(p("无。", body))

    story.append(p("三、联审意见", heading))
    conclusion = review.conclusion or "（尚未出具联审意见）"
    story += [ChineseParagraph(_markup(line.strip()), body) for line in conclusion.splitlines() if line.strip()]
    issued = timezone.localdate(review.concluded_at) if review.concluded_at else today
    signer = f"出具人：{review.concluded_by}" if review.concluded_by else ""
    seal = Table([[p(signer), [p(f"{review.lead_department.name}（盖章）", signature),
                               p(cn_date(issued), signature)]]], colWidths=[None, 75 * mm])
    seal.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(KeepTogether([Spacer(1, 12 * mm), seal]))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(GRID)
        canvas.drawString(MARGIN_X, 12 * mm, f"{TITLE}　{review.number}")
        canvas.drawRightString(A4[0] - MARGIN_X, 12 * mm, f"— {doc.page} —")
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=15 * mm,
                            bottomMargin=22 * mm, title=f"{TITLE} {review.number}",
                            author=review.lead_department.name, subject=review.title, creator="Shenpi",
                            lang="zh-CN", invariant=True, initialFontName=font)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
