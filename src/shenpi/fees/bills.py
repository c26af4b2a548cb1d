"""Bills (票据) and their stocks: 领 (a run of numbers issued to a window), 用 (the next blank number
printed for a paid charge, or voided with a reason), 缴 (handed back with the day), 销 (written off
after checking). Every number of a stock is accounted for: blank, used on one charge, or voided.

Electronic bills (财政电子票据) come from a stock of kind electronic per department, with no window:
the gateway side calls `issue_bill(charge, electronic=True, …)` after an online payment.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused

from .models import Bill, BillStock, Charge

# A run longer than this is a typing mistake, not a box of bills.
MAX_STOCK = 10_000


def _may_manage(user: User, department_id: int) -> None:
    """Stocks are issued and written off by the centre's administrator (the finance desk) or the
    department's approver, not by the window that uses them."""
    if user.is_superuser or user.has_role(Role.ADMIN):
        return
    if user.has_role(Role.APPROVER) and user.department_id == department_id:
        return
    raise Forbidden("票据的领用发放和核销由中心管理员或本部门审批人办理。")


def _may_use(user: User, stock: BillStock) -> None:
    if user.is_superuser or user.has_role(Role.ADMIN):
        return
    if stock.kind == BillStock.Kind.PAPER and (stock.holder_id == user.pk or
                                               (stock.window_id and stock.window_id == user.window_id)):
        return
    raise Forbidden("只能使用本窗口领用的票据。")


def issue_stock(*, department, series: str, first: int, last: int, actor: User, kind: str = BillStock.Kind.PAPER,
                window=None, holder: User | None = None) -> BillStock:
    """领: a run of numbers for a window (paper) or a department (electronic), every number blank."""
    series = (series or "").strip()
    if not series:
        raise InvalidInput("请填写票据代码。", {"series": ["请填写票据代码。"]})
    if first < 1 or last < first:
        raise InvalidInput("号码段不正确：终止号码不能小于起始号码。", {"last": ["终止号码不能小于起始号码。"]})
    if last - first + 1 > MAX_STOCK:
        raise InvalidInput(f"一次领用不超过{MAX_STOCK}份。", {"last": [f"一次领用不超过{MAX_STOCK}份。"]})
    if kind == BillStock.Kind.PAPER and window is None:
        raise InvalidInput("纸质票据须领用到窗口。", {"window": ["请选择窗口。"]})
    if kind == BillStock.Kind.ELECTRONIC:
        window = holder = None
    _may_manage(actor, department.pk)
    with transaction.atomic():
        overlap = BillStock.objects.select_for_update().filter(series=series, first__lte=last, last__gte=first)
        if overlap.exists():
            message = f"票据代码{series}的号码段与已领用的{overlap.first()}重叠。"
            raise InvalidInput(message, {"first": [message]})
        stock = BillStock.objects.create(kind=kind, series=series, first=first, last=last, department=department,
                                         window=window, holder=holder, issued_at=clock.now())
        Bill.objects.bulk_create(Bill(stock=stock, number=n) for n in range(first, last + 1))
        return stock


def stock_for(charge: Charge, *, electronic: bool, window=None) -> BillStock | None:
    """The stock the next bill comes from: the window's (paper) or the department's (electronic)
    issued stock with a blank number, the oldest first."""
    stocks = BillStock.objects.filter(status=BillStock.Status.ISSUED, bills__status=Bill.Status.BLANK)
    if electronic:
        stocks = stocks.filter(kind=BillStock.Kind.ELECTRONIC, department_id=charge.department_id)
    else:
        if window is None:
            return None
        stocks = stocks.filter(kind=BillStock.Kind.PAPER, window=window)
    return stocks.order_by("issued_at", "pk").first()


def _take_next(stock_id: int, charge: Charge, actor: User | None) -> Bill:
    # The stock row is the lock: two clerks at one window never print the same number.
    BillStock.objects.select_for_update().get(pk=stock_id)
    bill = Bill.objects.filter(stock_id=stock_id, status=Bill.Status.BLANK).order_by("number").first()
    if bill is None:
        raise TransitionRefused("该票据已用完，请领用新票据。")
    bill.status, bill.charge, bill.used_at, bill.used_by = Bill.Status.USED, charge, clock.now(), actor
    bill.save(update_fields=["status", "charge", "used_at", "used_by"])
    return bill


def issue_bill(charge: Charge, *, electronic: bool, actor: User | None, window=None) -> Bill:
    """用: the paid charge's bill on the next blank number. A charge has one bill in use: asked again
    (a repeated notification, a second click) it gives back the bill it has."""
    with transaction.atomic():
        charge = Charge.objects.select_for_update().get(pk=charge.pk)
        if charge.status != Charge.Status.PAID:
            raise TransitionRefused("收费单缴费后才能开具票据。")
        existing = charge.bills.filter(status=Bill.Status.USED).select_related("stock").first()
        if existing is not None:
            return existing
        stock = stock_for(charge, electronic=electronic, window=window)
        if stock is None:
            kind = "电子票据" if electronic else "本窗口的纸质票据"
            raise TransitionRefused(f"没有可用的{kind}，请先领用票据。")
        if not electronic and actor is not None:
            _may_use(actor, stock)
        return _take_next(stock.pk, charge, actor)


