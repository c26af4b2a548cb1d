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
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import services
from shenpi.cases.models import Case, CaseMaterial, CaseStep, State
from shenpi.catalog import services as catalog
from shenpi.catalog.models import Department, FlowStep, Item, ItemVersion, Window
from shenpi.errors import ServiceError
from shenpi.notifications.models import Notification
from shenpi.supervision import orders
from shenpi.supervision.models import Alert, Level
from shenpi.supervision.scan import scan as supervision_scan
from shenpi.workdays.services import get_calendar

from . import people, portal
from .catalogue import (
    ALL_ITEMS,
    CENTRE_ADDRESS,
    CODE_PREFIX,
    DEPARTMENTS,
    DEPARTMENTS_BY_SLUG,
    FLOWS,
    ItemData,
    item_codes,
    phone_of,
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


# -- the catalogue ------------------------------------------------------------------------------

def _build_departments(result: Result) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for sort, dept in enumerate(DEPARTMENTS, start=1):
        fields = {"short_name": dept.short, "level": dept.level, "functions": dept.functions,
                  "comprehensive": dept.comprehensive, "sort": sort, "phone": phone_of(sort),
                  "parent": departments.get(dept.parent) if dept.parent else None,
                  "address": CENTRE_ADDRESS if dept.level == "city" else dept.name}
        departments[dept.slug], created = catalog.build_department(dept.code, dept.name, **fields)
        result.created["departments"] += created
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
        "deferral_days": data.deferral_days, "deferral_rule": data.deferral_rule,
    }


def _build_items(result: Result, departments: dict[str, Department], actor: User | None) -> list[Item]:
    codes = item_codes()
    items = []
    for index, data in enumerate(ALL_ITEMS):
        department = departments[data.dept]
        item, created = catalog.build_item(
            codes[index], department, version=_version_fields(data, department),
            materials=[catalog.MaterialEntry(m.name, m.required, m.form, m.copies, m.deferrable, m.note)
                       for m in data.materials],
            fees=[catalog.FeeEntry(f.name, f.standard, f.basis, f.amount) for f in data.fees],
            steps=_steps(data, departments), procedures=dict(data.procedures), actor=actor)
        result.created["items"] += created
        items.append(item)
    return items


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


# -- playing the year -----------------------------------------------------------------------------

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

    def play(self, plans: list[Plan]) -> None:
        order = sorted((event.at, plan.index, n) for plan in plans for n, event in enumerate(plan.events))
        by_index = {plan.index: plan for plan in plans}
        dead: set[int] = set()
        day = None
        for at, index, n in order:
            if index in dead:
                continue
            plan = by_index[index]
            event = plan.events[n]
            clock.set_now(at)
            if timezone.localdate(at) != day:
                # Supervision watched the year as it went: the first scan of each day.
                day = timezone.localdate(at)
                self.result.scans += 1
                supervision_scan(notify=False)
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
        step = CaseStep.objects.filter(case_id=case_id, status=CaseStep.Status.ACTIVE).order_by("pk").values_list(
            "pk", "assignee_id", "department_id", "role_id").first()
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
        elif action == "void":
            actor = self.admin
        elif action in ("pass", "return", "request_supplement", "suspend"):
            params["step"], actor = self._active_step(case_id)
        elif action == "resume":
            actor = self._staff(item.department_id, Role.HANDLER)
        elif action in ("extend", "grant", "deny"):
            actor = self._staff(item.department_id, Role.APPROVER)
        services.perform(case_id, action, actor=actor, params=params, ip=self.ip(actor))

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
            _build_staff(result, departments, seed, password)
            admin = User.objects.filter(username="admin").first()
            items = _build_items(result, departments, admin)
            result.seconds["catalogue"] = time.perf_counter() - began
            played = False
            if cases > 0 and not demo_cases().exists():
                began = time.perf_counter()
                plans = Planner(seed=seed, calendar=get_calendar(), end=end).plan(cases)
                result.seconds["planning"] = time.perf_counter() - began
                began = time.perf_counter()
                Player(items, result).play(plans)
                result.created["orders"] = _supervise_red_cards(end)
                result.created["cases"] = demo_cases().count()
                result.seconds["cases"] = time.perf_counter() - began
                played = True
            if cases > 0 and demo_cases().exists() and not portal.portal_exists():
                began = time.perf_counter()
                portal.PortalPlayer(end, seed, _applicant_password(password, result), result).play()
                result.seconds["portal"] = time.perf_counter() - began
                played = True
            if played:
                # Supervision looks at today once everything is in place: cases, applications, feedback.
                clock.set_now(end)
                supervision_scan(notify=False)
                _history_was_delivered()
    finally:
        clock.set_now(None)
    return result


def _history_was_delivered() -> None:
    """The SMS and e-mails of the replayed year went out back then, when each was written."""
    Notification.objects.filter(status=Notification.Status.PENDING).update(
        status=Notification.Status.SENT, sent_at=F("created_at"), attempts=1)


def _applicant_password(password: str | None, result: Result) -> str:
    """The shared demo password, so that one password opens staff and applicant logins alike."""
    # What the staff were given is in var/; a --password for this run only counts when there is none.
    password = read_password() or password
    if password is None:
        # var/ was lost after the staff were made: give everyone a new password rather than two.
        password, _ = reset_passwords()
        result.password_new = True
    return password


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
    )

