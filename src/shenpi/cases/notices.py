"""Printable notices to the applicant (告知文书) as PDF, rendered from plain values.

Nothing here touches the database: the caller gathers the facts of a case and its Notice row
into a NoticeData, and render_notice() checks them and lays them out, so the same facts always
print the same document (ReportLab's invariant mode keeps the bytes stable too).

The wording follows the Administrative Licensing Law (行政许可法): art. 32 for acceptance,
one-time correction and refusal, art. 38 for the decision, art. 42 for extensions, art. 44 for
delivery, art. 45 for special procedures whose time does not count.
"""

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from shenpi.fonts import cjk_font_name

from .linebreak import break_lines

KIND_TITLES: dict[str, str] = {
    "acceptance": "受理通知书",
    "correction": "补正材料通知书",
    "refusal": "不予受理通知书",
    "special_procedure": "特别程序告知书",
    "supplement": "补交材料告知书",
    "extension": "延期告知书",
    "grant": "准予行政许可决定书",
    "denial": "不予行政许可决定书",
}
SUBTITLES = {"correction": "（一次性告知）"}
PROVISIONAL_NOTE = "（预计，以国务院节假日通知为准）"
LAW = "《中华人民共和国行政许可法》"
QR_CAPTION = "扫码查询办理进度"
SENTENCE_ENDS = "。！？；：.!?;:）)」』”"

RED = colors.HexColor("#C00000")
GRID = colors.HexColor("#808080")
SHADE = colors.HexColor("#F2F2F2")
MARGIN_X = 25 * mm
QR_SIZE = 24 * mm
SIDE_COLUMN = 34 * mm
GRID_COMMANDS = [
    ("GRID", (0, 0), (-1, -1), 0.5, GRID),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
]


@dataclass(frozen=True)
class NoticeData:
    """Everything a notice prints, as plain values; `details` holds the kind-specific facts.

    Keys of `details` per kind are listed in FIELDS below (dates are datetime.date, day counts
    int, materials a list of mappings). Construction checks them and raises ValueError with a
    Chinese message the window clerk can act on.
    """

    kind: str
    number: str
    centre_name: str
    department_name: str
    case_number: str
    query_code: str
    applicant_name: str
    item_name: str
    issued_at: dt.datetime
    issuer_name: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    # Empty means settings.PUBLIC_BASE_URL; explicit for rendering outside a configured project.
    public_base_url: str = ""

    def __post_init__(self):
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))
        _check_header(self)
        checked_details(self)

    @property
    def title(self) -> str:
        return KIND_TITLES[self.kind]


# --- what each kind needs ------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str
    required: bool = True


COMMON_FIELDS = (
    Field("received_on", "收件日期", "date", False),
    Field("project_name", "项目名称", "text", False),
    Field("note", "备注", "text", False),
    Field("contact", "联系电话", "text", False),
)
_REMEDY_FIELDS = (
    Field("legal_basis", "法律依据", "text", False),
    Field("review_body", "行政复议机关", "text", False),
    Field("court", "人民法院", "text", False),
)
FIELDS: dict[str, tuple[Field, ...]] = {
    "acceptance": (
        Field("accepted_on", "受理日期", "date"),
        Field("promised_due", "承诺办结期限", "date"),
        Field("statutory_due", "法定办结期限", "date"),
        Field("promised_limit", "承诺时限", "limit", False),
        Field("statutory_limit", "法定时限", "limit", False),
        Field("due_provisional", "期限是否为预计", "flag", False),
        Field("materials", "已收取材料", "received", False),
        Field("deferred", "容缺材料", "deferred", False),
        Field("deferral_rule", "容缺材料未补齐时办结", "text", False),
        Field("deferral_online", "可在“我的办件”中上传容缺材料", "flag", False),
    ),
    "correction": (
        Field("materials", "需补正的材料", "missing"),
        Field("due", "补正期限", "date", False),
        Field("instruction", "补正要求", "text", False),
    ),
    "refusal": (
        Field("reason", "不予受理理由", "text"),
        Field("refer_to", "应当申请的行政机关", "text", False),
        *_REMEDY_FIELDS,
    ),
    "special_procedure": (
        Field("procedure", "特别程序种类", "text"),
        Field("reason", "特别程序理由", "text"),
        Field("expected_days", "预计时长", "days"),
        Field("accepted_on", "受理日期", "date", False),
        Field("start_on", "开始日期", "date", False),
        Field("expected_end", "预计结束日期", "date", False),
    ),
    "supplement": (
        Field("materials", "需补交的材料", "missing", False),
        Field("reason", "补交理由", "text", False),
        Field("due", "补交期限", "date", False),
        Field("instruction", "补交要求", "text", False),
    ),
    "extension": (
        Field("days", "延长天数", "days"),
        Field("reason", "延期理由", "text"),
        Field("approved_by", "批准人", "text"),
        Field("new_due", "延长后办结期限", "date"),
        Field("original_due", "原办结期限", "date", False),
        Field("due_provisional", "期限是否为预计", "flag", False),
    ),
    "grant": (
        Field("result_name", "许可结果名称", "text"),
        Field("result_number", "证件编号", "text", False),
        Field("valid_until", "有效期至", "date", False),
        Field("delivery", "领取方式", "text", False),
        Field("accepted_on", "受理日期", "date", False),
    ),
    "denial": (
        Field("reason", "不予许可理由", "text"),
        Field("accepted_on", "受理日期", "date", False),
        *_REMEDY_FIELDS,
    ),
}