def void_bill(bill: Bill, *, actor: User, reason: str, reprint: bool = True) -> Bill | None:
    """作废 a number with its reason (a misprint, a torn form). A used bill's charge is reprinted on
    the next blank number of the same stock when `reprint`; the new bill is returned."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写作废原因。", {"reason": ["请填写作废原因。"]})
    with transaction.atomic():
        stock = BillStock.objects.select_for_update().get(pk=bill.stock_id)
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        _may_use(actor, stock)
        if stock.status != BillStock.Status.ISSUED:
            raise TransitionRefused("已缴回的票据不能再作废。")
        if bill.status == Bill.Status.VOIDED:
            raise TransitionRefused("该票据已作废。")
        charge = bill.charge
        bill.status, bill.voided_at, bill.void_reason = Bill.Status.VOIDED, clock.now(), reason[:200]
        # A voided number keeps the charge it was printed for: the stub shows what was spoiled.
        bill.save(update_fields=["status", "voided_at", "void_reason"])
        if charge is not None and reprint and charge.status == Charge.Status.PAID:
            return _take_next(stock.pk, charge, actor)
        return None


def hand_in(stock: BillStock, *, actor: User) -> BillStock:
    """缴: the window hands the stock back (the stubs and any blanks) with the day."""
    with transaction.atomic():
        stock = BillStock.objects.select_for_update().get(pk=stock.pk)
        _may_use(actor, stock)
        if stock.status != BillStock.Status.ISSUED:
            raise TransitionRefused("该票据已缴回。")
        stock.status, stock.handed_in_at = BillStock.Status.HANDED_IN, clock.now()
        stock.save(update_fields=["status", "handed_in_at"])
        return stock


def write_off(stock: BillStock, *, actor: User) -> BillStock:
    """销: after checking that every number is accounted for, the stock is written off."""
    with transaction.atomic():
        stock = BillStock.objects.select_for_update().get(pk=stock.pk)
        _may_manage(actor, stock.department_id)
        if stock.status != BillStock.Status.HANDED_IN:
            raise TransitionRefused("票据缴回后才能核销。")
        if stock.holder_id is not None and stock.holder_id == actor.pk:
            raise Forbidden("领用人不能核销自己领用的票据。")
        report = account(stock)
        if report.problems:
            raise TransitionRefused("票据核对不符，不能核销：" + "；".join(report.problems))
        stock.status, stock.written_off_at, stock.written_off_by = (BillStock.Status.WRITTEN_OFF, clock.now(),
                                                                   actor)
        stock.save(update_fields=["status", "written_off_at", "written_off_by"])
        return stock


# -- accounting for every number ---------------------------------------------------------------------

def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


@dataclass
class StockReport:
    stock: BillStock
    blank: list[int] = field(default_factory=list)
    used: list[int] = field(default_factory=list)
    voided: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.stock.last - self.stock.first + 1

    @property
    def counts(self) -> dict[str, int]:
        return {"blank": len(self.blank), "used": len(self.used), "voided": len(self.voided), "size": self.size}

    @property
    def accounted(self) -> bool:
        return not self.problems

    def runs(self, kind: str) -> list[str]:
        return [f"{a:08d}" if a == b else f"{a:08d}–{b:08d}" for a, b in _ranges(getattr(self, kind))]

    @property
    def blank_runs(self) -> str:
        return "、".join(self.runs("blank"))

    @property
    def used_runs(self) -> str:
        return "、".join(self.runs("used"))

    @property
    def voided_runs(self) -> str:
        return "、".join(self.runs("voided"))


def account(stock: BillStock) -> StockReport:
    """Every number of the stock, blank, used or voided, and whatever does not add up: a number
    missing or outside the run, a used bill without a paid charge, a voided one without a reason."""
    report = StockReport(stock)
    seen = set()
    rows = stock.bills.order_by("number").values_list("number", "status", "charge__status", "void_reason")
    for number, status, charge_status, void_reason in rows:
        seen.add(number)
        if not stock.first <= number <= stock.last:
            report.problems.append(f"号码{number:08d}不在本段内")
        if status == Bill.Status.BLANK:
            report.blank.append(number)
        elif status == Bill.Status.USED:
            report.used.append(number)
            if charge_status not in (Charge.Status.PAID, Charge.Status.REFUNDED):
                report.problems.append(f"号码{number:08d}已开具但收费单未缴费")
        else:
            report.voided.append(number)
            if not void_reason:
                report.problems.append(f"号码{number:08d}作废未注明原因")
    missing = [n for n in range(stock.first, stock.last + 1) if n not in seen]
    if missing:
        report.problems.append("缺号：" + "、".join(
            f"{a:08d}" if a == b else f"{a:08d}–{b:08d}" for a, b in _ranges(missing)))
    return report


def stock_counts(stocks):
    """Blank, used and voided counts per stock, in one query (the stock pages' table)."""
    return stocks.annotate(
        n_blank=Count("bills", filter=Q(bills__status=Bill.Status.BLANK)),
        n_used=Count("bills", filter=Q(bills__status=Bill.Status.USED)),
        n_voided=Count("bills", filter=Q(bills__status=Bill.Status.VOIDED)))


# -- the printed bill ---------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_GROUPS = ["", "万", "亿", "万亿"]


def capital_amount(amount: Decimal) -> str:
    """The amount in capital figures as bills print it (大写金额): 捌拾元整, 壹佰贰拾叁元肆角伍分."""
    fen = int((Decimal(amount) * 100).to_integral_value())
    yuan, jiao, fen_part = fen // 100, fen // 10 % 10, fen % 10
    text = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        parts = []
        zero_pending = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                zero_pending = bool(parts)
                continue
            chunk = ""
            digits = f"{group:04d}" if parts else str(group)
            for pos, char in enumerate(digits):
                d = int(char)
                unit = _UNITS[len(digits) - pos - 1]
                if d == 0:
                    zero_pending = bool(chunk or parts)
                    continue
                if zero_pending:
                    chunk += "零"
                    zero_pending = False
                chunk += _DIGITS[d] + unit
            parts.append(chunk + _GROUPS[index])
        text = "".join(parts) + "元"
    if not jiao and not fen_part:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen_part:
        text += _DIGITS[fen_part] + "分"
    return text


def bill_pdf(bill: Bill) -> bytes:
    """The printed bill: one A5 landscape page with the charge's lines, totals and the bill's number."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from shenpi.fonts import cjk_font_name

    charge = bill.charge
    case = charge.case
    font = cjk_font_name()
    buffer = io.BytesIO()
    width, height = landscape(A5)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1)
    pdf.setTitle(f"非税收入票据 {bill}")
    pdf.setFont(font, 16)
    pdf.drawCentredString(width / 2, height - 18 * mm, "非税收入统一票据")
    if bill.stock.kind == BillStock.Kind.ELECTRONIC:
        pdf.setFont(font, 9)
        pdf.drawCentredString(width / 2, height - 24 * mm, "（电子票据）")
    pdf.setFont(font, 9)
    pdf.drawString(15 * mm, height - 30 * mm, f"票据代码：{bill.stock.series}")
    pdf.drawRightString(width - 15 * mm, height - 30 * mm, f"票据号码：{bill.number:08d}")
    used = timezone.localtime(bill.used_at) if bill.used_at else None
    pdf.drawString(15 * mm, height - 36 * mm, f"执收单位：{charge.department.name}")
    pdf.drawRightString(width - 15 * mm, height - 36 * mm, f"开票日期：{used:%Y-%m-%d}" if used else "")
    pdf.drawString(15 * mm, height - 42 * mm, f"缴款人：{case.applicant_name}")
    pdf.drawRightString(width - 15 * mm, height - 42 * mm, f"缴款码：{charge.number}　办件编号：{case.number}")
    y = height - 52 * mm
    pdf.setFont(font, 10)
    for x, text in ((15, "项目名称"), (95, "数量"), (120, "标准金额"), (148, "减免"), (170, "金额(元)")):
        pdf.drawString(x * mm, y, text)
    pdf.line(15 * mm, y - 2 * mm, width - 15 * mm, y - 2 * mm)
    pdf.setFont(font, 9)
    for line in charge.lines.all():
        y -= 7 * mm
        pdf.drawString(15 * mm, y, line.name[:30])
        pdf.drawString(95 * mm, y, f"{line.quantity.normalize():f}{line.unit}")
        pdf.drawString(120 * mm, y, f"{line.standard_amount}")
        pdf.drawString(148 * mm, y, f"{line.waived_amount}" if line.waived_amount else "")
        pdf.drawString(170 * mm, y, f"{line.amount}")
    y -= 10 * mm
    pdf.line(15 * mm, y + 5 * mm, width - 15 * mm, y + 5 * mm)
    pdf.setFont(font, 10)
    pdf.drawString(15 * mm, y, f"合计（大写）：{capital_amount(charge.total)}")
    pdf.drawRightString(width - 15 * mm, y, f"（小写）¥{charge.total}")
    pdf.setFont(font, 9)
    who = bill.used_by.full_name if bill.used_by and bill.used_by.full_name else ""
    pdf.drawString(15 * mm, 15 * mm, f"收款人：{who}")
    pdf.drawRightString(width - 15 * mm, 15 * mm, "执收单位（盖章）")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
