"""A year of applications, planned before anything is written: who applies for what, and when
each person acts on it.

Planning is pure (a seeded random generator, the catalogue data and the working-day calendar),
so a seed always yields the same year. shenpi.demo.generator then plays the plans through the
case services in time order, moving shenpi.clock forward. A plan stops wherever the year ends:
cases received lately are still open today, and some are planned to sit so that today shows
cases about to expire, overdue and long overdue ones, and every state of the lifecycle.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from shenpi.accounts.models import Role
from shenpi.cases.models import ApplicantKind, Channel
from shenpi.workdays.calendar import WorkCalendar

from . import people
from .catalogue import ALL_ITEMS, CENTRE, CITY, DEPARTMENTS_BY_SLUG, FLOWS, PROJECT_DEPARTMENTS, ItemData

OPENS, CLOSES = dt.time(9, 0), dt.time(17, 30)
DAY_HOURS = 8.5


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    action: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Applicant:
    kind: str
    name: str
    id_number: str
    contact_name: str
    phone: str


@dataclass
class Plan:
    index: int
    item: int  # index into catalogue.ALL_ITEMS
    clerk: str  # username of the clerk who receives and delivers
    channel: str
    applicant: Applicant
    title: str
    materials: tuple[str, ...]  # per material of the item: "r" received, "d" deferred (容缺), "m" missing
    events: list[Event]
    purpose: str = "year"  # or what the plan is meant to show today

    @property
    def received_at(self) -> dt.datetime:
        return self.events[0].at


# -- what planning needs to know of an item -----------------------------------------------------

@dataclass(frozen=True)
class ItemFacts:
    index: int
    data: ItemData
    stages: tuple[int, ...]  # number of steps working side by side at each seq of the flow
    extension_limit: int

    @property
    def promised(self) -> int:
        return self.data.promised


def stage_widths(data: ItemData) -> tuple[int, ...]:
    if data.joint:
        return (1, len(data.joint), 1)
    seqs = [seq for seq, _, _ in FLOWS[data.flow]]
    return tuple(seqs.count(seq) for seq in sorted(set(seqs)))


def item_facts() -> list[ItemFacts]:
    return [ItemFacts(i, d, stage_widths(d), 15 if d.joint else 10) for i, d in enumerate(ALL_ITEMS)]


# -- office time on the calendar ---------------------------------------------------------------

class OfficeTime:
    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def later(self, moment: dt.datetime, hours: float) -> dt.datetime:
        """`hours` office hours after the moment (weekends, holidays and nights skipped)."""
        local = timezone.localtime(moment)
        return self.calendar.add_hours(local, max(hours, 1 / 60), OPENS, CLOSES).replace(second=0, microsecond=0)

    def minutes_later(self, moment: dt.datetime, rng: random.Random, low: int, high: int) -> dt.datetime:
        return self.later(moment, rng.randint(low, high) / 60)

    def days_later(self, moment: dt.datetime, days: int, rng: random.Random) -> dt.datetime:
        """Some time of the working day `days` working days after the moment's day."""
        if days <= 0:
            return self.minutes_later(moment, rng, 10, 120)
        day = self.calendar.add(timezone.localdate(moment), days)
        return self.at(day, rng.randint(9, 16), rng.randint(0, 59))

    def back(self, day: dt.date, n: int) -> dt.date:
        """The working day n working days before `day` (so that add(result, n) == day for a working day)."""
        while n > 0:
            day -= dt.timedelta(days=1)
            if self.calendar.is_workday(day):
                n -= 1
        return day

    def workdays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        return self.calendar.workdays_in(start, end)


# -- words people write --------------------------------------------------------------------------

PROBLEMS = ("未提交", "未提交原件核验", "复印件不清晰", "缺少法定代表人签字和单位盖章", "内容填写不完整")
REFUSALS = ("申请事项依法不需要取得行政许可，已告知申请人。",
            "申请事项不属于本机关职权范围，已告知申请人向有关行政机关申请。",
            "申请人逾期未补正申请材料，且明确表示不再补正。",
            "申请人不具备申请该事项的主体资格。")
WITHDRAWALS = ("申请人书面申请撤回。", "申请人因项目调整，书面申请撤回。", "申请人拟变更申请内容后重新申报，申请撤回。")
VOIDS = ("窗口重复录入，予以作废。", "申请人证件信息录入错误，已重新登记，原件作废。",
         "误选事项，已按正确事项重新收件。")
