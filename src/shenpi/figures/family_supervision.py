"""The supervision family (监察统计): alerts (预警、黄牌、红牌) and supervision orders (督办).

What is counted — the one home of these definitions, read by the upkeep, the drill-down and the
definition pages alike:

- Alerts per local day (Asia/Shanghai) of detection (`detected_at`) × responsible department ×
  rule category × level: `raised` the alerts detected that day, and of those `answered` the ones
  with a rectification answer (整改说明), `still_open` the ones not lifted yet, `on_cases` the ones
  about a case. A reopened alert counts on the day it was detected again.
- Orders per local day × responsible department, each on the day of its own moment: `issued` on the
  day of issue, `answered` on the day of the department's first reply (整改反馈), `closed` on the day
  the supervisor accepted it (办结); and of the orders issued that day, `still_open` those not closed
  and `overdue` those still waiting for a reply after their reply deadline (as of today).

Two families of the upkeep, each with its own watermark: "alerts" (alert ids) and "orders" (order
history ids: every issue, reply, acceptance and return writes one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from shenpi import clock
from shenpi.cases.models import Case
from shenpi.supervision.models import Alert, Category, Level, Order, OrderEntry

from . import upkeep
from .daytables import Rows, Table, add
from .models_supervision import ALERT_VALUES, ORDER_VALUES, AlertDay, AlertMonth, OrderDay, OrderMonth

ALERTS_FAMILY = "alerts"
ORDERS_FAMILY = "orders"

ALERTS = Table(AlertDay, AlertMonth, ("department", "category", "level"), ALERT_VALUES)
ORDERS = Table(OrderDay, OrderMonth, ("department",), ORDER_VALUES)

CATEGORIES = dict(Category.choices)
LEVELS = dict(Level.choices)

DEFINITIONS = {
    "raised": "发现时间（北京时间）在统计期内的监察告警，按责任部门、监察点类别、级别计",
    "answered": "统计期内发现的告警中，责任部门已填写整改说明的",
    "still_open": "统计期内发现的告警中，至今未解除的",
    "on_cases": "统计期内发现的告警中，监察对象涉及具体办件的",
    "orders_issued": "督办时间在统计期内的督办单",
    "orders_answered": "首次整改反馈在统计期内的督办单",
    "orders_closed": "审核通过（办结）时间在统计期内的督办单",
    "orders_still_open": "统计期内发出的督办单中，至今未办结的",
    "orders_overdue": "统计期内发出的督办单中，至今待反馈且已超过反馈期限的",
}


# -- the source rows behind each figure -------------------------------------------------------------
def alerts_detected(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return Alert.objects.filter(detected_at__gte=start, detected_at__lt=end)


ALERT_CONDITIONS = {
    "raised": Q(),
    "answered": Q(answered_at__isnull=False),
    "still_open": Q(status=Alert.Status.OPEN),
    "on_cases": Q(case_id__isnull=False),
}


def orders_issued(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return Order.objects.filter(issued_at__gte=start, issued_at__lt=end)


def order_conditions(today: dt.date) -> dict[str, Q]:
    """Conditions on the orders issued in a period (overdue depends on today)."""
    return {
        "issued": Q(),
        "still_open": ~Q(status=Order.Status.ACCEPTED),
        "overdue": Q(status=Order.Status.OPEN, reply_due__lt=today),
    }


def first_replies(start: dt.datetime, end: dt.datetime) -> QuerySet:
    """(order, department, first reply moment) of the orders whose first reply falls in [start, end)."""
    return (OrderEntry.objects.filter(kind=OrderEntry.Kind.REPLY).order_by()
            .values("order_id", department_id=F("order__department_id")).annotate(first=Min("at"))
            .filter(first__gte=start, first__lt=end))


def orders_closed(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return Order.objects.filter(status=Order.Status.ACCEPTED, closed_at__gte=start, closed_at__lt=end)


# -- counting ---------------------------------------------------------------------------------------
def count_alerts(first: dt.date, last: dt.date) -> Rows:
    rows: Rows = {}
    grouped = (alerts_detected(*clock.days_range(first, last)).order_by()
               .values("department_id", "level", category=F("rule__category"), on=TruncDate("detected_at"))
               .annotate(**{name: Count("pk", filter=q) for name, q in ALERT_CONDITIONS.items()}))
    for row in grouped:
        add(rows, (row["on"], row["department_id"], row["category"], row["level"]),
            **{name: row[name] for name in ALERT_CONDITIONS})
    return rows


def count_orders(first: dt.date, last: dt.date) -> Rows:
    start, end = clock.days_range(first, last)
    rows: Rows = {}
    conditions = order_conditions(clock.today())
    for row in (orders_issued(start, end).order_by().values("department_id", on=TruncDate("issued_at"))
                .annotate(**{name: Count("pk", filter=q) for name, q in conditions.items()})):
        add(rows, (row["on"], row["department_id"]), **{name: row[name] for name in conditions})
    for row in first_replies(start, end):
        add(rows, (clock.local_date(row["first"]), row["department_id"]), answered=1)
    for row in (orders_closed(start, end).order_by().values("department_id", on=TruncDate("closed_at"))
                .annotate(n=Count("pk"))):
        add(rows, (row["on"], row["department_id"]), closed=row["n"])
    return rows


def rebuild_alert_days(days: Iterable[dt.date]) -> int:
    return ALERTS.rebuild_days(days, count_alerts)


def rebuild_order_days(days: Iterable[dt.date]) -> int:
    return ORDERS.rebuild_days(days, count_orders)


# -- upkeep -----------------------------------------------------------------------------------------
def alert_watermark() -> int:
    return Alert.objects.aggregate(last=Max("pk"))["last"] or 0


def alerts_changed(after: int, up_to: int, since: dt.datetime) -> set[dt.date]:
    """Detection days of the alerts new since the last run, or detected, answered or lifted since `since`;
    and, when an alert was reopened (its detection moved to today), the days its old count stays on."""
    days: set[dt.date] = set()
    # One query per condition rather than an OR: the id range and the detection moment use their indexes.
    for touched in (Q(pk__gt=after, pk__lte=up_to), Q(detected_at__gte=since), Q(answered_at__gte=since),
                    Q(closed_at__gte=since)):
        days.update(Alert.objects.filter(touched).order_by().annotate(on=TruncDate("detected_at"))
                    .values_list("on", flat=True).distinct())
    reopened = (Alert.objects.filter(detected_at__gte=since, reopened__gt=0).order_by()
                .values_list("department_id", "rule__category", "level").distinct())
    for department, category, level in reopened:
        days |= _miscounted_days(department, category, level)
    return days


def _miscounted_days(department: int, category: str, level: int) -> set[dt.date]:
    """Days whose stored count of one department's alerts of a category and level differs from the alerts."""
    actual = {row["on"]: row["n"] for row in Alert.objects.filter(
        department_id=department, rule__category=category, level=level).order_by()
        .values(on=TruncDate("detected_at")).annotate(n=Count("pk"))}
    stored = {row["day"]: row["n"] for row in AlertDay.objects.filter(
        department_id=department, category=category, level=level).order_by()
        .values("day").annotate(n=Sum("raised"))}
    return {d for d in actual.keys() | stored.keys() if actual.get(d, 0) != stored.get(d, 0)}


