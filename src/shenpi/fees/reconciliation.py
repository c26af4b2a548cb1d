"""周对账 (weekly reconciliation): the payment gateway's statement file for a period against the online
payments recorded here, every difference listed — paid at the gateway but not recorded here, recorded
here but not in the statement, or recorded for another amount — until somebody resolves it with a note.

Lines are matched on the gateway's transaction number (支付流水号), else on the order number. Both sides
date a payment by the gateway's own time of payment (the notification carries it), in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from openpyxl import Workbook

from shenpi import clock, spreadsheets
from shenpi.crypto import sm3_hex
from shenpi.errors import InvalidInput, TransitionRefused

from . import gateway as gateway_module
from .gateway import GatewayError, parse_statement
from .models import Difference, Payment, Reconciliation
from .periods import days_range, local_time

LONGEST_PERIOD = dt.timedelta(days=31)


def reconcile(first_day: dt.date, last_day: dt.date, *, actor=None, statement: bytes | None = None) -> Reconciliation:
    """Reconcile the period with the statement given (an uploaded file) or fetched from the gateway."""
    if last_day < first_day:
        raise InvalidInput("截止日期不能早于起始日期。", {"last_day": ["截止日期不能早于起始日期。"]})
    if last_day - first_day >= LONGEST_PERIOD:
        raise InvalidInput("一次对账最长31天。", {"last_day": ["一次对账最长31天。"]})
    if last_day > clock.today():
        raise InvalidInput("不能对未来的日期对账。", {"last_day": ["不能对未来的日期对账。"]})
    if statement is None:
        try:
            statement = gateway_module.gateway().statement(first_day, last_day)
        except GatewayError as error:
            raise TransitionRefused(f"未能取得对账单：{error}") from error
    try:
        lines = parse_statement(statement)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"对账单无法读取：{error}", {"statement": [str(error)]}) from error
    start, end = days_range(first_day, last_day)
    lines = [line for line in lines if start <= line.paid_at < end]
    recorded = list(Payment.objects.filter(channel=Payment.Channel.ONLINE, paid_at__gte=start, paid_at__lt=end)
                    .order_by("paid_at", "pk"))
    by_transaction = {p.gateway_transaction: p for p in recorded if p.gateway_transaction}
    by_order = {p.gateway_order: p for p in recorded if p.gateway_order}
    # A line outside our period may still match a payment recorded on another day (late notification).
    matched: set[int] = set()
    differences = []
    for line in lines:
        payment = by_transaction.get(line.transaction) or by_order.get(line.order_no)
        if payment is None and line.transaction:
            payment = Payment.objects.filter(gateway_transaction=line.transaction).first()
        if payment is None:
            differences.append(Difference(kind=Difference.Kind.PAID_NOT_RECORDED, order_no=line.order_no,
                                          transaction=line.transaction, gateway_amount=line.amount))
            continue
        matched.add(payment.pk)
        if payment.amount != line.amount:
            differences.append(Difference(kind=Difference.Kind.AMOUNT_DIFFERS, order_no=line.order_no,
                                          transaction=line.transaction, gateway_amount=line.amount,
                                          recorded_amount=payment.amount))
    for payment in recorded:
        if payment.pk not in matched:
            differences.append(Difference(kind=Difference.Kind.RECORDED_NOT_PAID, order_no=payment.gateway_order,
                                          transaction=payment.gateway_transaction or "",
                                          recorded_amount=payment.amount))
    with transaction.atomic():
        reconciliation = Reconciliation(
            first_day=first_day, last_day=last_day, statement_digest=sm3_hex(statement),
            gateway_count=len(lines), gateway_amount=sum((line.amount for line in lines), Decimal("0")),
            recorded_count=len(recorded), recorded_amount=sum((p.amount for p in recorded), Decimal("0")),
            created_at=clock.now(), created_by=actor)
        reconciliation.statement.save(f"statement-{first_day:%Y%m%d}-{last_day:%Y%m%d}.csv", ContentFile(statement),
                                      save=False)
        reconciliation.save()
        for difference in differences:
            difference.reconciliation = reconciliation
        Difference.objects.bulk_create(differences)
    return reconciliation


def resolve(difference: Difference, note: str, *, actor=None) -> Difference:
    """Mark a difference resolved with what was done about it (补记, 退款, 平台更正 …)."""
    note = " ".join((note or "").split())
    if not note:
        raise InvalidInput("请填写处理说明。", {"note": ["请填写处理说明。"]})
    if len(note) > 300:
        raise InvalidInput("处理说明不能超过300字。", {"note": ["处理说明不能超过300字。"]})
    with transaction.atomic():
        difference = Difference.objects.select_for_update().get(pk=difference.pk)
        if difference.resolved_at is not None:
            raise TransitionRefused("该差异已处理。")
        who = f"（{actor}）" if actor is not None else ""
        difference.resolved_at, difference.resolution = clock.now(), (note + who)[:300]
        difference.save(update_fields=["resolved_at", "resolution"])
    return difference


def export(reconciliation: Reconciliation) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "对账差异"
    conditions = (f"对账期间：{reconciliation.first_day:%Y-%m-%d}至{reconciliation.last_day:%Y-%m-%d}　"
                  f"对账单{reconciliation.gateway_count}笔 {reconciliation.gateway_amount}元　本平台"
                  f"{reconciliation.recorded_count}笔 {reconciliation.recorded_amount}元　对账时间："
                  f"{local_time(reconciliation.created_at)}　对账单SM3：{reconciliation.statement_digest}")
    rows = [[d.get_kind_display(), d.order_no, d.transaction or None,
             None if d.gateway_amount is None else float(d.gateway_amount),
             None if d.recorded_amount is None else float(d.recorded_amount),
             "已处理" if d.resolved_at else "待处理", d.resolution or None]
            for d in reconciliation.differences.all()]
    spreadsheets.titled_table(sheet, "网上缴费对账差异表", conditions,
                              ["差异类型", "支付订单号", "支付流水号", "对账单金额(元)", "本平台金额(元)", "状态",
                               "处理说明"], rows, widest_of={"处理说明": 40})
    return spreadsheets.saved(book)