_HEADER_LABELS = {
    "number": "文号",
    "centre_name": "中心名称",
    "department_name": "出具部门",
    "case_number": "办件编号",
    "query_code": "查询密码",
    "applicant_name": "申请人",
    "item_name": "申请事项",
}


def _check_header(data: NoticeData) -> None:
    if data.kind not in KIND_TITLES:
        raise ValueError(f"未知的文书种类：{data.kind!r}")
    for attr, label in _HEADER_LABELS.items():
        value = getattr(data, attr)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{data.title}缺少必填内容：{label}")
    if not isinstance(data.issued_at, dt.datetime) or data.issued_at.tzinfo is None:
        raise ValueError(f"{data.title}的出具时间应为带时区的日期时间")


def checked_details(data: NoticeData) -> dict[str, Any]:
    """The details of `data`, checked against its kind and normalised (moments become dates)."""
    fields = {f.key: f for f in (*FIELDS[data.kind], *COMMON_FIELDS)}
    unknown = sorted(set(data.details) - set(fields))
    if unknown:
        raise ValueError(f"{data.title}不支持的内容：{'、'.join(unknown)}")
    result: dict[str, Any] = {}
    for key, spec in fields.items():
        value = data.details.get(key)
        if _blank(value):
            if spec.required:
                raise ValueError(f"{data.title}缺少必填内容：{spec.label}")
            continue
        result[key] = _CHECKS[spec.type](value, f"{data.title}的{spec.label}")
    if data.kind == "supplement" and not (result.get("materials") or result.get("reason")):
        raise ValueError(f"{data.title}缺少必填内容：需补交的材料")
    return result


def _blank(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, Sequence) and not value)


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what}应为文字")
    if not value.strip():
        raise ValueError(f"{what}不能为空")
    return value.strip()


def _date(value, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{what}应为日期或带时区的时间")
        return _local(value).date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"{what}应为日期")