RETURNS = ("审查意见不充分，请补充核查要点后重新审查。", "现场核查记录与申请材料不一致，退回重新核实。",
           "技术审查意见需补充图纸核对情况。")
PROCEDURE_REASONS = {
    "expert_review": "涉及专业技术问题，组织专家对申请材料进行技术评审。",
    "site_survey": "需对申请人的经营(建设)场所进行现场勘查核实。",
    "publicity": "依法进行批前公示，征求利害关系人意见。",
    "hearing": "涉及申请人与他人之间重大利益关系，利害关系人申请听证。",
    "testing": "委托具有资质的检测机构进行检测。",
    "inspection": "委托检验机构对相关设施进行检验。",
}
# A supplement request: its reason and the materials it lists on the 补交材料告知书.
SUPPLEMENTS = (
    ("请补交相关许可证明原件以供核验。", [{"name": "相关许可证明原件", "problem": "仅提交复印件，需核验原件"}]),
    ("请补充提交技术方案的补充说明材料。", [{"name": "技术方案补充说明", "problem": "工艺流程和主要设备参数未说明"}]),
    ("请补交与原件一致的证明文件。", [{"name": "证明文件（与原件一致）", "problem": "复印件与原件内容不一致"},
                                 {"name": "情况说明", "problem": "说明不一致的原因并加盖公章"}]),
)
EXTENSIONS = ("涉及复杂技术问题需进一步论证，经本机关负责人批准延长办理期限。",
              "需征求相关部门意见，经本机关负责人批准延长办理期限。")
DENIALS = ("经审查，申请人不符合法定条件：经营场所布局不符合相关规范要求。",
           "经现场核查，申请人实际情况与申请材料不一致，不予许可。",
           "经专家评审，技术方案不满足相关标准要求，不予许可。")
OPINIONS = ("材料齐全，符合法定条件，同意。", "经审查符合要求，拟同意。", "同意，报请审批。", "经审核，同意。",
            "情况属实，建议准予许可。")
DELIVERIES = ("窗口领取", "EMS邮寄送达", "电子证照推送", "申请人现场领取")
TRANSFERS = ("原承办人外出现场核查，转交本岗位同事办理。", "按科室分工调整，转交熟悉该类项目的同事办理。",
             "原承办人参加培训，转交同事办理以免超期。")


# -- the planner -------------------------------------------------------------------------------