def alerts_first_day() -> dt.date | None:
    first = Alert.objects.order_by("detected_at").values_list("detected_at", flat=True).first()
    return clock.local_date(first) if first else None


def order_watermark() -> int:
    return OrderEntry.objects.aggregate(last=Max("pk"))["last"] or 0


def orders_changed(after: int, up_to: int, since: dt.datetime) -> set[dt.date]:
    """The days of the orders with history since the last run, and the issue days of the orders whose
    reply deadline passed since then (they turned overdue without any action)."""
    order_ids = set(OrderEntry.objects.filter(Q(pk__gt=after, pk__lte=up_to) | Q(at__gte=since))
                    .order_by().values_list("order_id", flat=True).distinct())
    order_ids |= set(Order.objects.filter(Q(issued_at__gte=since) | Q(
        status=Order.Status.OPEN, reply_due__gte=clock.local_date(since) - dt.timedelta(days=1),
        reply_due__lt=clock.today())).values_list("pk", flat=True))
    days: set[dt.date] = set()
    ids = sorted(order_ids)
    for first in range(0, len(ids), 5000):
        chunk = (Order.objects.filter(pk__in=ids[first:first + 5000]).order_by()
                 .annotate(first_reply=Min("entries__at", filter=Q(entries__kind=OrderEntry.Kind.REPLY)))
                 .values_list("issued_at", "closed_at", "first_reply"))
        days.update(clock.local_date(m) for row in chunk for m in row if m is not None)
    return days


def orders_first_day() -> dt.date | None:
    first = Order.objects.order_by("issued_at").values_list("issued_at", flat=True).first()
    return clock.local_date(first) if first else None


upkeep.register(upkeep.Family(ALERTS_FAMILY, alert_watermark, alerts_changed, rebuild_alert_days,
                              alerts_first_day))
upkeep.register(upkeep.Family(ORDERS_FAMILY, order_watermark, orders_changed, rebuild_order_days,
                              orders_first_day))


# -- reading ----------------------------------------------------------------------------------------
def alert_totals(first: dt.date, last: dt.date, *, by=(), departments=(), categories=(), levels=()) -> list[dict]:
    return ALERTS.sums(first, last, by=by, where=ALERTS.among(department=departments, category=categories,
                                                              level=levels))


def order_totals(first: dt.date, last: dt.date, *, by=(), departments=()) -> list[dict]:
    return ORDERS.sums(first, last, by=by, where=ORDERS.among(department=departments))


# -- drill-down -------------------------------------------------------------------------------------
def alerts_behind(column: str, first: dt.date, last: dt.date) -> QuerySet:
    """The alerts an alert figure counts over the local days first..last (filter further by
    department_id, rule__category, level)."""
    return alerts_detected(*clock.days_range(first, last)).filter(ALERT_CONDITIONS[column])


def orders_behind(column: str, first: dt.date, last: dt.date) -> QuerySet:
    """The orders an order figure counts over the local days first..last (filter further by department_id)."""
    start, end = clock.days_range(first, last)
    if column == "answered":
        return Order.objects.filter(pk__in=[row["order_id"] for row in first_replies(start, end)])
    if column == "closed":
        return orders_closed(start, end)
    return orders_issued(start, end).filter(order_conditions(clock.today())[column])


def cases_of_alerts(alerts: QuerySet) -> QuerySet:
    """The cases of those alerts that are about a case (an alert on a step or an order may have none)."""
    return Case.objects.filter(pk__in=alerts.filter(case_id__isnull=False).values("case_id"))


def cases_of_orders(orders: QuerySet) -> QuerySet:
    """The cases an order names, directly or through its alerts."""
    return Case.objects.filter(Q(pk__in=orders.values("cases")) | Q(
        pk__in=Alert.objects.filter(orders__in=orders, case_id__isnull=False).values("case_id")))

