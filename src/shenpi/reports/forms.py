"""The filters of a report page, read from the query string into an `Ask`, with Chinese messages.

The period is either a shortcut (`period=2026-10`, `2026-Q4`, `2026-H2`, `2026`) or two local days
(`from`, `to`, YYYY-MM-DD); without either it is the current month up to today. The department,
item, channel and window narrow the cases; a district or town (a department of level district or
town) stands for its whole subtree of departments. Staff who do not see every department are kept
to their own: the scope is forced to it, and asking for another department is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.http import urlencode

from shenpi import clock
from shenpi.cases.models import Channel
from shenpi.catalog.models import Department, Item, ItemVersion, Window
from shenpi.figures.query import Scope
from shenpi.performance.periods import KIND_LABELS, Period, PeriodError, recent

from .registry import Ask, Report

STANDARD = ("period", "department", "item", "channel", "window", "district")
# How far back a period may reach, and how long it may be: a report is read by people, not by scripts.
EARLIEST = dt.date(2000, 1, 1)
LONGEST_DAYS = 366 * 5
GROUPING_LABELS = {
    "department": "部门", "item": "事项", "channel": "申报渠道", "window": "窗口", "day": "日",
    "month": "月份", "year": "年度", "hour": "时段", "district": "区县/乡镇",
}
# The query-string names the filters are read from (and written back to in links).
PARAMS = ("period", "from", "to", "department", "item", "channel", "window", "district", "by")


class FilterError(Exception):
    """Input the report cannot be made from: `errors` maps a filter to its message; status 400 or 403."""

    def __init__(self, errors: dict[str, str], status: int = 400):
        super().__init__("；".join(errors.values()))
        self.errors, self.status = errors, status


def grouping_label(grouping: str) -> str:
    return "、".join(GROUPING_LABELS.get(part, part) for part in grouping.split("+"))


@dataclass
class Filters:
    """What was asked, as an Ask, plus what the form shows and what links carry."""

    ask: Ask
    period_code: str = ""           # the shortcut chosen, or ""
    chosen: dict[str, str] = field(default_factory=dict)  # the raw values kept (form and links)
    restricted_to: Department | None = None
    described: list[tuple[str, str]] = field(default_factory=list)  # (filter label, what was chosen)

    @property
    def period_label(self) -> str:
        first, last = self.ask.first, self.ask.last
        if self.period_code:
            return Period.parse(self.period_code).label
        return f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"

    def query(self, **more) -> str:
        """The query string of these filters (and `more`), for links and the export."""
        values = {k: v for k, v in self.chosen.items() if v not in ("", None)}
        values.update({k: v for k, v in more.items() if v is not None})
        return urlencode(values)

    def conditions(self) -> str:
        return "　".join(f"{label}：{value}" for label, value in self.described)


def sees_all(user) -> bool:
    return user.sees_all_departments


def may_read(user) -> bool:
    """Centre-wide roles read every department; other staff with a role, their own department."""
    return sees_all(user) or (bool(user.role_codes()) and user.department_id is not None)


def parse(report: Report | None, data, user, *, today: dt.date | None = None) -> Filters:
    """The filters in `data` (a QueryDict) for `report` (None: the statistics home page)."""
    today = today or clock.today()
    errors: dict[str, str] = {}
    allowed = report.filters if report is not None else ("period", "department", "district")
    chosen = {name: (data.get(name) or "").strip() for name in PARAMS}
    chosen = {k: v for k, v in chosen.items() if k in _params_of(allowed) or k == "by"}
    restricted = None if sees_all(user) else user.department
    first, last, code = _period(chosen, errors, today)
    described = [("统计期间", "")]
    departments: tuple[int, ...] = ()
    district = None
    dept = _model(chosen, "department", Department.objects.all(), errors, "部门")
    if dept is not None:
        if restricted is not None and dept.pk != restricted.pk:
            raise FilterError({"department": f"您只能查看本部门（{restricted.name}）的统计数据。"}, status=403)
        departments = (dept.pk,)
        described.append(("部门", dept.name))
    if restricted is not None:
        departments = (restricted.pk,)
        if dept is None:
            described.append(("部门", f"{restricted.name}（本部门）"))
    area = _model(chosen, "district", Department.objects.filter(
        level__in=(Department.Level.DISTRICT, Department.Level.TOWN)), errors, "区县/乡镇")
    if area is not None:
        district = area.pk
        subtree = area.subtree_ids()
        # Within a chosen (or forced) department the district only narrows it; alone it is its subtree.
        departments = tuple(sorted(set(departments) & subtree if departments else subtree)) or (0,)
        described.append(("区县/乡镇", area.name))
    item = _model(chosen, "item", Item.objects.all(), errors, "事项")
    if item is not None:
        described.append(("事项", item_names([item.pk]).get(item.pk, item.code)))
    window = _model(chosen, "window", Window.objects.all(), errors, "窗口")
    if window is not None:
        described.append(("窗口", str(window)))
    channel = chosen.get("channel", "")
    if channel and channel not in Channel.values:
        known = "、".join(f"{value}（{label}）" for value, label in Channel.choices)
        errors["channel"] = f"申报渠道“{channel}”不存在，应为{known}。"
    elif channel:
        described.append(("申报渠道", Channel(channel).label))
    by = _grouping(report, chosen, errors)
    extra = {name: (data.get(name) or "").strip() for name in allowed if name not in STANDARD}
    for name, value in extra.items():
        if value:
            chosen[name] = value
    if errors:
        raise FilterError(errors)
    scope = Scope(departments=departments, items=(item.pk,) if item else (),
                  channels=(channel,) if channel else (), windows=(window.pk,) if window else ())
    ask = Ask(first=first, last=last, scope=scope, by=by, district=district,
              extra={k: v for k, v in extra.items() if v})
    filters = Filters(ask=ask, period_code=code, chosen=chosen, restricted_to=restricted, described=described)
    described[0] = ("统计期间", filters.period_label)
    if by:
        described.append(("分组", grouping_label("+".join(by))))
    return filters


def _params_of(allowed) -> set[str]:
    names = set(allowed) - {"period"}
    if "period" in allowed:
        names |= {"period", "from", "to"}
    return names


def _period(chosen: dict, errors: dict, today: dt.date) -> tuple[dt.date, dt.date, str]:
    code, raw_from, raw_to = chosen.get("period", ""), chosen.get("from", ""), chosen.get("to", "")
    if code and (raw_from or raw_to):
        errors["period"] = "请选择统计期间，或填写起止日期，二者只能选其一。"
        return today, today, ""
    if code:
        try:
            period = Period.parse(code)
        except PeriodError:
            errors["period"] = (f"统计期间“{code}”格式不对，应为 2026-10（月）、2026-Q4（季度）、"
                                "2026-H2（半年）或 2026（年）。")
            return today, today, ""
        if period.first > today:
            errors["period"] = f"{period.label}尚未开始，没有统计数据。"
        return period.first, period.last, period.code
    if raw_from or raw_to:
        first = _day(raw_from, "from", "开始日期", errors)
        last = _day(raw_to, "to", "结束日期", errors)
        if first and last:
            if first > last:
                errors["to"] = "结束日期不能早于开始日期。"
            elif first < EARLIEST:
                errors["from"] = f"开始日期不能早于{EARLIEST:%Y-%m-%d}。"
            elif first > today:
                errors["from"] = "开始日期不能晚于今天。"
            elif (last - first).days >= LONGEST_DAYS:
                errors["to"] = "统计期间不能超过5年，请缩短期间。"
        return first or today, last or today, ""
    return today.replace(day=1), today, ""


def _day(raw: str, name: str, label: str, errors: dict) -> dt.date | None:
    if not raw:
        errors[name] = f"请填写{label}。"
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{label}“{raw}”不是有效日期，应为 YYYY-MM-DD，如 2026-10-01。"
        return None


def _model(chosen: dict, name: str, queryset, errors: dict, label: str):
    raw = chosen.get(name, "")
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = f"{label}“{raw}”不正确，请从列表中选择。"
        return None
    found = queryset.filter(pk=int(raw)).first()
    if found is None:
        errors[name] = f"所选{label}不存在，请从列表中选择。"
    return found


def _grouping(report: Report | None, chosen: dict, errors: dict) -> tuple[str, ...]:
    if report is None:
        return ()
    raw = chosen.get("by", "")
    if not raw:
        return tuple(report.groupings[0].split("+")) if report.groupings else ()
    if raw not in report.groupings:
        allowed = "、".join(f"{g}（{grouping_label(g)}）" for g in report.groupings) or "无"
        errors["by"] = f"本报表不能按“{raw}”分组，可选：{allowed}。"
        return ()
    return tuple(raw.split("+"))


def item_names(ids) -> dict[int, str]:
    """The names of items (their published versions; the code when none is published)."""
    names = dict(ItemVersion.objects.published().filter(item_id__in=ids).order_by("item_id", "number")
                 .values_list("item_id", "name"))
    missing = set(ids) - set(names)
    if missing:
        names.update(Item.objects.filter(pk__in=missing).values_list("pk", "code"))
    return names


def options(filters: Filters | None, user) -> dict:
    """The choices of the form's lists (staff kept to their department see its items and windows only)."""
    restricted = None if sees_all(user) else user.department
    departments = Department.objects.all() if restricted is None else Department.objects.filter(pk=restricted.pk)
    items = Item.objects.all() if restricted is None else Item.objects.filter(department=restricted)
    item_ids = list(items.values_list("pk", flat=True))
    names = item_names(item_ids)
    windows = Window.objects.all() if restricted is None else Window.objects.filter(department=restricted)
    return {
        "departments": [(d.pk, d.name) for d in departments.order_by("sort", "code")],
        "districts": [(d.pk, d.name, d.get_level_display()) for d in Department.objects.filter(
            level__in=(Department.Level.DISTRICT, Department.Level.TOWN)).order_by("level", "sort", "code")],
        "items": sorted(((pk, names.get(pk, "")) for pk in item_ids), key=lambda pair: pair[1]),
        "channels": list(Channel.choices),
        "windows": [(w.pk, str(w)) for w in windows],
        "periods": _period_options(filters),
    }


def _period_options(filters: Filters | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The shortcuts, grouped by kind (months, quarters, half-years, years), the newest first."""
    periods = recent(clock.today())
    if filters is not None and filters.period_code:
        chosen = Period.parse(filters.period_code)
        if chosen not in periods:
            periods.append(chosen)
    groups: dict[str, list[tuple[str, str]]] = {}
    for period in sorted(periods, reverse=True):
        groups.setdefault(KIND_LABELS[period.kind], []).append((period.code, period.label))
    return [(label, groups[label]) for label in KIND_LABELS.values() if label in groups]
