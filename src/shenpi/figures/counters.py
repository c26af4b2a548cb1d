"""What each counter of the case aggregates counts: the one home of these definitions.

A counter belongs to a moment of the case (收件 received_at, 受理 accepted_at, 办结 completed_at,
结束 closed_at) and is counted on the local day (Asia/Shanghai) of that moment: a case completed at
23:30 on 31 October is an October completion. Voided cases (作废) are never counted. A counter is
either a number of cases (a condition on the case) or a sum over the cases of the moment.

The same definitions serve three readers, so they cannot drift apart:
- shenpi.figures.build, which groups the cases of a day range into the aggregates;
- `cases_behind`, the drill-down from a figure to the cases it counts;
- the definition pages and docs (`label`, `definition`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, ExtractHour, TruncDate

from shenpi.cases.models import Case, Channel, Decision, State
from shenpi.catalog.models import ItemVersion
from shenpi.supervision.models import Alert, Category


@dataclass(frozen=True)
class Moment:
    name: str
    label: str
    field: str
    condition: Q  # which cases have this moment (besides the moment being set)


MOMENTS: dict[str, Moment] = {m.name: m for m in (
    Moment("received", "收件", "received_at", Q()),
    Moment("accepted", "受理", "accepted_at", Q()),
    Moment("completed", "办结", "completed_at", Q(state=State.COMPLETED)),
    Moment("closed", "结束", "closed_at", Q(state__in=(State.REFUSED, State.WITHDRAWN))),
)}


@dataclass(frozen=True)
class Counter:
    name: str
    label: str
    moment: str
    definition: str
    when: Q | Callable[[], Q] = Q()  # a number of cases: those of the moment meeting this condition
    total: str | None = None         # or a sum of this annotation over the cases of the moment

    def condition(self) -> Q:
        """The condition (built when asked: some read other tables, which exist only once models load)."""
        return self.when() if callable(self.when) else self.when


def _alerted(*categories) -> Callable[[], Q]:
    # IN, not a correlated EXISTS: PostgreSQL hashes the flagged cases once instead of probing the
    # alerts once per completed case.
    return lambda: Q(pk__in=Alert.objects.filter(rule__category__in=categories, case_id__isnull=False)
                     .values("case_id"))


HOURS = range(24)

CASE_COUNTERS: tuple[Counter, ...] = (
    # 收件
    Counter("received", "收件数", "received", "收件时间在统计期内的办件"),
    Counter("online", "网上申报", "received", "收件中申报渠道为网上申报的办件", Q(channel=Channel.ONLINE)),
    Counter("full_online", "全程网办", "received",
            "收件中网上申报、且事项网办深度为四级（全程网办）的办件",
            Q(channel=Channel.ONLINE, version__online_depth=ItemVersion.OnlineDepth.FULL)),
    Counter("at_most_once", "最多跑一次", "received", "收件中事项承诺最多跑动次数不超过1次的办件",
            Q(version__max_visits__lte=1)),
    Counter("outside", "部门自建系统", "received", "收件中由部门自建系统登记（一厅双网）的办件",
            ~Q(source_system="")),
    *(Counter(f"received_h{h:02d}", f"{h}时收件", "received", f"收件时间在{h}:00–{h}:59（北京时间）的办件",
              Q(hour=h)) for h in HOURS),
    # 受理
    Counter("accepted", "受理数", "accepted", "受理时间在统计期内的办件（含即办件）"),
    # 办结
    Counter("completed", "办结数", "completed", "状态为已办结、办结时间在统计期内的办件"),
    Counter("on_time", "按时办结", "completed", "办结件中办结日期（北京时间）不晚于承诺办结期限的",
            Q(promised_due__gte=F("on"))),
    Counter("early", "提前办结", "completed", "办结件中办结日期早于承诺办结期限的", Q(promised_due__gt=F("on"))),
    Counter("statutory_on_time", "法定时限内办结", "completed", "办结件中办结日期不晚于法定办结期限的",
            Q(statutory_due__gte=F("on"))),
    Counter("on_the_spot", "即办件", "completed", "办结件中承诺时限为0（即办）的", Q(promised_limit=0)),
    Counter("denied", "不予许可", "completed", "办结件中决定为不予许可的", Q(decision=Decision.DENY)),
    Counter("used_days", "实际用时合计(工作日)", "completed",
            "办结件实际用时（工作日，不含暂停计时）之和", total="used"),
    Counter("promised_days", "承诺时限合计(工作日)", "completed", "办结件承诺时限之和", total="promised_limit"),
    Counter("statutory_days", "法定时限合计(工作日)", "completed", "办结件法定时限之和", total="statutory_limit"),
    Counter("used_q1", "用时≤承诺25%", "completed", "办结件中实际用时不超过承诺时限四分之一的",
            Q(used4__lte=F("promised_limit"))),
    Counter("used_q2", "用时25%–50%", "completed", "办结件中实际用时超过承诺时限25%、不超过50%的",
            Q(used4__gt=F("promised_limit"), used2__lte=F("promised_limit"))),
    Counter("used_q3", "用时50%–75%", "completed", "办结件中实际用时超过承诺时限50%、不超过75%的",
            Q(used2__gt=F("promised_limit"), used4__lte=F("promised3"))),
    Counter("used_q4", "用时75%–100%", "completed", "办结件中实际用时超过承诺时限75%、不超过承诺时限的",
            Q(used4__gt=F("promised3"), used__lte=F("promised_limit"))),
    Counter("used_over", "用时超承诺", "completed", "办结件中实际用时超过承诺时限的",
            Q(used__gt=F("promised_limit"))),
    Counter("procedure_flagged", "有程序类告警", "completed",
            "办结件中发生过程序类或受理类监察告警（任何级别、任何时间）的",
            _alerted(Category.PROCEDURE, Category.ACCEPTANCE)),
    Counter("fee_flagged", "有收费类告警", "completed", "办结件中发生过收费类监察告警的",
            _alerted(Category.FEE)),
    # 结束
    Counter("refused", "不予受理", "closed", "状态为不予受理、结束时间在统计期内的办件", Q(state=State.REFUSED)),
    Counter("withdrawn", "撤回", "closed", "状态为已撤回、结束时间在统计期内的办件", Q(state=State.WITHDRAWN)),
)
COUNTERS: dict[str, Counter] = {c.name: c for c in CASE_COUNTERS}
KEYS = ("department_id", "item_id", "channel", "window_id")


def of_moment(moment: str) -> list[Counter]:
    return [c for c in CASE_COUNTERS if c.moment == moment]


def moment_cases(moment: str, start: dt.datetime, end: dt.datetime | None) -> QuerySet:
    """The cases whose moment falls in [start, end) (end None: from start on), annotated for the
    counters' conditions."""
    m = MOMENTS[moment]
    used = Coalesce("used_days", Value(0))
    bounds = {f"{m.field}__gte": start, **({f"{m.field}__lt": end} if end is not None else {})}
    return (Case.objects.exclude(state=State.VOIDED)
            .filter(m.condition, **bounds)
            .annotate(on=TruncDate(m.field), hour=ExtractHour(m.field), used=used,
                      used2=used * 2, used4=used * 4, promised3=F("promised_limit") * 3))


def cases_behind(counter: str, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """Drill-down: the cases a counter counts over [start, end) (filter further by the keys)."""
    c = COUNTERS[counter]
    return moment_cases(c.moment, start, end).filter(c.condition())