class Planner:
    def __init__(self, *, seed: int, calendar: WorkCalendar, end: dt.datetime, days: int = 365):
        self.rng = random.Random(seed)
        self.office = OfficeTime(calendar)
        self.end = timezone.localtime(end)
        self.start = self.end - dt.timedelta(days=days)
        self.items = item_facts()
        self.accounts = people.accounts()
        self.clerks = self._clerks()
        self.last_day, self.latest = self._last_office_moment()
        self.today = timezone.localdate(self.end)
        # Deadlines are counted back from the last working day up to today, so that "three working
        # days overdue" still holds when the demo is generated on a weekend.
        self.reference = self.office.calendar.next_workday(self.today)
        if self.reference != self.today:
            self.reference = self.office.back(self.today, 1)

    # Who receives: a department's own clerks, or the centre's comprehensive windows for city items.
    def _clerks(self) -> dict[str, list[str]]:
        clerks: dict[str, list[str]] = {}
        for account in self.accounts:
            if account.role == "clerk":
                clerks.setdefault(account.dept, []).append(account.username)
        return clerks

    def _last_office_moment(self) -> tuple[dt.date, dt.datetime]:
        """The last working day on which office hours had begun by the end, and the latest moment to act."""
        calendar, day = self.office.calendar, self.end.date()
        if calendar.is_workday(day) and self.end.time() >= dt.time(9, 30):
            latest = min(self.end, self.office.at(day, 17, 20))
            return day, latest
        day = self.office.back(day, 1)
        return day, self.office.at(day, 17, 20)

    # -- building blocks --------------------------------------------------------------------
    def plan(self, n: int) -> list[Plan]:
        """n plans: first those today's picture needs, then the year's ordinary applications."""
        plans = self.showcase(n)[:n]
        weights = [facts.data.weight for facts in self.items]
        receipt_days = self.office.workdays(self.start.date() + dt.timedelta(days=1), self.last_day)
        while len(plans) < n:
            facts = self.rng.choices(self.items, weights)[0]
            day = self.rng.choice(receipt_days)
            at = self.office.at(day, self.rng.randint(9, 16), self.rng.randint(0, 59))
            if at > self.latest:
                continue
            plans.append(self.ordinary(len(plans), facts, at))
        for plan in plans:
            plan.events = [e for e in plan.events if e.at <= self.latest]
        return plans

    def _new(self, index: int, facts: ItemFacts, at: dt.datetime, purpose: str, materials=None) -> Plan:
        data, rng = facts.data, self.rng
        dept = DEPARTMENTS_BY_SLUG[data.dept]
        own = self.clerks[data.dept]
        # City items are also received at the centre's comprehensive windows (一窗受理).
        centre = dept.level == "city" and rng.random() < 0.35
        clerk = rng.choice(self.clerks[CENTRE] if centre else own)
        online = {4: 0.5, 3: 0.25}.get(data.depth, 0.0)
        if dept.level in ("town", "village"):
            channel = Channel.TOWN
        else:
            channel = Channel.ONLINE if rng.random() < online else Channel.WINDOW
        applicant = self.applicant(data)
        title = people.project_title(rng) if data.dept in PROJECT_DEPARTMENTS and applicant.kind == "organisation" \
            else ""
        if materials is None:
            materials = self.materials(facts, "complete")
        return Plan(index, facts.index, clerk, channel, applicant, title, materials,
                    [Event(at, "receive")], purpose)

    def applicant(self, data: ItemData) -> Applicant:
        rng = self.rng
        organisation = data.audience == "organisation" or (data.audience == "both" and rng.random() < 0.6)
        contact = people.person_name(rng)
        if organisation:
            registrar = {"minzheng": "52"}.get(data.dept, "91")
            name = people.organisation_name(rng, data.dept, CITY)
            return Applicant(ApplicantKind.ORGANISATION, name, people.uscc(rng, registrar), contact,
                             people.mobile(rng))
        home = rng.random() < 0.85
        return Applicant(ApplicantKind.PERSON, contact, people.id_number(rng, home), contact, people.mobile(rng))

    def materials(self, facts: ItemFacts, mode: str) -> tuple[str, ...]:
        """Per material: received, deferred (容缺) or missing; mode complete / deferred / incomplete."""
        rng, specs = self.rng, facts.data.materials
        result = ["r" if m.required or rng.random() < 0.5 else "m" for m in specs]
        required = [i for i, m in enumerate(specs) if m.required]
        if mode == "deferred":
            deferrable = [i for i in required if specs[i].deferrable]
            for i in rng.sample(deferrable, k=min(len(deferrable), rng.randint(1, 2))):
                result[i] = "d"
        elif mode == "incomplete":
            for i in rng.sample(required, k=min(len(required), rng.randint(1, 3))):
                result[i] = "m"
        return tuple(result)

    def _missing(self, plan: Plan) -> list[dict]:
        specs = ALL_ITEMS[plan.item].materials
        return [{"index": i, "problem": self.rng.choice(PROBLEMS[:1] * 3 + PROBLEMS[1:])}
                for i, state in enumerate(plan.materials) if state == "m" and specs[i].required]

    # -- an ordinary application and its course ----------------------------------------------
    def ordinary(self, index: int, facts: ItemFacts, at: dt.datetime) -> Plan:
        rng, office = self.rng, self.office
        roll = rng.random()
        deferrable = any(m.required and m.deferrable for m in facts.data.materials)
        if facts.data.on_the_spot:
            mode = "incomplete" if roll < 0.06 else "complete"
        elif roll < 0.13:
            mode = "incomplete"
        elif roll < 0.21 and deferrable:
            mode = "deferred"
        else:
            mode = "complete"
        plan = self._new(index, facts, at, "year", self.materials(facts, mode))
        events, t = plan.events, at
        if rng.random() < 0.008:
            events.append(Event(office.later(t, rng.uniform(0.2, 3)), "void", {"reason": rng.choice(VOIDS)}))
            return plan
        if mode == "complete" and rng.random() < 0.025:
            events.append(Event(office.minutes_later(t, rng, 5, 20), "refuse", {"reason": rng.choice(REFUSALS[:2])}))
            return plan
        if mode == "incomplete":
            t = office.minutes_later(t, rng, 5, 40)
            events.append(Event(t, "request_correction", {"missing": self._missing(plan)}))
            if rng.random() < 0.15:
                t = office.days_later(t, rng.randint(8, 20), rng)
                if rng.random() < 0.5:
                    events.append(Event(t, "refuse", {"reason": REFUSALS[2]}))
                else:
                    events.append(Event(t, "withdraw", {"reason": rng.choice(WITHDRAWALS)}))
                return plan
            t = office.days_later(t, rng.randint(1, 6), rng)
            events.append(Event(t, "supplement"))
        if facts.data.on_the_spot:
            events.append(Event(office.minutes_later(t, rng, 3, 25), "handle_on_the_spot",
                                {"opinion": "材料齐全，当场办结。"}))
            return plan
        if plan.channel == Channel.ONLINE and mode != "incomplete" and facts.promised >= 5:
            t = office.days_later(t, rng.choice((0, 1, 1, 2)), rng)  # 预审 within two working days
        elif plan.channel == Channel.ONLINE and mode != "incomplete":
            t = office.later(t, rng.uniform(0.2, 2))  # short items are pre-reviewed within hours
        else:
            t = office.minutes_later(t, rng, 5, 30)
        events.append(Event(t, "accept"))
        self.course(plan, facts, t)
        if mode == "deferred":
            self.bring_deferred(plan, facts, t)
        return plan

    def bring_deferred(self, plan: Plan, facts: ItemFacts, accepted: dt.datetime) -> None:
        """容缺: most applicants bring the deferred materials in time, some late, a few never; 办结 waits for
        them where the item's rule says so (the case then stays decided, undelivered)."""
        rng, office, events = self.rng, self.office, plan.events
        days = facts.data.deferral_days
        roll = rng.random()
        ended = next((e for e in events if e.action in ("withdraw", "void")), None)
        completion = next((e for e in events if e.action == "complete"), None)
        refuse = facts.data.deferral_rule == "refuse"
        if roll >= 0.92:  # never brought
            if completion is not None and refuse:
                events.remove(completion)
            return
        at = office.days_later(accepted, rng.randint(1, days) if roll < 0.8 else rng.randint(days + 1, days + 6), rng)
        if ended is not None and ended.at <= at:
            return
        taken = {e.at for e in events}
        while at in taken:
            at += dt.timedelta(minutes=1)
        events.append(Event(at, "receive_deferred"))
        if completion is not None and refuse and completion.at <= at:
            moved = office.minutes_later(at, rng, 10, 90)
            while moved in taken:
                moved += dt.timedelta(minutes=1)
            events[events.index(completion)] = Event(moved, completion.action, completion.params)
        events.sort(key=lambda e: e.at)

    def _budget(self, promised: int) -> float:
        """Working days the case will take: most finish early, some on the last day, a few late."""
        roll = self.rng.random()
        if roll < 0.82:
            share = self.rng.uniform(0.2, 0.9)
        elif roll < 0.94:
            share = self.rng.uniform(0.9, 1.0)
        else:
            share = self.rng.uniform(1.05, 1.6)
        return max(0.15, promised * share)

    def course(self, plan: Plan, facts: ItemFacts, t: dt.datetime, *, budget: float | None = None,
               stop_at_stage: int | None = None, decide: bool = True, complete: bool = True,
               quiet: bool = False) -> dt.datetime:
        """The steps of the flow, then the decision and its delivery; returns the last moment."""
        rng, office, events = self.rng, self.office, plan.events
        stages = facts.stages
        budget = self._budget(facts.promised) if budget is None else budget
        weights = [rng.uniform(0.8, 1.6) * (1.4 if i == 0 else 1.0) for i in range(len(stages))]
        # The budget covers the steps (80 %), the decision and the delivery of the result (办结).
        hours = [budget * DAY_HOURS * 0.8 * w / sum(weights) for w in weights]
        procedures = dict(facts.data.procedures)
        suspend_at = rng.randrange(len(stages)) if procedures and not quiet and rng.random() < 0.12 else None
        supplement_at = rng.randrange(len(stages)) if not quiet and rng.random() < 0.04 else None
        return_at = (rng.randrange(1, len(stages)) if not quiet and rng.random() < 0.07 else None)
        if return_at is not None and stages[return_at] != 1:
            return_at = None
        withdraw_at = rng.randrange(len(stages)) if not quiet and rng.random() < 0.015 else None
        extend = not quiet and rng.random() < 0.04
        for i, width in enumerate(stages):
            if stop_at_stage is not None and i == stop_at_stage:
                return t
            share = hours[i]
            if i == suspend_at:
                code = rng.choice(sorted(procedures))
                expected = max(1, min(procedures[code], rng.randint(3, 15)))
                t = office.later(t, share * 0.3)
                events.append(Event(t, "suspend", {"kind": code, "reason": PROCEDURE_REASONS[code],
                                                   "expected_days": expected}))
                took = expected + rng.choice((-2, -1, 0, 0, 0, 1)) if expected > 2 else expected
                t = office.days_later(t, max(1, took), rng)
                events.append(Event(t, "resume", {"comment": "特别程序已结束，恢复计时。"}))
            if i == supplement_at:
                t = office.later(t, share * 0.3)
                expected = rng.choice((3, 5, 5, 10))
                reason, missing = rng.choice(SUPPLEMENTS)
                events.append(Event(t, "request_supplement", {"reason": reason, "materials": missing,
                                                              "expected_days": expected}))
                t = office.days_later(t, rng.randint(1, expected), rng)
                events.append(Event(t, "resume", {"comment": "申请人已补交材料，恢复计时。"}))
            if i == withdraw_at:
                t = office.later(t, share * 0.5)
                events.append(Event(t, "withdraw", {"reason": rng.choice(WITHDRAWALS)}))
                return t
            if i == return_at:
                t = office.later(t, share * 0.4)
                events.append(Event(t, "return", {"reason": rng.choice(RETURNS)}))
                redo = hours[i - 1] * rng.uniform(0.3, 0.8)
                for _ in range(stages[i - 1]):
                    t = office.later(t, redo / stages[i - 1])
                    events.append(Event(t, "pass", {"opinion": "已按退回意见补充核查，同意。"}))
            if extend and i == len(stages) - 1:
                t = office.later(t, share * 0.2)
                days = rng.randint(3, facts.extension_limit)
                events.append(Event(t, "extend", {"days": days, "reason": rng.choice(EXTENSIONS)}))
                share += days * DAY_HOURS * rng.uniform(0.3, 0.8)
            for _ in range(width):
                t = office.later(t, share / width)
                events.append(Event(t, "pass", {"opinion": rng.choice(OPINIONS)}))
        if not decide:
            return t
        t = office.later(t, max(0.1, budget * DAY_HOURS * 0.05 * rng.uniform(0.2, 1.0)))
        if rng.random() < 0.06:
            events.append(Event(t, "deny", {"reason": rng.choice(DENIALS)}))
        else:
            events.append(Event(t, "grant", {"opinion": "准予许可。"}))
        if complete:
            t = office.later(t, max(0.2, budget * DAY_HOURS * 0.15 * rng.uniform(0.3, 1.0)))
            events.append(Event(t, "complete", {"delivery": rng.choice(DELIVERIES)}))
        return t

    # -- today's picture ----------------------------------------------------------------------
    def _items(self, *, min_promised: int = 0, min_stages: int = 3, on_the_spot: bool = False,
               procedures: bool = False, city: bool = True) -> list[ItemFacts]:
        return [f for f in self.items
                if f.data.on_the_spot == on_the_spot and f.promised >= min_promised and len(f.stages) >= min_stages
                and (not procedures or f.data.procedures)
                and (not city or DEPARTMENTS_BY_SLUG[f.data.dept].level == "city")]

    def _accepted(self, index: int, facts: ItemFacts, day: dt.date, purpose: str) -> Plan:
        at = self.office.at(day, self.rng.randint(9, 11), self.rng.randint(0, 59))
        plan = self._new(index, facts, at, purpose)
        plan.channel = Channel.WINDOW if plan.channel == Channel.ONLINE else plan.channel
        plan.events.append(Event(self.office.minutes_later(at, self.rng, 5, 30), "accept"))
        return plan

    def _sitting(self, index: int, purpose: str, due: dt.date) -> Plan:
        """Accepted so that the promised due date is `due`, worked a little, then left lying."""
        facts = self.rng.choice(self._items(min_promised=3))
        plan = self._accepted(index, facts, self.office.back(due, facts.promised), purpose)
        stop = self.rng.randrange(1, len(facts.stages))
        self.course(plan, facts, plan.events[-1].at, budget=facts.promised * 0.5, stop_at_stage=stop, quiet=True)
        return plan

    def showcase(self, n: int) -> list[Plan]:
        """Plans that make today show every state and every kind of deadline trouble (more in a bigger year)."""
        rng, office, last = self.rng, self.office, self.last_day
        plans: list[Plan] = []

        def add(plan: Plan) -> None:
            plans.append(plan)

        due_first = office.calendar.next_workday(self.today)
        due_second = office.calendar.add(due_first, 1)
        for _ in range(max(3, n // 400)):
            add(self._sitting(len(plans), "due_today", due_first))
            add(self._sitting(len(plans), "due_tomorrow", due_second))
            add(self._sitting(len(plans), "overdue", office.back(self.reference, rng.randint(1, 2))))
            add(self._sitting(len(plans), "long_overdue", office.back(self.reference, rng.randint(3, 15))))
        # Waiting at the window: received today (or on the last working day), not yet accepted.
        for _ in range(2):
            facts = rng.choice(self._items())
            start = office.at(last, 9, 0)
            span = max(1, int((self.latest - start).total_seconds() // 60) - 5)
            add(self._new(len(plans), facts, start + dt.timedelta(minutes=rng.randint(0, span)), "received"))
        # Waiting for the applicant's corrected materials.
        for _ in range(2):
            facts = rng.choice(self._items())
            at = office.at(office.back(last, rng.randint(1, 3)), rng.randint(9, 15))
            plan = self._new(len(plans), facts, at, "correcting", self.materials(facts, "incomplete"))
            plan.events.append(Event(office.minutes_later(at, rng, 5, 40), "request_correction",
                                     {"missing": self._missing(plan)}))
            add(plan)
        # In progress at each step position of a five-step flow.
        five = [f for f in self._items(min_stages=5, min_promised=10)]
        for stage in range(5):
            facts = rng.choice(five)
            plan = self._accepted(len(plans), facts, office.back(last, facts.promised // 3), f"at_step_{stage + 1}")
            self.course(plan, facts, plan.events[-1].at, budget=facts.promised * 0.3, stop_at_stage=stage,
                        quiet=True)
            add(plan)
        # Suspended: a special procedure and a supplement request under way.
        for _ in range(2):
            facts = rng.choice(self._items(procedures=True, min_promised=5))
            plan = self._accepted(len(plans), facts, office.back(last, 6), "suspended_procedure")
            code = rng.choice(sorted(dict(facts.data.procedures)))
            limit = dict(facts.data.procedures)[code]
            t = office.days_later(plan.events[-1].at, 2, rng)
            plan.events.append(Event(t, "suspend", {"kind": code, "reason": PROCEDURE_REASONS[code],
                                                    "expected_days": limit}))
            add(plan)
            facts = rng.choice(self._items(min_promised=5))
            plan = self._accepted(len(plans), facts, office.back(last, 4), "suspended_supplement")
            t = office.days_later(plan.events[-1].at, 1, rng)
            reason, missing = rng.choice(SUPPLEMENTS)
            plan.events.append(Event(t, "request_supplement", {"reason": reason, "materials": missing,
                                                               "expected_days": 10}))
            add(plan)
        # Deciding (all steps passed, the decision not yet taken) and decided (not yet delivered).
        for purpose, day in (("deciding", last), ("decided", office.back(last, 1))):
            for _ in range(2):
                facts = rng.choice(self._items(min_promised=5))
                plan = self._accepted(len(plans), facts, office.back(day, 2), purpose)
                course_end = self.course(plan, facts, plan.events[-1].at, budget=1.2, quiet=True,
                                         decide=purpose == "decided", complete=False)
                if course_end > self.latest:
                    plan.events = [e for e in plan.events if e.at <= self.latest]
                add(plan)
        # The README's accounts (people.PERSONAS) each hold open work: one at the window, and one step of
        # their role handed to them (转办) a little before today.
        for plan in self.persona_work(len(plans)):
            add(plan)
        # Closed in every way, a few weeks back, so even a small demo shows each.
        back = office.back(last, 15)
        for purpose in ("granted", "denied", "refused", "withdrawn", "voided", "on_the_spot", "extended",
                        "returned"):
            facts = rng.choice(self._items(on_the_spot=purpose == "on_the_spot", min_promised=0 if purpose ==
                                           "on_the_spot" else 3))
            at = office.at(back, rng.randint(9, 15))
            plan = self._new(len(plans), facts, at, purpose)
            plan.channel = Channel.WINDOW if plan.channel == Channel.ONLINE else plan.channel
            t = office.minutes_later(at, rng, 5, 30)
            if purpose == "refused":
                plan.events.append(Event(t, "refuse", {"reason": REFUSALS[0]}))
            elif purpose == "voided":
                plan.events.append(Event(t, "void", {"reason": VOIDS[0]}))
            elif purpose == "on_the_spot":
                plan.events.append(Event(t, "handle_on_the_spot", {"opinion": "材料齐全，当场办结。"}))
            else:
                plan.events.append(Event(t, "accept"))
                stop = 1 if purpose == "withdrawn" else None
                self.course(plan, facts, t, budget=facts.promised * 0.6, stop_at_stage=stop, quiet=True)
                self._finish_showcase(plan, purpose)
            add(plan)
        return plans

    def persona_work(self, first: int) -> list[Plan]:
        """Work for the demonstration accounts: an application waiting at their department's window
        (the clerk's), and a step each for the handler, the reviewer and the approver, handed to them
        by whoever it was assigned to (转办), so it is theirs whatever the least-loaded choice was."""
        rng, office, last = self.rng, self.office, self.last_day
        personas = people.PERSONAS
        plans = []
        dept = personas[Role.CLERK]
        facts = rng.choice([f for f in self.items if f.data.dept == dept and not f.data.on_the_spot])
        start = office.at(last, 9, 0)
        span = max(1, int((self.latest - start).total_seconds() // 60) - 5)
        plan = self._new(first, facts, start + dt.timedelta(minutes=rng.randint(0, span)), "persona_clerk")
        plan.clerk = Role.CLERK
        plans.append(plan)
        for role in (Role.HANDLER, Role.REVIEWER, Role.APPROVER):
            candidates = [(f, i) for f in self.items if f.data.dept == personas[role] and not f.data.joint
                          and not f.data.on_the_spot for i in self._stages_of(f, role)]
            facts, stage = rng.choice(candidates)
            plan = self._accepted(first + len(plans), facts, office.back(last, 2), f"persona_{role}")
            t = self.course(plan, facts, plan.events[-1].at, budget=1.0, stop_at_stage=stage, quiet=True)
            plan.events.append(Event(office.later(t, 0.3), "transfer", {"to": role, "reason": rng.choice(TRANSFERS)}))
            plans.append(plan)
        return plans

    @staticmethod
    def _stages_of(facts: ItemFacts, role: str) -> list[int]:
        """Indexes of the one-step stages of the item's flow worked by the role."""
        flow = FLOWS[facts.data.flow]
        seqs = sorted({seq for seq, _, _ in flow})
        return [i for i, seq in enumerate(seqs) if [r for s, _, r in flow if s == seq] == [role]]

    def _finish_showcase(self, plan: Plan, purpose: str) -> None:
        """Turn a quiet course into the one the purpose names (denial, withdrawal, extension, return)."""
        events, office = plan.events, self.office
        if purpose == "withdrawn":
            events.append(Event(office.later(events[-1].at, 2), "withdraw", {"reason": WITHDRAWALS[0]}))
        elif purpose == "denied":
            for i, event in enumerate(events):
                if event.action == "grant":
                    events[i] = Event(event.at, "deny", {"reason": DENIALS[0]})
        elif purpose in ("extended", "returned"):
            first_pass = next(i for i, e in enumerate(events) if e.action == "pass")
            anchor = events[first_pass].at
            if purpose == "extended":
                extra = [Event(anchor, "extend", {"days": 5, "reason": EXTENSIONS[0]})]
            else:
                # Pass the first step, have the second return it, and pass it again, all within the hour.
                extra = [Event(anchor, "pass", {"opinion": OPINIONS[0]}),
                         Event(anchor + dt.timedelta(minutes=20), "return", {"reason": RETURNS[0]})]
            shifted = [Event(e.at + dt.timedelta(minutes=40), e.action, e.params) for e in events[first_pass:]]
            plan.events = events[:first_pass] + extra + shifted
