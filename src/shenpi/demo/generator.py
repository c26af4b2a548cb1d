"""Build the demo: the catalogue and staff once, then a year of cases played through the services.

Nothing here writes a case, a step or an event itself: every application is received with
shenpi.cases.services.receive and every action performed with services.perform, by the member
of staff the action belongs to, with shenpi.clock set to the moment the plan says. What the
year looks like is decided in shenpi.demo.timeline; this module only carries it out.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import BigIntegerField, Count, F, Q
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import routing
from shenpi.accounts.models import Absence, Role, StandIn, User
from shenpi.cases import files, lifecycle, queries, services
from shenpi.cases.models import Case, CaseMaterial, CaseStep, State
from shenpi.catalog import services as catalog
from shenpi.catalog.models import Department, FlowStep, HoursException, Item, ItemVersion, WeeklyHours, Window
from shenpi.errors import ServiceError
from shenpi.figures import upkeep as figures_upkeep
from shenpi.notifications.models import Notification
from shenpi.prepared import Param, Prepared
from shenpi.supervision import alerts as alert_services
from shenpi.supervision import orders
from shenpi.supervision.models import Alert, Level
from shenpi.supervision.scan import scan as supervision_scan
from shenpi.workdays.services import get_calendar

from . import applicationforms, delivery, fees_online, licences, outside, people, portal, projects
from . import exchange as demo_exchange
from . import fees as demo_fees
from .catalogue import (
    ALL_ITEMS,
    CENTRE_ADDRESS,
    CODE_PREFIX,
    DEPARTMENTS,
    DEPARTMENTS_BY_SLUG,
    FLOWS,
    OUTLINES,
    STAGE_ITEMS,
    ItemData,
    item_codes,
    phone_of,
    stage_item_codes,
)
from .timeline import Plan, Planner

DEFAULT_CASES = 3000
DEFAULT_SEED = 2026
PASSWORD_FILE = "demo_password"  # noqa: S105  (a file name, not a password)
# Letters and digits that cannot be mistaken for one another when read off a screen.
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105


@dataclass
class Result:
    created: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    password_new: bool = False
    scans: int = 0

    @property
    def changed(self) -> bool:
        return any(self.created.values())


# -- the shared password -------------------------------------------------------------------------

def password_path() -> Path:
    return Path(settings.VAR_DIR) / PASSWORD_FILE


def read_password() -> str | None:
    path = password_path()
    return path.read_text().strip() if path.exists() else None


def new_password() -> str:
    """Generated per installation and kept in var/ (never in the repository): easy to type, hard to guess."""
    groups = ("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))
    return "Demo-" + "-".join(groups)


def store_password(password: str) -> None:
    path = password_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)


def demo_usernames() -> list[str]:
    return [account.username for account in people.accounts()]


def demo_users():
    """Every demo login: the staff accounts and the applicant accounts of the public site."""
    applicant_users = [applicant.user_id for _, applicant in portal.find_demo_applicants()]
    return User.objects.filter(Q(username__in=demo_usernames()) | Q(pk__in=applicant_users))


def reset_passwords(password: str | None = None) -> tuple[str, int]:
    """Give every demo account a new shared password (when var/ was lost); returns it and the count."""
    password = password or new_password()
    changed = demo_users().update(password=make_password(password))
    store_password(password)
    return password, changed


# -- office hours (docs/hours.md) ---------------------------------------------------------------

_T = dt.time
CENTRE_WEEK = {"morning_opens": _T(9, 0), "morning_closes": _T(12, 0), "afternoon_opens": _T(13, 30),
               "afternoon_closes": _T(17, 0)}
# The first 公安 window (户籍): 延时服务 on Wednesday evenings and 预约服务 on Saturday mornings.
EVENING_WINDOW_DEPARTMENT = "gongan"


def _build_hours(result: Result, end: dt.datetime) -> None:
    """The centre's default week, the 户籍 window's evenings and Saturdays, and one dated closure ahead."""
    for weekday in range(1, 6):
        _, created = WeeklyHours.objects.get_or_create(window=None, weekday=weekday, defaults=CENTRE_WEEK)
        result.created["hours"] += created
    evening_department = DEPARTMENTS_BY_SLUG[EVENING_WINDOW_DEPARTMENT].code
    first = Window.objects.filter(department__code=evening_department).order_by("number").first()
    if first is None:
        return
    for weekday in range(1, 6):
        extended = {"extended_until": _T(19, 0), "note": "延时服务"} if weekday == 3 else {}
        _, created = WeeklyHours.objects.get_or_create(window=first, weekday=weekday,
                                                       defaults={**CENTRE_WEEK, **extended})
        result.created["hours"] += created
    _, created = WeeklyHours.objects.get_or_create(window=first, weekday=6, defaults={
        "morning_opens": _T(9, 0), "morning_closes": _T(12, 0), "note": "预约服务"})
    result.created["hours"] += created
    # A closure of the 住建 window on the third working day ahead: the booking pages announce it.
    calendar = get_calendar()
    closed = calendar.add(timezone.localdate(end), 3)
    second = Window.objects.filter(department__code=DEPARTMENTS_BY_SLUG["zhujian"].code).order_by("number").first()
    if second is not None and not HoursException.objects.filter(window=second).exists():
        HoursException.objects.create(window=second, day=closed, kind=HoursException.Kind.CLOSED,
                                      note="业务系统升级，暂停窗口服务")
        result.created["hours"] += 1


# -- the catalogue ------------------------------------------------------------------------------

def _build_departments(result: Result) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for sort, dept in enumerate(DEPARTMENTS, start=1):
        fields = {"short_name": dept.short, "level": dept.level, "functions": dept.functions,
                  "comprehensive": dept.comprehensive, "sort": sort, "phone": phone_of(sort),
                  "parent": departments.get(dept.parent) if dept.parent else None,
                  "address": CENTRE_ADDRESS if dept.level == "city" else dept.name,
                  "outline": OUTLINES.get(dept.slug)}
        departments[dept.slug], created = catalog.build_department(dept.code, dept.name, **fields)
        result.created["departments"] += created
        if not created and fields["outline"] and departments[dept.slug].outline is None:
            # A demo built before outlines existed gets them; an outline set by hand is kept.
            departments[dept.slug].outline = fields["outline"]
            departments[dept.slug].save(update_fields=["outline"])
    for slug, windows in people.window_numbers().items():
        for number, name, location in windows:
            _, created = catalog.build_window(departments[slug], number, name, location)
            result.created["windows"] += created
    return departments


def _steps(data: ItemData, departments: dict[str, Department]) -> list[catalog.StepEntry]:
    if data.joint:
        rows = [(1, "受理审查", Role.HANDLER, None)]
        rows += [(2, f"联合审查({DEPARTMENTS_BY_SLUG[slug].short})", Role.HANDLER, departments[slug])
                 for slug in data.joint]
        rows.append((3, "审批", Role.APPROVER, None))
    else:
        rows = [(seq, name, role, None) for seq, name, role in FLOWS[data.flow]]
    limits: dict[int, tuple[int, str]] = {}
    if data.timing == "days":
        # Own allotments for the first two seqs, together never more than the promised limit.
        first = max(1, data.promised * 2 // 5)
        limits[1] = (first, FlowStep.LimitUnit.DAYS)
        if data.promised // 5 >= 1 and first + data.promised // 5 <= data.promised:
            limits[2] = (data.promised // 5, FlowStep.LimitUnit.DAYS)
    elif data.timing == "hours":
        for seq in {row[0] for row in rows}:
            limits[seq] = (8 if seq == 1 else 4, FlowStep.LimitUnit.HOURS)
    return [catalog.StepEntry(seq, name, role, department, *limits.get(seq, (None, FlowStep.LimitUnit.DAYS)))
            for seq, name, role, department in rows]


def _version_fields(data: ItemData, department: Department) -> dict:
    how = {4: "全程网办：登录政务服务网在线申报，结果邮寄或电子证照送达。",
           3: "网上申报、预审通过后到窗口核验原件；也可直接到窗口申请。",
           2: "下载申请表格填写后到窗口申请。"}.get(data.depth, "到窗口申请。")
    place = f"{CENTRE_ADDRESS}（{department.short_name}窗口或综合受理窗口）" if department.level == "city" \
        else department.name
    return {
        "name": data.name, "type": data.type, "audience": data.audience, "legal_basis": data.basis,
        "conditions": data.conditions, "statutory_limit": data.statutory, "promised_limit": data.promised,
        "extension_limit": 15 if data.joint else 10, "joint_handling": bool(data.joint),
        "free_of_charge": not data.fees, "fee_basis": "；".join(f.basis for f in data.fees),
        "result_name": data.result, "where": place, "how_to_apply": how, "online_depth": data.depth,
        "max_visits": data.visits, "contact_phone": department.phone,
        "deferral_days": data.deferral_days, "deferral_rule": data.deferral_rule, "publicity": data.publicity,
    }


def _materials(data: ItemData, code: str, department: Department, built: bool) -> list[catalog.MaterialEntry]:
    """The item's materials; its application form comes with a workbook to download (申请表).

    An item built before keeps its own: the workbook is only made for an item being created."""
    form = None if built else applicationforms.form_material(data)
    entries = []
    for index, m in enumerate(data.materials):
        template = applicationforms.workbook(data, code, department.name) if index == form else None
        entries.append(catalog.MaterialEntry(m.name, m.required, m.form, m.copies, m.deferrable, m.note, template))
    return entries


def _build_items(result: Result, departments: dict[str, Department], actor: User | None) -> list[Item]:
    """The catalogue's items (their order is the year's plan's item index), then the items only stages
    and bundles apply for."""
    codes, stage_codes = item_codes(), stage_item_codes()
    built = set(Item.objects.filter(code__in=[*codes.values(), *stage_codes.values()]).values_list("code", flat=True))
    items = []
    for data, code in [*((d, codes[i]) for i, d in enumerate(ALL_ITEMS)),
                       *((d, stage_codes[i]) for i, d in enumerate(STAGE_ITEMS))]:
        department = departments[data.dept]
        item, created = catalog.build_item(
            code, department, version=_version_fields(data, department),
            materials=_materials(data, code, department, code in built),
            fees=[catalog.FeeEntry(f.name, f.standard, f.basis, f.amount, f.kind, f.unit, f.unit_price)
                  for f in data.fees],
            steps=_steps(data, departments), procedures=dict(data.procedures), actor=actor)
        result.created["items"] += created
        items.append(item)
    return items[:len(ALL_ITEMS)]


# -- the staff ----------------------------------------------------------------------------------

def _build_staff(result: Result, departments: dict[str, Department], seed: int, password: str | None) -> None:
    accounts = people.accounts()
    existing = set(User.objects.filter(username__in=[a.username for a in accounts]).values_list("username",
                                                                                                flat=True))
    missing = [a for a in accounts if a.username not in existing]
    if not missing:
        return
    password = password or read_password() or new_password()
    # One hash for all: Argon2 is slow on purpose, and every demo account shares the password anyway.
    hashed = make_password(password)
    if read_password() != password:
        store_password(password)
        result.password_new = True
        # Accounts left from an earlier run get the new password too, so one password opens them all.
        User.objects.filter(username__in=existing).update(password=hashed)
    rng = random.Random(seed + 1)
    taken = set(User.objects.values_list("full_name", flat=True))
    windows = {w.number: w for w in Window.objects.all()}
    for account in missing:
        name = people.person_name(rng)
        while name in taken:
            name = people.person_name(rng)
        taken.add(name)
        is_admin = account.role == Role.ADMIN
        user = User.objects.create(
            username=account.username, password=hashed, full_name=name, first_name=name[1:], last_name=name[0],
            email=f"{account.username}@demo.invalid", department=departments[account.dept] if account.dept else None,
            window=windows.get(account.window) if account.window else None, is_staff=is_admin,
            is_superuser=account.superuser)
        user.roles.set([account.role])
        result.created["users"] += 1


# AB角 of the demonstration department: (A, B). B works A's steps while A is away.
STAND_INS = (("zhujian_handler", Role.HANDLER), ("zhujian_reviewer", Role.REVIEWER),
             ("zhujian_approver", Role.APPROVER))
# Who is away as the year ends: (username, calendar days before the end it began, days after it ends, reason).
ABSENCES = (("zhujian_reviewer", 3, 4, "年休假"),)


def _build_routing(result: Result, end: dt.datetime) -> None:
    """The construction bureau's AB角 (each second account stands in for by the README's account) and
    one absence under way today, recorded by the administrator as a department lead would."""
    admin = User.objects.filter(username="admin").first()
    users = {u.username: u for u in User.objects.filter(username__in=[*(a for a, _ in STAND_INS),
                                                                      *(b for _, b in STAND_INS)])}
    if admin is None or len(users) < 2 * len(STAND_INS):
        return
    for principal, stand_in in STAND_INS:
        if not StandIn.objects.filter(principal=users[principal]).exists():
            routing.pair(admin, users[principal], users[stand_in])
            result.created["stand_ins"] += 1
    today = timezone.localdate(end)
    for username, before, after, reason in ABSENCES:
        user = users[username]
        starts, ends = today - dt.timedelta(days=before), today + dt.timedelta(days=after)
        if not Absence.objects.filter(user=user, starts_on__lte=ends, ends_on__gte=starts).exists():
            routing.record_absence(admin, user, starts, ends, reason)
            result.created["absences"] += 1


# -- playing the year -----------------------------------------------------------------------------

# Asked before nearly every step action of the year: compiled once (shenpi.prepared).
_ACTIVE_STEP = Prepared(CaseStep.objects.filter(case_id=Param("case", BigIntegerField()),
                                                status=CaseStep.Status.ACTIVE).order_by("pk")
                        .values_list("pk", "assignee_id", "department_id", "role_id")[:1])


# Supervision watched the year as it went: the first scan of each played day from the first of the
# previous month (the months the board, the alert lists and the performance pages show first, so their
# warnings and cards are those of a daily watch), and of each played week before. A scan of every day
# of the year took a fifth of the demo's time; the alerts open at the end are the same either way.
def daily_scans_from(end: dt.datetime) -> dt.date:
    """The first day scanned daily: the first of the month before `end`'s."""
    return (timezone.localdate(end).replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _scan_day(last: dt.date | None, day: dt.date, daily_from: dt.date | None) -> bool:
    """Whether the first action of `day` (the previous played day: `last`) is preceded by a scan."""
    if last is None or daily_from is None or day >= daily_from:
        return True
    return day.isocalendar()[:2] != last.isocalendar()[:2]


class Player:
    """Carries out plans in time order through the case services, as the right person each time."""

    def __init__(self, items: list[Item], result: Result):
        self.items = items
        self.result = result
        users = list(User.objects.filter(username__in=demo_usernames()).select_related("department")
                     .prefetch_related("roles"))
        self.users = {u.username: u for u in users}
        self.by_pk = {u.pk: u for u in users}
        self.by_role: dict[tuple[int, str], list[User]] = {}
        for user in users:
            # The role codes are read once here; services then find them cached on the instance.
            user._role_codes = frozenset(r.code for r in user.roles.all())
            for code in user._role_codes:
                self.by_role.setdefault((user.department_id, code), []).append(user)
        versions = {v.item_id: v for v in ItemVersion.objects.published().filter(
            item__in=items).prefetch_related("materials")}
        self.specs = [[(m.pk, m.name) for m in sorted(versions[item.pk].materials.all(), key=lambda m: m.seq)]
                      for item in items]
        self.admin = self.users["zhongxin_admin"]
        self.case_ids: dict[int, int] = {}

    @staticmethod
    def ip(user: User) -> str:
        return f"10.20.{user.pk // 250}.{user.pk % 250 + 2}"

    def play(self, plans: list[Plan], end: dt.datetime | None = None) -> None:
        order = sorted((event.at, plan.index, n) for plan in plans for n, event in enumerate(plan.events))
        by_index = {plan.index: plan for plan in plans}
        dead: set[int] = set()
        day = None
        daily_from = daily_scans_from(end) if end else None
        for at, index, n in order:
            if index in dead:
                continue
            plan = by_index[index]
            event = plan.events[n]
            clock.set_now(at)
            if timezone.localdate(at) != day:
                last, day = day, timezone.localdate(at)
                if _scan_day(last, day, daily_from):
                    self.result.scans += 1
                    supervision_scan(notify=False)
                    self.result.created["answers"] += _departments_answer(at)
            try:
                self.apply(plan, event.action, dict(event.params))
            except ServiceError as error:
                dead.add(index)
                when = f"{timezone.localtime(at):%Y-%m-%d %H:%M}"
                self.result.failures.append(
                    f"{plan.purpose} #{index} {ALL_ITEMS[plan.item].name} {event.action} @ {when}: {error.message}")
                continue
            self.result.actions[event.action] += 1

    def _staff(self, case_department: int, role: str) -> User:
        return self.by_role[(case_department, role)][0]

    def _active_step(self, case_id: int) -> tuple[int, User]:
        step = _ACTIVE_STEP.first(case=case_id)
        if step is None:
            raise ServiceError("计划中的环节不存在。")
        pk, assignee, department, role = step
        return pk, self.by_pk.get(assignee) or self._staff(department, role)

    def apply(self, plan: Plan, action: str, params: dict) -> None:
        item = self.items[plan.item]
        clerk = self.users[plan.clerk]
        if action == "receive":
            self.receive(plan, item, clerk)
            return
        case_id = self.case_ids[plan.index]
        actor = clerk
        if action == "request_correction":
            names = self.specs[plan.item]
            params = {"missing": [{"name": names[m["index"]][1], "problem": m["problem"]} for m in params["missing"]]}
        elif action == "supplement":
            spec_ids = [self.specs[plan.item][i][0] for i, state in enumerate(plan.materials) if state == "m"]
            params = {"materials": list(CaseMaterial.objects.filter(case_id=case_id, spec_id__in=spec_ids)
                                        .values_list("pk", flat=True))}
        elif action in ("accept", "handle_on_the_spot") and "d" in plan.materials:
            params = {**params, "commitment": True}  # 容缺受理: the applicant signed the commitment
        elif action == "receive_deferred":
            params = {"materials": list(CaseMaterial.objects.filter(case_id=case_id, deferred=True, received=False)
                                        .values_list("pk", flat=True))}
        elif action == "withdraw":
            params = {**params, "request_file": self._withdrawal_request(case_id)}
        elif action == "void":
            actor = self.admin
        elif action in ("pass", "return", "request_supplement", "suspend"):
            params["step"], actor = self._active_step(case_id)
        elif action == "transfer":
            params["step"], actor = self._active_step(case_id)
            target = self.users[params["to"]]
            if target.pk == actor.pk:
                return  # least loaded already gave it to them: nothing to hand on
            params["to"] = target.pk
        elif action == "resume":
            actor = self._staff(item.department_id, Role.HANDLER)
        elif action in ("extend", "grant", "deny"):
            actor = self._staff(item.department_id, Role.APPROVER)
        if action == "complete":
            if ALL_ITEMS[plan.item].fees:
                demo_fees.settle(case_id, clerk)  # 缴费后方可办结: charged and paid at the window first
            # 送达: posted parcels and e-licences as the delivery app records them
            delivery.complete(case_id, actor=actor, params=params, ip=self.ip(actor))
            return
        services.perform(case_id, action, actor=actor, params=params, ip=self.ip(actor))

    def _withdrawal_request(self, case_id: int) -> files.StoredFile:
        """The applicant's signed 撤回申请书 as the window scans it: a one-page PDF, checked and stored."""
        owner = Case.objects.filter(pk=case_id).values_list("applicant_name", flat=True).get()
        scan = ContentFile(portal.pdf_file(lifecycle.WITHDRAWAL_REQUEST, owner), name="撤回申请书.pdf")
        return files.store(files.inspect(scan))

    def receive(self, plan: Plan, item: Item, clerk: User) -> None:
        materials = {}
        for (spec_id, _), state in zip(self.specs[plan.item], plan.materials, strict=True):
            if state != "m":
                materials[spec_id] = {"received": state == "r", "deferred": state == "d"}
        a = plan.applicant
        case = services.receive(
            actor=clerk, item=item, applicant=services.ApplicantInput(
                kind=a.kind, name=a.name, id_number=a.id_number, contact_name=a.contact_name, phone=a.phone),
            materials=materials, channel=plan.channel, title=plan.title, ip=self.ip(clerk))
        self.case_ids[plan.index] = case.pk


# -- the whole run --------------------------------------------------------------------------------

def demo_cases():
    return Case.objects.filter(department__code__startswith=CODE_PREFIX)


def generate(*, cases: int = DEFAULT_CASES, seed: int = DEFAULT_SEED, end: dt.datetime | None = None,
             password: str | None = None) -> Result:
    """Create what is missing of the demo; a second run finds everything and changes nothing."""
    result = Result()
    end = end or clock.now()
    start = end - dt.timedelta(days=365)
    try:
        with transaction.atomic():
            began = time.perf_counter()
            # The catalogue was published before the first application of the year.
            clock.set_now(timezone.localtime(start).replace(hour=9, minute=0, second=0, microsecond=0)
                          - dt.timedelta(days=30))
            departments = _build_departments(result)
            _build_hours(result, end)
            _build_staff(result, departments, seed, password)
            admin = User.objects.filter(username="admin").first()
            items = _build_items(result, departments, admin)
            demo_fees.build(result, User.objects.get(username="zhongxin_admin"))
            result.seconds["catalogue"] = time.perf_counter() - began
            played = False
            if cases > 0 and not demo_cases().exists():
                began = time.perf_counter()
                _build_routing(result, end)
                plans = Planner(seed=seed, calendar=get_calendar(), end=end).plan(cases)
                result.seconds["planning"] = time.perf_counter() - began
                began = time.perf_counter()
                Player(items, result).play(plans, end)
                demo_fees.refund_one(result)
                result.created["orders"] = _supervise_red_cards(end)
                result.created["manual_scores"] = _score_past_months(end, seed)
                result.created["cases"] = demo_cases().count()
                result.seconds["cases"] = time.perf_counter() - began
                played = True
            if cases > 0 and demo_cases().exists() and not portal.portal_exists():
                began = time.perf_counter()
                portal.PortalPlayer(end, seed, _applicant_password(password, result), result).play()
                result.seconds["portal"] = time.perf_counter() - began
                played = True
            if cases > 0 and demo_cases().exists() and not projects.demo_projects().exists():
                began = time.perf_counter()
                projects.play(end, seed, result)
                result.seconds["projects"] = time.perf_counter() - began
                played = True
            if cases > 0 and demo_cases().exists():
                began = time.perf_counter()
                licences.play(end, seed, result)
                result.seconds["licences"] = time.perf_counter() - began
            if cases > 0 and demo_cases().exists() and not fees_online.played():
                began = time.perf_counter()
                fees_online.play(end, seed, result)
                result.seconds["fees_online"] = time.perf_counter() - began
                played = True
            played = outside.play_if_missing(end, seed, result, cases) or played  # 一厅双网 (demo/outside.py)
            if played:
                # Supervision looks at today once everything is in place: cases, applications, feedback.
                clock.set_now(end)
                supervision_scan(notify=False)
                _history_was_delivered()
                # The statistics of the replayed year, at once rather than at the web server's first upkeep.
                figures_upkeep.rebuild()
            # The upper platforms hear of what is done from now on (exchange: not the replayed year).
            demo_exchange.configure()
    finally:
        clock.set_now(None)
    return result


def _history_was_delivered() -> None:
    """The SMS and e-mails of the replayed year went out back then, when each was written."""
    Notification.objects.filter(status=Notification.Status.PENDING).update(
        status=Notification.Status.SENT, sent_at=F("created_at"), attempts=1, sealed_body="")


def _applicant_password(password: str | None, result: Result) -> str:
    """The shared demo password, so that one password opens staff and applicant logins alike."""
    # What the staff were given is in var/; a --password for this run only counts when there is none.
    password = read_password() or password
    if password is None:
        # var/ was lost after the staff were made: give everyone a new password rather than two.
        password, _ = reset_passwords()
        result.password_new = True
    return password


# Cards a department answers (整改说明) the day they are raised: six of every seven, the seventh is left
# to turn red; what a department writes.
_ANSWERED_OF = 7
_ANSWER = "已核实：承办人手头积压件较多未及时办理，已督促当日办结；科室建立到期提醒台账，每日核对。"


def _departments_answer(now: dt.datetime) -> int:
    """The departments answer the day's new yellow and red cards, as their liaisons do."""
    waiting = (Alert.objects.filter(status=Alert.Status.OPEN, answered_at__isnull=True, detected_at__lte=now,
                                    level__in=(Level.YELLOW, Level.RED)).select_related("rule", "department"))
    liaisons = {d: u for d, u in User.objects.filter(roles=Role.LIAISON, username__in=demo_usernames())
                .order_by("-pk").values_list("department_id", "pk")}
    people = User.objects.in_bulk(list(liaisons.values()))
    answered = 0
    for alert in waiting:
        liaison = people.get(liaisons.get(alert.department_id))
        if liaison is None or alert.pk % _ANSWERED_OF == 0:
            continue
        alert_services.answer_alert(alert, liaison, _ANSWER)
        answered += 1
    return answered


# Manual areas scored by the supervisors for each month of the year that is over: most departments do
# well, a few lose points (a complaint upheld, a guide left out of date).
_MANUAL_NOTES = {"openness": "办事指南更新不及时", "fees": "收费公示内容不全", "satisfaction": "群众反映等候时间长",
                 "attitude": "有效投诉1件", "liability": "行政复议被纠错1件", "integrity": ""}


def _score_past_months(end: dt.datetime, seed: int) -> int:
    from shenpi.performance import services as performance
    from shenpi.performance.periods import Period
    from shenpi.performance.scoring import NoScheme, Scheme

    supervisor = User.objects.filter(roles=Role.SUPERVISOR, username__in=demo_usernames()).order_by("pk").first()
    try:
        areas = Scheme.load().manual_areas
    except NoScheme:
        return 0
    if supervisor is None or not areas:
        return 0
    rng = random.Random(seed)
    month = Period.month_of(timezone.localdate(end)).previous()
    first = Period.month_of(timezone.localdate(end - dt.timedelta(days=365)))
    entered = 0
    while month >= first:
        clock.set_now(min(timezone.make_aware(dt.datetime.combine(month.end, dt.time(10))), end))
        # The departments that served applicants that month are assessed.
        start, stop = month.moments()
        departments = sorted(set(demo_cases().filter(received_at__gte=start, received_at__lt=stop)
                                 .values_list("department_id", flat=True)))
        for area in areas:
            entries = {}
            for dept in departments:
                lost = rng.random() < 0.15
                score = Decimal(rng.choice((80, 85, 90))) if lost else Decimal(100)
                entries[dept] = (score, _MANUAL_NOTES.get(area.code, "") if lost else "")
            entered += performance.enter_manual_scores(actor=supervisor, area=area, month=month,
                                                       entries=entries).created
        month = month.previous()
    clock.set_now(end)
    return entered


def _supervise_red_cards(end: dt.datetime) -> int:
    """The latest red cards got supervision orders: one closed, one awaiting review, one unanswered."""
    supervisor = User.objects.filter(roles=Role.SUPERVISOR, username__in=demo_usernames()).order_by("pk").first()
    reds = list(Alert.objects.filter(level=Level.RED, case__in=demo_cases()).select_related("case", "rule")
                .order_by("-detected_at")[:3])
    if supervisor is None:
        return 0
    for n, alert in enumerate(reversed(reds)):
        clock.set_now(min(alert.detected_at + dt.timedelta(hours=2), end))
        order = orders.issue_order(
            supervisor, alert.department_id, f"{alert.rule.name}：{alert.case.number}",
            "请核实超期原因，限期办结，并书面反馈整改情况及对责任人的处理意见。", alerts=[alert.pk], reply_days=3)
        if n == 2:
            continue  # the newest is still waiting for its answer
        liaison = User.objects.filter(roles=Role.LIAISON, department_id=alert.department_id).first()
        if liaison is None:
            continue
        clock.set_now(min(clock.now() + dt.timedelta(days=1), end))
        orders.answer(order, liaison, "已约谈承办人，该件已于次日办结；科室建立到期提醒台账，每日核对。")
        if n == 0:
            clock.set_now(min(clock.now() + dt.timedelta(hours=3), end))
            orders.accept(order, supervisor, "整改到位。")
    return len(reds)


# -- what there is --------------------------------------------------------------------------------

@dataclass
class Summary:
    departments: dict[str, int]
    items: int
    users: dict[str, int]
    states: dict[str, int]
    due_soon: int
    overdue: int
    long_overdue: int
    portal: dict[str, str]
    todo: dict[str, int] = field(default_factory=dict)  # the README's accounts: their 待办 today


def deadline_picture(today: dt.date | None = None) -> tuple[list[Case], list[Case], list[Case]]:
    """(about to expire, overdue, long overdue ≥3 working days) among cases whose clock runs."""
    today = today or clock.today()
    calendar = get_calendar()
    first = calendar.next_workday(today)
    running = demo_cases().filter(state__in=[State.IN_PROGRESS, State.DECIDING], promised_due__isnull=False)
    soon = list(running.filter(promised_due__gte=today, promised_due__lte=calendar.add(first, 1)))
    late = list(running.filter(promised_due__lt=today))
    long_late = [c for c in late if calendar.between(c.promised_due, today) >= 3]
    return soon, late, long_late


def summary() -> Summary:
    departments = Department.objects.filter(code__startswith=CODE_PREFIX)
    levels = dict(departments.values_list("level").annotate(n=Count("pk")))
    items = Item.objects.filter(ItemVersion.published_through("versions__"), department__in=departments).count()
    users = dict(User.objects.filter(username__in=demo_usernames()).values_list("roles").annotate(n=Count("pk")))
    states = dict(demo_cases().values_list("state").annotate(n=Count("pk")))
    soon, late, long_late = deadline_picture()
    return Summary(
        departments={label: levels.get(value, 0) for value, label in Department.Level.choices},
        items=items,
        users={Role.NAMES[code]: users.get(code, 0) for code in Role.NAMES},
        states={label: states.get(value, 0) for value, label in State.choices},
        due_soon=len(soon), overdue=len(late), long_overdue=len(long_late), portal=portal.summary(),
        todo=persona_todo(),
    )


def persona_todo() -> dict[str, int]:
    """How many cases wait in the 待办 of each account the README names (clerk, handler, reviewer, approver)."""
    today = clock.today()
    return {user.username: queries.todo(user, today).count()
            for user in User.objects.filter(username__in=list(people.PERSONAS)).order_by("pk")}