def _count(value, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "正整数" if minimum > 0 else "非负整数"
        raise ValueError(f"{what}应为{kind}（工作日）")
    return value


def _flag(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what}应为是或否")
    return value


def _materials(value, what: str, problem_required: bool) -> list[dict[str, Any]]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise ValueError(f"{what}应为非空的材料清单")
    rows = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            raise ValueError(f"{what}第{index}项格式不正确")
        row = {"name": _text(item.get("name") or "", f"{what}第{index}项的材料名称")}
        if problem_required:
            row["problem"] = _text(item.get("problem") or "", f"{what}第{index}项的存在问题")
            if item.get("requirement"):
                row["requirement"] = _text(item["requirement"], f"{what}第{index}项的补正要求")
        else:
            if item.get("copies") is not None:
                row["copies"] = _count(item["copies"], f"{what}第{index}项的份数", 0)
            if item.get("note"):
                row["note"] = _text(item["note"], f"{what}第{index}项的说明")
        rows.append(row)
    return rows


def _deferred(value, what: str) -> list[dict[str, Any]]:
    """容缺 materials: each with the date by which the applicant committed to bring it."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise ValueError(f"{what}应为非空的材料清单")
    rows = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            raise ValueError(f"{what}第{index}项格式不正确")
        rows.append({"name": _text(item.get("name") or "", f"{what}第{index}项的材料名称"),
                     "due": _date(item.get("due"), f"{what}第{index}项的补交期限")})
    return rows


_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "text": _text,
    "date": _date,
    "days": lambda value, what: _count(value, what, 1),
    "limit": lambda value, what: _count(value, what, 0),
    "flag": _flag,
    "missing": lambda value, what: _materials(value, what, True),
    "received": lambda value, what: _materials(value, what, False),
    "deferred": _deferred,
}


# --- public helpers ------------------------------------------------------------------------

def query_url(case_number: str, base_url: str = "") -> str:
    """The public progress-query address for a case; never carries the query code."""
    if not base_url:
        from django.conf import settings

        base_url = settings.PUBLIC_BASE_URL
    return f"{base_url.rstrip('/')}/query/?{urlencode({'number': case_number})}"


def rating_url(case_number: str, base_url: str = "") -> str:
    """The public rating (好差评) address for a case, built like query_url; the applicant adds the query code."""
    if not base_url:
        from django.conf import settings

        base_url = settings.PUBLIC_BASE_URL
    return f"{base_url.rstrip('/')}/ratings/?{urlencode({'number': case_number})}"


def qr_matrix(text: str) -> list[list[bool]]:
    """QR modules (True = dark) without quiet zone; medium error correction survives a stamp."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def notice_filename(data: NoticeData) -> str:
    safe_number = re.sub(r"[^\w-]", "_", data.case_number)
    return f"{data.title}-{safe_number}.pdf"


def cn_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _local(moment: dt.datetime) -> dt.datetime:
    from django.utils import timezone

    return timezone.localtime(moment)


# --- layout ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Styles:
    """Fonts and spacing; `tight` (0, 1, 2) takes vertical space out to keep a notice on one page."""

    font: str
    tight: int = 0

    def _style(self, name: str, size: float, leading: float, **kw) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=self.font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    def _pick(self, *choices: float) -> float:
        return choices[self.tight]

    @property
    def centre(self):
        return self._style("centre", 20, 26, alignment=TA_CENTER, textColor=RED)

    @property
    def title(self):
        return self._style("title", 22, 30, alignment=TA_CENTER, spaceBefore=self._pick(4, 2, 1) * mm)

    @property
    def subtitle(self):
        return self._style("subtitle", 13, 20, alignment=TA_CENTER)

    @property
    def number(self):
        return self._style("number", 11, 18, alignment=TA_CENTER, spaceBefore=1 * mm,
                           spaceAfter=self._pick(5, 3, 2) * mm)

    @property
    def addressee(self):
        return self._style("addressee", 12.5, self._pick(22, 20, 18), spaceAfter=1 * mm)

    @property
    def body(self):
        return self._style("body", 12, self._pick(21, 19, 17.5), firstLineIndent=24,
                           spaceAfter=self._pick(1.5, 1, 0.5) * mm)

    @property
    def cell(self):
        return self._style("cell", 10.5, self._pick(15, 14, 13), alignment=TA_LEFT)

    @property
    def small(self):
        return self._style("small", 8, 11, alignment=TA_CENTER)

    @property
    def signature(self):
        return self._style("signature", 12, self._pick(22, 20, 18), alignment=TA_CENTER)

    @property
    def issuer(self):
        return self._style("issuer", 10, 16)

    def gap(self, height: float) -> float:
        return height * self._pick(1, 0.6, 0.35)

    def grid(self) -> list[tuple]:
        padding = self._pick(3, 2, 1)
        return [*GRID_COMMANDS, ("TOPPADDING", (0, 0), (-1, -1), padding),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding + 1)]


TIGHTNESS_LEVELS = 3


def _markup(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


class ChineseParagraph(Paragraph):
    """A paragraph whose lines break by the 避头尾 rules (shenpi.cases.linebreak)."""

    def breakLinesCJK(self, maxWidths):
        frags = self.frags
        plain = (len(frags) == 1 and hasattr(frags[0], "text") and not hasattr(frags[0], "cbDefn")
                 and not self.style.endDots and not getattr(self, "_splitpara", 0))
        if not plain or self.bulletText:
            # Several fragments (a line break in the text) or a split remainder: ReportLab's own way.
            return super().breakLinesCJK(maxWidths)
        frag = frags[0]
        widths = maxWidths if isinstance(maxWidths, list | tuple) else [maxWidths]

        def width_of(text: str) -> float:
            return stringWidth(text, frag.fontName, frag.fontSize)

        lines = break_lines(frag.text, width_of, widths)
        rows = [(widths[min(i, len(widths) - 1)] - width_of(line), [line]) for i, line in enumerate(lines)]
        return frag.clone(kind=0, lines=rows, ascent=frag.fontSize, descent=-0.2 * frag.fontSize)


def _table_style(font: str, commands: list[tuple]) -> TableStyle:
    # Tables set their own cell font (Helvetica unless told), which would pull an unembedded
    # Latin font into every PDF even though all cell text is in paragraphs.
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), font), *commands])


