"""The demo's online payments (网上缴费), a closed day (日结) and a reconciled week (周对账).

The sandbox gateway is not running while `shenpi demo` plays the past year, so each online payment is
recorded the way the gateway's notification would have recorded it back then: an order placed at the
time, then `fees.online.settle` with the gateway's transaction number and time of payment (what the
signed notification carries, once verified) — the same path as a live notification, through
payments.record_payment. Then, at the last working day before today with online payments, each
department's online takings (and the windows' takings of that day) are closed, and the week before
is reconciled against a statement file in the gateway's format in which one payment is planted that
the platform never recorded (a notification lost and never queried): one difference to resolve.

`pay_online(charge, when, rng)` is the single call for the year's players to pay a charge online;
`play(end, seed, result)` pays a share of the demo charges still unpaid, then closes and reconciles.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.fees import closing, online, reconciliation
from shenpi.fees.gateway import OrderResult, StatementLine, statement_csv
from shenpi.fees.models import Charge, DailyClosing, GatewayOrder, Payment, Reconciliation
from shenpi.fees.periods import days_range

from .catalogue import CODE_PREFIX

# Of the demo's charges still unpaid when the fees are played, the share paid online (the rest wait).
ONLINE_SHARE = 0.6


def pay_online(charge: Charge, when: dt.datetime, rng: random.Random) -> Payment:
    """Pay `charge` online at `when`: the order a few minutes before, the notification's content after."""
    ordered = when - dt.timedelta(minutes=rng.randint(1, 6), seconds=rng.randint(0, 59))
    with clock.frozen(ordered):
        order = GatewayOrder.objects.create(
            charge=charge, order_no=online.new_order_no(), amount=charge.total, created_at=ordered,
            pay_url=f"https://pay.example.invalid/pay/{charge.number}")
    local = timezone.localtime(when)
    transaction_no = f"GT{local:%Y%m%d%H%M%S}{rng.randrange(10**6):06d}"
    with clock.frozen(when):
        return online.settle(OrderResult(order.order_no, "paid", transaction_no, charge.total,
                                         local.replace(microsecond=0)))


def _demo_charges():
    return Charge.objects.filter(department__code__startswith=CODE_PREFIX)


def _payment_moment(charge: Charge, end: dt.datetime, rng: random.Random) -> dt.datetime | None:
    """Within three days of the bill, in the day's waking hours, before the demo's today."""
    base = timezone.localtime(charge.created_at)
    for _ in range(5):
        moment = (base + dt.timedelta(days=rng.randint(0, 3))).replace(
            hour=rng.randint(8, 21), minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)
        if base < moment < end:
            return moment
    return None


def _closer(department, window) -> User | None:
    people = User.objects.filter(is_active=True)
    if window is not None:
        return people.filter(window=window, roles=Role.CLERK).order_by("pk").first()
    return (people.filter(department=department, roles=Role.APPROVER).order_by("pk").first()
            or people.filter(roles=Role.ADMIN).order_by("pk").first())


def _close_day(end: dt.datetime, result) -> None:
    """日结 of the last day before today with online payments: each department's online takings and
    the windows that took money that day."""
    today = timezone.localdate(end)
    online_days = [timezone.localdate(moment) for moment in _demo_payments().filter(
        channel=Payment.Channel.ONLINE).values_list("paid_at", flat=True).order_by("-paid_at")[:200]]
    day = next((d for d in online_days if d < today), None)
    if day is None:
        return
    start, stop = days_range(day, day)
    paid_that_day = _demo_payments().filter(paid_at__gte=start, paid_at__lt=stop)
    places = {(p.charge.department, None if p.channel == Payment.Channel.ONLINE else p.window)
              for p in paid_that_day.select_related("charge__department", "window")}
    evening = timezone.make_aware(dt.datetime.combine(day, dt.time(17, 40)))
    for department, window in sorted(places, key=lambda place: (place[0].code, place[1] and place[1].number or "")):
        actor = _closer(department, window)
        if actor is None or DailyClosing.objects.filter(department=department, window=window, day=day).exists():
            continue
        with clock.frozen(evening):
            closing.close_day(department=department, window=window, day=day, actor=actor)
        result.created["daily_closings"] += 1


def _demo_payments():
    return Payment.objects.filter(charge__department__code__startswith=CODE_PREFIX)


def _reconcile_week(end: dt.datetime, result) -> None:
    """周对账 of the last full week (Monday to Sunday), one payment the platform never recorded planted."""
    today = timezone.localdate(end)
    monday = today - dt.timedelta(days=today.weekday() + 7)
    sunday = monday + dt.timedelta(days=6)
    start, stop = days_range(monday, sunday)
    paid = list(_demo_payments().filter(channel=Payment.Channel.ONLINE, paid_at__gte=start, paid_at__lt=stop)
                .select_related("charge").order_by("paid_at"))
    lines = [StatementLine(p.gateway_order, p.gateway_transaction or "", p.charge.number, p.amount,
                           timezone.localtime(p.paid_at)) for p in paid]
    # The planted difference: paid at the gateway on Wednesday afternoon, never recorded here.
    planted = timezone.localtime(timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=2),
                                                                         dt.time(15, 12, 40))))
    lines.append(StatementLine(f"SP{planted:%Y%m%d%H%M%S}00000000", f"GT{planted:%Y%m%d%H%M%S}999999",
                               "370200000000000", Decimal("80.00"), planted))
    lines.sort(key=lambda line: line.paid_at)
    admin = User.objects.filter(roles=Role.ADMIN).order_by("pk").first()
    monday_morning = timezone.make_aware(dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(9, 30)))
    with clock.frozen(min(monday_morning, end)):
        reconciliation.reconcile(monday, sunday, actor=admin, statement=statement_csv(lines))
    result.created["reconciliations"] += 1


def played() -> bool:
    return Reconciliation.objects.exists()


def play(end: dt.datetime, seed: int, result) -> None:
    """Online payments of the demo charges still unpaid, a closed day and a reconciled week; a second
    run finds the reconciliation and changes nothing."""
    if played():
        return
    rng = random.Random(seed * 7 + 14)
    unpaid = _demo_charges().filter(status=Charge.Status.UNPAID, total__gt=0).filter(
        Q(orders__isnull=True)).order_by("created_at", "pk")
    for charge in unpaid:
        if rng.random() >= ONLINE_SHARE:
            continue
        moment = _payment_moment(charge, end, rng)
        if moment is None:
            continue
        pay_online(charge, moment, rng)
        result.created["online_payments"] += 1
    _close_day(end, result)
    _reconcile_week(end, result)
