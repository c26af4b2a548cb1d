"""What the demo's results look like, for the run log: fees and bills, certificates, 一证通办, delivery."""

from __future__ import annotations

from django.db.models import Count, Q

from shenpi.delivery.models import Delivery
from shenpi.fees.models import Bill, Charge, DailyClosing, Difference, Payment, Reconciliation
from shenpi.licences.models import Citation, Licence


def summary() -> list[str]:
    charges = Charge.objects.aggregate(
        all=Count("pk"), paid=Count("pk", filter=Q(status=Charge.Status.PAID)),
        unpaid=Count("pk", filter=Q(status=Charge.Status.UNPAID)),
        refunded=Count("pk", filter=Q(status=Charge.Status.REFUNDED)))
    online = Payment.objects.filter(channel=Payment.Channel.ONLINE).count()
    bills = Bill.objects.aggregate(used=Count("pk", filter=Q(status=Bill.Status.USED)),
                                   voided=Count("pk", filter=Q(status=Bill.Status.VOIDED)))
    licences = Licence.objects.aggregate(
        all=Count("pk"), valid=Count("pk", filter=Q(status=Licence.Status.VALID)),
        revoked=Count("pk", filter=Q(status=Licence.Status.REVOKED)))
    deliveries = dict(Delivery.objects.values_list("method").annotate(n=Count("pk")).values_list("method", "n"))
    labels = dict(Delivery.Method.choices)
    return [
        f"收费：收费单 {charges['all']}（已缴 {charges['paid']}，其中网上缴费 {online}；待缴 {charges['unpaid']}；"
        f"已退费 {charges['refunded']}），票据已开具 {bills['used']}、作废 {bills['voided']}；"
        f"日结 {DailyClosing.objects.count()}，对账 {Reconciliation.objects.count()}"
        f"（差异 {Difference.objects.count()}）",
        f"证照：{licences['all']}（有效 {licences['valid']}，已吊销 {licences['revoked']}），"
        f"一证通办引用 {Citation.objects.count()}；送达："
        + "，".join(f"{labels[m]} {n}" for m, n in sorted(deliveries.items())),
    ]
