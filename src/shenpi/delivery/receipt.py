"""送达回证: the printable delivery receipt the receiver signs at the window (or the clerk files with
the courier's 签收 record), one A4 page in the project's CJK font."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shenpi.fonts import cjk_font_name

from .models import Delivery


def _when(moment) -> str:
    if moment is None:
        return "　　年　　月　　日"
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def rows(delivery: Delivery) -> list[tuple[str, str]]:
    case = delivery.case
    document = f"《{case.get_decision_display() or '许可决定'}决定书》" + (
        f"、电子证照（{delivery.licence.identifier}）" if delivery.licence_id else "")
    where = {Delivery.Method.WINDOW: f"{settings.CENTRE_NAME}窗口",
             Delivery.Method.POST: "邮寄地址（见快递签收记录）",
             Delivery.Method.ELECTRONIC: "电子证照库（申请人账户“我的证照”）"}[delivery.method]
    result = [
        ("办件编号", case.number),
        ("事项名称", str(case.item)),
        ("受送达人", case.applicant_name),
        ("送达文书", document),
        ("送达方式", delivery.get_method_display()),
        ("送达地点", where),
        ("送达期限", f"{delivery.due.year}年{delivery.due.month}月{delivery.due.day}日"),
        ("送达时间", _when(delivery.delivered_at)),
    ]
    if delivery.method == Delivery.Method.WINDOW:
        result.append(("领取人", f"{delivery.receiver_name}（{delivery.receiver_id_masked}）"))
    if delivery.method == Delivery.Method.POST:
        result += [("收件人", delivery.receiver_name), ("快递公司及运单号", f"{delivery.courier} {delivery.waybill}")]
    result += [("受送达人签名", ""), ("送达人", str(delivery.recorded_by or ""))]
    return result


def receipt_pdf(delivery: Delivery) -> tuple[str, bytes]:
    font = cjk_font_name()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1)
    cell = ParagraphStyle("cell", fontName=font, fontSize=11, leading=16)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=13, textColor=colors.grey)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                            bottomMargin=20 * mm, title="送达回证", author=settings.CENTRE_NAME)
    table = Table([[Paragraph(k, cell), Paragraph(v, cell)] for k, v in rows(delivery)],
                  colWidths=[40 * mm, 120 * mm], rowHeights=None)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (-1, -1), 8)]))
    doc.build([Paragraph(settings.CENTRE_NAME, cell), Spacer(1, 4 * mm), Paragraph("送 达 回 证", title),
               Spacer(1, 8 * mm), table, Spacer(1, 6 * mm),
               Paragraph("依据《中华人民共和国行政许可法》第四十四条，行政机关作出准予行政许可的决定，应当自作出决定之日起"
                         "十日内向申请人颁发、送达行政许可证件。", small)])
    return f"送达回证-{delivery.case.number}-{delivery.pk}.pdf", buffer.getvalue()