class QRCodeFlowable(Flowable):
    """A QR code drawn as vector squares, so it stays sharp at any print resolution."""

    def __init__(self, matrix: list[list[bool]], size: float):
        super().__init__()
        self.matrix = matrix
        self.size = size
        self.width = self.height = size

    def draw(self):
        count = len(self.matrix)
        module = self.size / count
        canvas = self.canv
        canvas.setFillColor(colors.black)
        for row_index, row in enumerate(self.matrix):
            y = self.size - (row_index + 1) * module
            column = 0
            while column < count:
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < count and row[column]:
                    column += 1
                # Runs of dark modules as one rectangle: fewer objects, no hairline gaps.
                canvas.rect(start * module, y, (column - start) * module, module, stroke=0, fill=1)


class Body:
    """Builds the flowables of one notice."""

    def __init__(self, data: NoticeData, styles: Styles):
        self.data = data
        self.styles = styles
        self.details = checked_details(data)

    # Small builders shared by the kinds.

    def para(self, text: str) -> Paragraph:
        return ChineseParagraph(_markup(text), self.styles.body)

    def paras(self, text: str) -> list[Paragraph]:
        """Free text typed by staff, one paragraph per line, each closed like a sentence."""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return [self.para(line if line[-1] in SENTENCE_ENDS else line + "。") for line in lines]

    def cell(self, text: str) -> Paragraph:
        return ChineseParagraph(_markup(text), self.styles.cell)

    def due(self, key: str, limit: int | None = None) -> str:
        """A due date, with its limit in working days and the provisional mark when it applies."""
        text = cn_date(self.details[key])
        if limit is not None:
            text += f"（{limit}个工作日）" if limit else "（即办）"
        return text + PROVISIONAL_NOTE if self.details.get("due_provisional") else text

    def submitted(self) -> str:
        """'你（单位）于…提出的…申请（办件编号：…）' — how every notice names the application."""
        received = self.details.get("received_on")
        when = f"于{cn_date(received)}" if received else ""
        return f"你（单位）{when}提出的{self.data.item_name}申请（办件编号：{self.data.case_number}）"

    def facts(self, rows: list[tuple[str, str]]) -> Table:
        base = [("办件编号", self.data.case_number), ("申请事项", self.data.item_name)]
        if self.details.get("project_name"):
            base.append(("项目名称", self.details["project_name"]))
        cells = [[self.cell(label), self.cell(value)] for label, value in base + rows]
        table = Table(cells, colWidths=[32 * mm, None], hAlign="CENTER")
        table.setStyle(_table_style(self.styles.font, [*self.styles.grid(), ("BACKGROUND", (0, 0), (0, -1), SHADE)]))
        return table

    def materials(self, header: list[str], rows: list[list[str]], widths: list[float | None]) -> Table:
        cells = [[self.cell(text) for text in header]]
        cells += [[self.cell(str(index)), *(self.cell(text) for text in row)]
                  for index, row in enumerate(rows, start=1)]
        table = Table(cells, colWidths=widths, repeatRows=1, hAlign="CENTER")
        table.setStyle(_table_style(self.styles.font, [*self.styles.grid(), ("BACKGROUND", (0, 0), (-1, 0), SHADE)]))
        return table

    def missing_table(self) -> Table:
        rows = [[m["name"], m["problem"] + (f"；{m['requirement']}" if m.get("requirement") else "")]
                for m in self.details["materials"]]
        return self.materials(["序号", "材料名称", "存在问题及补正要求"], rows, [14 * mm, 55 * mm, None])

    def remedies(self) -> Paragraph:
        review = f"向{self.details['review_body']}" if self.details.get("review_body") else "依法"
        court = self.details.get("court") or "人民法院"
        document = "本通知书" if self.data.kind == "refusal" else "本决定书"
        return self.para(f"你（单位）如对本决定不服，可以自收到{document}之日起六十日内{review}申请行政复议，"
                         f"也可以自收到{document}之日起六个月内依法向{court}提起行政诉讼。")

    def legal_basis(self) -> list[Paragraph]:
        basis = self.details.get("legal_basis")
        return [self.para(f"依据：{basis}")] if basis else []

    def gap(self, height: float = 2 * mm) -> Spacer:
        return Spacer(1, self.styles.gap(height))

    # One builder per kind.

    def acceptance(self) -> list[Flowable]:
        d = self.details
        rows = []
        if d.get("received_on"):
            rows.append(("收件日期", cn_date(d["received_on"])))
        rows.append(("受理日期", cn_date(d["accepted_on"])))
        rows.append(("承诺办结期限", self.due("promised_due", d.get("promised_limit"))))
        rows.append(("法定办结期限", self.due("statutory_due", d.get("statutory_limit"))))
        deferred = d.get("deferred")
        # 容缺受理: the materials are not all in, so the notice must not say they are (申请材料齐全).
        opening = ("主要申请材料齐全、符合法定形式，其余材料经你（单位）书面承诺限期补交，本机关按容缺受理办理。"
                   f"根据{LAW}第三十二条规定，本机关决定予以受理。" if deferred else
                   f"申请材料齐全、符合法定形式。根据{LAW}第三十二条第一款第（五）项规定，本机关决定予以受理。")
        flow: list[Flowable] = [
            self.para(f"{self.submitted()}，{opening}"),
            self.gap(), self.facts(rows), self.gap(3 * mm),
        ]
        if d.get("materials"):
            received = [[m["name"], str(m["copies"]) if "copies" in m else "", m.get("note", "")]
                        for m in d["materials"]]
            flow += [self.para("已收取的申请材料如下："),
                     self.materials(["序号", "材料名称", "份数", "备注"], received,
                                    [14 * mm, None, 16 * mm, 40 * mm]),
                     self.gap(3 * mm)]
        if deferred:
            rows = [[m["name"], cn_date(m["due"])] for m in deferred]
            flow += [self.para("容缺受理、需要补交的申请材料如下："),
                     self.materials(["序号", "材料名称", "补交期限"], rows, [14 * mm, None, 40 * mm]),
                     self.gap(3 * mm), self.para(self.deferral_terms(deferred))]
        flow.append(self.para("办理期限以工作日计算，不含法定节假日；依法需要听证、检验、检测、检疫、鉴定、专家评审"
                              "的，所需时间不计算在期限内，本机关将另行书面告知。你（单位）可凭办件编号和查询密码"
                              "查询办理进度。"))
        return flow

    def deferral_terms(self, deferred: list[dict]) -> str:
        last = max(m["due"] for m in deferred)
        if self.details.get("deferral_rule") == "flag":
            then = "逾期未补交的，本机关将记录在案并纳入电子监察。"
        else:
            then = "上述材料补齐前，本机关不予办结。"
        online = "，或登录网上办事大厅在“我的办件”中上传" if self.details.get("deferral_online") else ""
        return f"请按承诺于{cn_date(last)}前到受理窗口补交上述材料{online}。{then}"

    def correction(self) -> list[Flowable]:
        d = self.details
        flow: list[Flowable] = [
            self.para(f"{self.submitted()}，经审查，申请材料不齐全或者不符合法定形式。根据{LAW}第三十二条第一款"
                      "第（四）项规定，现将需要补正的全部内容一次性告知如下："),
            self.gap(), self.missing_table(), self.gap(3 * mm),
        ]
        if d.get("due"):
            flow.append(self.para(f"请于{cn_date(d['due'])}前补正上述全部材料。"))
        if d.get("instruction"):
            flow += self.paras(d["instruction"])
        flow.append(self.para("本通知为一次性告知，上列内容为需要补正的全部内容。你（单位）按照本通知要求提交全部"
                              "补正材料后，本机关将依法受理。"))
        return flow

    def refusal(self) -> list[Flowable]:
        d = self.details
        flow: list[Flowable] = [
            self.para(f"{self.submitted()}，经审查，根据{LAW}第三十二条规定，本机关决定不予受理。理由如下："),
            *self.paras(d["reason"]),
            *self.legal_basis(),
        ]
        if d.get("refer_to"):
            flow.append(self.para(f"你（单位）可以向{d['refer_to']}提出申请。"))
        flow.append(self.remedies())
        return flow

    def special_procedure(self) -> list[Flowable]:
        d = self.details
        procedure = d["procedure"]
        rows = [("特别程序", procedure), ("预计时长", f"{d['expected_days']}个工作日")]
        if d.get("start_on"):
            rows.append(("开始日期", cn_date(d["start_on"])))
        if d.get("expected_end"):
            rows.append(("预计结束日期", cn_date(d["expected_end"])))
        accepted = f"本机关已于{cn_date(d['accepted_on'])}受理" if d.get("accepted_on") else "本机关已依法受理"
        return [
            self.para(f"{self.submitted()}，{accepted}。因下列原因，该申请需要依法进行{procedure}："),
            *self.paras(d["reason"]),
            self.gap(), self.facts(rows), self.gap(3 * mm),
            self.para(f"根据{LAW}第四十五条规定，{procedure}所需时间不计算在行政许可办理期限内。办理期限自"
                      f"{procedure}开始之日起暂停计算，{procedure}结束后继续计算，本机关将继续办理。"),
        ]

    def supplement(self) -> list[Flowable]:
        d = self.details
        if not d.get("materials"):
            # Without a list the reason, written to name the materials, is the request itself.
            flow: list[Flowable] = [
                self.para(f"{self.submitted()}，本机关在审查过程中，需要你（单位）补交材料。需补交的材料及原因："),
                *self.paras(d["reason"]), self.gap()]
        else:
            flow = [self.para(f"{self.submitted()}，本机关在审查过程中，需要你（单位）补交下列材料：")]
            if d.get("reason"):
                flow.append(self.para(f"补交理由：{d['reason']}"))
            flow += [self.gap(), self.missing_table(), self.gap(3 * mm)]
        if d.get("due"):
            flow.append(self.para(f"请于{cn_date(d['due'])}前补交上述全部材料。"))
        if d.get("instruction"):
            flow += self.paras(d["instruction"])
        flow.append(self.para("自本告知书出具之日起至你（单位）补交全部材料之日止，办理期限暂停计算，所需时间"
                              "不计算在办理时限内。"))
        return flow

    def extension(self) -> list[Flowable]:
        d = self.details
        rows = [("延长期限", f"{d['days']}个工作日"), ("批准人", d["approved_by"])]
        if d.get("original_due"):
            rows.append(("原办结期限", cn_date(d["original_due"])))
        rows.append(("延长后办结期限", self.due("new_due")))
        return [
            self.para(f"{self.submitted()}，本机关不能在原定期限内作出决定。根据{LAW}第四十二条第一款规定，经本"
                      f"机关负责人批准，办理期限延长{d['days']}个工作日。现将延长期限的理由告知如下："),
            *self.paras(d["reason"]),
            self.gap(), self.facts(rows), self.gap(3 * mm),
        ]

    def grant(self) -> list[Flowable]:
        d = self.details
        accepted = f"本机关于{cn_date(d['accepted_on'])}依法受理" if d.get("accepted_on") else "本机关已依法受理"
        rows = [("许可结果", d["result_name"])]
        if d.get("result_number"):
            rows.append(("证件编号", d["result_number"]))
        if d.get("valid_until"):
            rows.append(("有效期至", cn_date(d["valid_until"])))
        if d.get("delivery"):
            rows.append(("领取方式", d["delivery"]))
        return [
            self.para(f"{self.submitted()}，{accepted}。经审查，该申请符合法定条件、标准。根据{LAW}第三十八条"
                      "第一款规定，本机关决定准予行政许可。"),
            self.gap(), self.facts(rows), self.gap(3 * mm),
            self.para(f"根据{LAW}第四十四条规定，本机关将自作出本决定之日起十个工作日内向你（单位）颁发、送达"
                      f"{d['result_name']}。"),
        ]

    def denial(self) -> list[Flowable]:
        d = self.details
        accepted = f"本机关于{cn_date(d['accepted_on'])}依法受理" if d.get("accepted_on") else "本机关已依法受理"
        return [
            self.para(f"{self.submitted()}，{accepted}。经审查，该申请不符合法定条件、标准。根据{LAW}第三十八条"
                      "第二款规定，本机关决定不予行政许可。理由如下："),
            *self.paras(d["reason"]),
            *self.legal_basis(),
            self.remedies(),
        ]

    # The frame around the kind-specific part.

    def closing(self) -> list[Flowable]:
        flow: list[Flowable] = []
        if self.details.get("note"):
            flow += self.paras(f"备注：{self.details['note']}")
        if self.data.kind in {"acceptance", "correction", "refusal"}:
            flow.append(self.para("特此通知。"))
        elif self.data.kind in {"special_procedure", "supplement", "extension"}:
            flow.append(self.para("特此告知。"))
        return flow

    def signature(self) -> Table:
        left = []
        if self.data.issuer_name:
            left.append(ChineseParagraph(_markup(f"经办人：{self.data.issuer_name}"), self.styles.issuer))
        if self.details.get("contact"):
            left.append(ChineseParagraph(_markup(f"联系电话：{self.details['contact']}"), self.styles.issuer))
        issued = cn_date(_local(self.data.issued_at).date())
        right = [ChineseParagraph(_markup(f"{self.data.department_name}（盖章）"), self.styles.signature),
                 Paragraph(issued, self.styles.signature)]
        table = Table([[left, right]], colWidths=[None, 75 * mm])
        table.setStyle(_table_style(self.styles.font, [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]))
        return table

    def flowables(self) -> list[Flowable]:
        body = getattr(self, self.data.kind)()
        tail = [self.gap(10 * mm), self.signature()]
        closing = self.closing()
        # The last words and the signature belong on one page: a seal under nothing is worthless.
        return [ChineseParagraph(_markup(f"{self.data.applicant_name}："), self.styles.addressee),
                *body[:-1], KeepTogether([body[-1], *closing, *tail])]


def _header(data: NoticeData, styles: Styles, width: float) -> list[Flowable]:
    url = query_url(data.case_number, data.public_base_url)
    qr_block = [QRCodeFlowable(qr_matrix(url), QR_SIZE),
                Spacer(1, 1.5 * mm),
                Paragraph(QR_CAPTION, styles.small),
                ChineseParagraph(_markup(f"查询密码：{data.query_code}"), styles.small)]
    # An empty column as wide as the QR one keeps the centre name on the page's axis.
    table = Table([[Spacer(1, 1), ChineseParagraph(_markup(data.centre_name), styles.centre), qr_block]],
                  colWidths=[SIDE_COLUMN, width - 2 * SIDE_COLUMN, SIDE_COLUMN])
    table.setStyle(_table_style(styles.font, [
        ("VALIGN", (0, 0), (1, 0), "MIDDLE"),
        ("VALIGN", (2, 0), (2, 0), "TOP"),
        ("ALIGN", (2, 0), (2, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    flow: list[Flowable] = [table, HRFlowable(width="100%", thickness=1.5, color=RED, spaceBefore=2 * mm),
                            Paragraph(data.title, styles.title)]
    if data.kind in SUBTITLES:
        flow.append(Paragraph(SUBTITLES[data.kind], styles.subtitle))
    flow.append(ChineseParagraph(_markup(data.number), styles.number))
    return flow


def _footer(data: NoticeData, font: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(GRID)
        canvas.drawString(MARGIN_X, 12 * mm, f"{data.title}　{data.number}　办件编号：{data.case_number}")
        canvas.drawRightString(A4[0] - MARGIN_X, 12 * mm, f"— {doc.page} —")
        canvas.restoreState()

    return draw


def render_notice(data: NoticeData) -> bytes:
    """The notice as a PDF (A4) embedding the CJK font.

    A notice that would run a little over a page is set tighter until it fits: a last sheet
    holding only the seal is what the window would hand out otherwise. Of the layouts the one
    with the fewest pages wins, the loosest among equals.
    """
    font = cjk_font_name()
    best: tuple[int, bytes] | None = None
    for tight in range(TIGHTNESS_LEVELS):
        pdf, pages = _build(data, Styles(font, tight))
        if pages == 1:
            return pdf
        if best is None or pages < best[0]:
            best = (pages, pdf)
    return best[1]


def _build(data: NoticeData, styles: Styles) -> tuple[bytes, int]:
    """(PDF bytes, number of pages)."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=15 * mm,
        bottomMargin=22 * mm, title=f"{data.title} {data.number}", author=data.department_name,
        subject=f"办件编号 {data.case_number}", creator="Shenpi", lang="zh-CN", invariant=True,
        initialFontName=styles.font,
    )
    story = _header(data, styles, doc.width) + Body(data, styles).flowables()
    footer = _footer(data, styles.font)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue(), doc.page
