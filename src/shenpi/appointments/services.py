"""预约 operations: publish slots, book, cancel, find one's bookings, the window's day list, mark attendance.

Pages and the `shenpi appointments` command call these functions and never touch the models'
counters themselves. Each operation is one transaction.

Never overbooked: booking takes a place with one conditional UPDATE
(`booked = booked + 1 WHERE booked < capacity AND start > now`) and checks that it changed a row,
inside the transaction that writes the booking. On PostgreSQL the UPDATE locks the slot's row, so
a concurrent booking waits and then re-evaluates the condition against the committed count; SQLite
admits one writer at a time (transactions begin IMMEDIATE). A CHECK constraint
(`booked <= capacity`) backs this up in the database itself.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from shenpi import clock, limits
from shenpi.accounts import identifiers
from shenpi.accounts.models import Role, User
from shenpi.applicants.models import MobileCode
from shenpi.applicants.services import checked_mobile_code, send_mobile_code, use_mobile_code
from shenpi.catalog.hours import DayHours, HoursBook, WindowHours, window_hours
from shenpi.catalog.models import Item, ItemVersion, Window
from shenpi.crypto import blind_index
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.notifications.services import notify
from shenpi.workdays.services import get_calendar

from .models import Booking, Slot

Status = Booking.Status
Purpose = MobileCode.Purpose

MAX_PUBLISH_DAYS = 92
MAX_CAPACITY = 50
MIN_EVERY, MAX_EVERY = 5, 240
# How far ahead the public pages list days with free places.
SHOW_DAYS = 31
MAX_LOOKUP_RESULTS = 50
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
CODE_LENGTH = 10  # 32^10 ≈ 10^15: not guessable, and only ever shown with the mobile number


class TooManyLookups(TransitionRefused):
    http_status = 429
    code = "rate_limited"


# -- who may run a window's appointments -----------------------------------------------------------

def may_manage(user: User) -> bool:
    """Window clerks publish slots and receive the booked applicants; centre administrators too."""
    return bool(user.is_active and (user.is_superuser or user.has_role(Role.CLERK, Role.ADMIN)))


def managed_windows(user: User) -> QuerySet[Window]:
    """The windows whose slots and bookings this user runs: their department's, or all for administrators."""
    windows = Window.objects.select_related("department")
    if not may_manage(user):
        return windows.none()
    if user.is_superuser or user.has_role(Role.ADMIN):
        return windows
    if user.department_id:
        return windows.filter(department_id=user.department_id)
    return windows.filter(pk=user.window_id) if user.window_id else windows.none()


def _check_manages(user: User | None, window: Window) -> None:
    if user is not None and not managed_windows(user).filter(pk=window.pk).exists():
        raise Forbidden("只有该窗口所属部门的窗口人员可以管理它的预约。")


# -- publishing slots ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishResult:
    created: int
    existing: int
    service_days: list[dt.date]  # days the window serves: working days and its own weekend service days
    skipped_days: list[dt.date]  # days without hours: holidays, weekends it does not serve, closures


def items_of(window: Window) -> QuerySet[Item]:
    """The items a window's slots may be published for: its department's published items."""
    return (Item.objects.filter(ItemVersion.published_through("versions__"), department_id=window.department_id)
            .annotate(current_name=_current_name()).distinct().order_by("code"))


def _current_name() -> Subquery:
    return Subquery(ItemVersion.objects.current_of(OuterRef("pk")).values("name")[:1])


def _publish_errors(window, item, first, last, every, capacity, today) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if item is not None and item.department_id != window.department_id:
        errors["item"] = [f"事项不属于{window.department}，不能在该窗口预约。"]
    if last < first:
        errors["last"] = ["结束日期不能早于开始日期。"]
    elif (last - first).days + 1 > MAX_PUBLISH_DAYS:
        errors["last"] = [f"一次最多发布{MAX_PUBLISH_DAYS}天的时段。"]
    if last < today:
        errors.setdefault("last", []).append("不能为已过去的日期发布时段。")
    if not MIN_EVERY <= every <= MAX_EVERY:
        errors["every"] = [f"时段长度应在{MIN_EVERY}到{MAX_EVERY}分钟之间。"]
    if not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = [f"每个时段可预约人数应在1到{MAX_CAPACITY}之间。"]
    return errors


def day_starts(day: dt.date, every: int, hours: DayHours) -> list[dt.datetime]:
    """Aware local start moments of one day's slots: each session from its start, every slot ending
    by the session's end, so none reaches into the noon break."""
    tz = timezone.get_current_timezone()
    step = dt.timedelta(minutes=every)
    starts = []
    for opens, closes in hours.sessions:
        moment = timezone.make_aware(dt.datetime.combine(day, opens), tz)
        close = timezone.make_aware(dt.datetime.combine(day, closes), tz)
        while moment + step <= close:
            starts.append(moment)
            moment += step
    return starts


def publish(*, window: Window, first: dt.date, last: dt.date, every: int, capacity: int,
            item: Item | None = None, actor: User | None = None) -> PublishResult:
    """放号: slots of `every` minutes within the window's hours on each day it serves from `first` to `last`.

    The window's hours (catalog.hours) follow the calendar: working days (调休 make-up days
    included) with their morning and afternoon sessions and no slot in the noon break; statutory
    holidays and weekends get none, except the window's own weekend service days and dated
    延时服务 / 加班服务; 暂停服务 days get none. Slots already published for the same window, item
    and start are kept as they are, so publishing a range again only fills the gaps. Slots that
    would start in the past are left out. `actor` None is the console (the operator of the server).
    """
    _check_manages(actor, window)
    now = clock.now()
    errors = _publish_errors(window, item, first, last, every, capacity, timezone.localdate(now))
    if errors:
        raise InvalidInput("；".join(message for messages in errors.values() for message in messages), errors)
    calendar, book = get_calendar(), HoursBook.load([window.pk], first, last)
    served, skipped, starts = [], [], []
    day = first
    while day <= last:
        hours = book.day(window.pk, day, calendar)
        if hours.open:
            served.append(day)
            starts.extend(s for s in day_starts(day, every, hours) if s > now)
        else:
            skipped.append(day)
        day += dt.timedelta(days=1)
    with transaction.atomic():
        same = Slot.objects.filter(window=window, start__in=starts)
        same = same.filter(item=item) if item is not None else same.filter(item__isnull=True)
        existing = set(same.values_list("start", flat=True))
        Slot.objects.bulk_create(
            [Slot(window=window, item=item, start=start, end=start + dt.timedelta(minutes=every), capacity=capacity,
                  published_by=actor, published_at=now) for start in starts if start not in existing],
            # Two publishers of the same range at once: the unique index keeps one slot per start.
            ignore_conflicts=True)
    return PublishResult(created=len(starts) - len(existing), existing=len(existing), service_days=served,
                         skipped_days=skipped)


def hours_of(windows: list[Window]) -> list[tuple[Window, WindowHours]]:
    """The windows' weeks and dated arrangements of the coming SHOW_DAYS days, as the pages list them."""
    today = clock.today()
    hours = window_hours([w.pk for w in windows], get_calendar(), today, today + dt.timedelta(days=SHOW_DAYS))
    return [(w, hours[w.pk]) for w in windows]


# -- what the public sees --------------------------------------------------------------------------

def open_slots(now: dt.datetime | None = None) -> QuerySet[Slot]:
    """Slots still ahead with a free place."""
    return Slot.objects.filter(start__gt=now or clock.now(), booked__lt=F("capacity"))


def slots_for_item(item: Item, now: dt.datetime | None = None) -> QuerySet[Slot]:
    """Future slots (full ones too) in which `item` can be booked: its own, and its department's "any item" slots."""
    return (Slot.objects.filter(start__gt=now or clock.now())
            .filter(Q(item=item) | Q(item__isnull=True, window__department_id=item.department_id))
            .select_related("window").order_by("start", "window__number"))


def published_items() -> QuerySet[Item]:
    return (Item.objects.annotate(current_name=_current_name()).filter(current_name__isnull=False)
            .select_related("department"))


def bookable_items(search: str = "") -> QuerySet[Item]:
    """Published items with at least one future slot that has a free place."""
    free = open_slots().filter(Q(item=OuterRef("pk")) | Q(item__isnull=True, window__department=OuterRef("department")))
    items = published_items().filter(Exists(free))
    search = (search or "").strip()
    if search:
        items = items.filter(Q(current_name__icontains=search) | Q(code__icontains=search))
    return items.order_by("department__sort", "department__code", "code")


@dataclass
class WindowDays:
    window: Window
    days: list[tuple[dt.date, int]]  # (day, free places)
    hours: WindowHours | None = None  # the window's week and dated arrangements, shown beside its days


def days_for_item(item: Item) -> list[WindowDays]:
    """For each window taking the item: the coming days with their free places (full days included)."""
    now = clock.now()
    horizon = now + dt.timedelta(days=SHOW_DAYS)
    per_window: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    windows = {}
    for slot in slots_for_item(item, now).filter(start__lt=horizon):
        windows[slot.window_id] = slot.window
        per_window[slot.window_id][timezone.localdate(slot.start)] += slot.places_left
    hours = window_hours(windows, get_calendar(), timezone.localdate(now), timezone.localdate(horizon))
    return [WindowDays(windows[pk], sorted(days.items()), hours[pk]) for pk, days in
            sorted(per_window.items(), key=lambda pair: windows[pair[0]].number)]


def slots_of_day(item: Item, window: Window, day: dt.date) -> list[Slot]:
    tz = timezone.get_current_timezone()
    begin = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
    return list(slots_for_item(item).filter(window=window, start__gte=begin, start__lt=begin + dt.timedelta(days=1)))


# -- booking ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    mobile: str


def _checked(person: Person) -> Person:
    errors: dict[str, list[str]] = {}
    name = (person.name or "").strip()
    if not name:
        errors["name"] = ["请填写姓名。"]
    elif len(name) > 50:
        errors["name"] = ["姓名不能超过50个字。"]
    try:
        id_number = identifiers.validate_id_number(person.id_number)
    except identifiers.IdentifierError as error:
        errors["id_number"] = [str(error)]
    try:
        mobile = identifiers.validate_mobile(person.mobile)
    except identifiers.IdentifierError as error:
        errors["mobile"] = [str(error)]
    if errors:
        raise InvalidInput("；".join(message for messages in errors.values() for message in messages), errors)
    return Person(name, id_number, mobile)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _duplicate(day: dt.date, window: Window) -> TransitionRefused:
    message = (f"您已预约{day.year}年{day.month}月{day.day}日在{_window_text(window)}办理的时段，"
               "同一窗口每人每天只能预约一次；如需改约，请先取消原预约。")
    return TransitionRefused(message, {"id_number": [message]})


class TooManyBookings(TransitionRefused):
    http_status = 429
    code = "rate_limited"


def _address_key(ip: str | None) -> str:
    return limits.key("booking-address", ip)


def _check_limits(person: Person, ip: str | None) -> None:
    """The public's booking limits: open bookings per ID number, bookings per mobile a day, per address an hour."""
    now = clock.now()
    id_index, mobile_index = blind_index(person.id_number), blind_index(person.mobile)
    open_ones = Booking.objects.filter(id_index=id_index, status=Status.BOOKED, slot__start__gt=now).count()
    if open_ones >= settings.BOOKINGS_PER_ID:
        message = (f"您已有{open_ones}个尚未办理的预约，每人最多同时保留{settings.BOOKINGS_PER_ID}个；"
                   "请先办理或取消已有的预约后再预约。")
        raise TooManyBookings(message, {"id_number": [message]})
    day_start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    if (Booking.objects.filter(mobile_index=mobile_index, created_at__gte=day_start).count()
            >= settings.BOOKINGS_PER_MOBILE_DAY):
        message = f"该手机号码今日已预约{settings.BOOKINGS_PER_MOBILE_DAY}次，请明天再预约。"
        raise TooManyBookings(message, {"mobile": [message]})
    if ip is not None and limits.reached(_address_key(ip), settings.BOOKINGS_PER_ADDRESS_HOUR):
        raise TooManyBookings("当前网络预约过于频繁，请一小时后再试；急需办理请拨打中心服务电话。")


def _mobile_proved_by(applicant, mobile: str) -> bool:
    """A signed-in applicant whose verified mobile is the one booked with needs no new code."""
    return bool(applicant is not None and applicant.verified and applicant.mobile_index == blind_index(mobile))


def request_code(person: Person, *, ip: str | None = None) -> str:
    """获取验证码: an SMS code proving the mobile before a booking; the masked mobile it went to.

    The limits are checked first, so nobody is sent a code for a booking that would be refused;
    codes have the account codes' limits (one a minute, SHENPI… a day per mobile) and the daily SMS cap.
    """
    person = _checked(person)
    _check_limits(person, ip)
    send_mobile_code(person.mobile, Purpose.BOOKING)
    return identifiers.mask_phone(person.mobile)


def book(*, slot_id: int, item: Item, person: Person, code: str = "", applicant=None, ip: str | None = None,
         trusted: bool = False) -> Booking:
    """预约: take a place in the slot for `item`, write the booking and its SMS, all in one transaction.

    The public proves the mobile with the SMS code of `request_code` (or is a signed-in applicant
    booking with their verified mobile) and is held to the booking limits; `trusted` callers (the
    demo loader) are neither.
    """
    person = _checked(person)
    slot = Slot.objects.select_related("window").filter(pk=slot_id).first()
    if slot is None or not (slot.item_id == item.pk or (slot.item_id is None
                                                        and slot.window.department_id == item.department_id)):
        raise InvalidInput("请选择一个可预约的时段。", {"slot": ["请选择一个可预约的时段。"]})
    version = item.current_version()
    if version is None:
        raise InvalidInput("该事项未发布，不能预约。")
    now = clock.now()
    if slot.start <= now:
        raise TransitionRefused("该时段已经开始，不能再预约，请选择其他时段。", {"slot": ["该时段已经开始。"]})
    proof = None
    if not trusted:
        _check_limits(person, ip)
        if not _mobile_proved_by(applicant, person.mobile):
            if not (code or "").strip():
                message = "请先获取验证码：点击“获取验证码”，填写短信中的6位数字后再确认预约。"
                raise InvalidInput(message, {"code": [message]})
            proof = checked_mobile_code(person.mobile, Purpose.BOOKING, code)
    day, id_index = timezone.localdate(slot.start), blind_index(person.id_number)
    try:
        with transaction.atomic():
            if Booking.objects.filter(id_index=id_index, window=slot.window, day=day, status=Status.BOOKED).exists():
                raise _duplicate(day, slot.window)
            taken = (Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity"), start__gt=now)
                     .update(booked=F("booked") + 1))
            if not taken:
                raise TransitionRefused("该时段已约满，请选择其他时段。", {"slot": ["该时段已约满。"]})
            if proof is not None:
                use_mobile_code(proof)
            booking = Booking.objects.create(
                code=new_code(), slot=slot, window=slot.window, day=day, item=item, item_name=version.name,
                applicant_name=person.name, id_number=person.id_number, id_index=id_index,
                id_masked=identifiers.mask_id(person.id_number), mobile=person.mobile,
                mobile_index=blind_index(person.mobile), mobile_masked=identifiers.mask_phone(person.mobile),
                status=Status.BOOKED, created_at=now)
            notify("appointment_booked", mobile=person.mobile, topic=f"appointment:{booking.pk}", context={
                "item_name": version.name, "window": _window_text(slot.window), "start": slot.start,
                "end": slot.end, "code": booking.code, "name": person.name})
    except IntegrityError:
        # The same person booking the same window and day in two requests at once: the unique index decides.
        raise _duplicate(day, slot.window) from None
    if not trusted and ip is not None:
        limits.hit(_address_key(ip), 3600)
    booking.slot = slot
    return booking


def _window_text(window: Window) -> str:
    text = f"{window.number}号窗口（{window.name}）"
    return f"{text}，{window.location}" if window.location else text


def cancel(booking: Booking) -> Booking:
    """取消预约: only a booking still booked, only before its slot starts; the place is free again."""
    now = clock.now()
    with transaction.atomic():
        slot = Slot.objects.get(pk=booking.slot_id)
        if slot.start <= now:
            raise TransitionRefused("预约时段已经开始，不能再取消。")
        changed = (Booking.objects.filter(pk=booking.pk, status=Status.BOOKED)
                   .update(status=Status.CANCELLED, cancelled_at=now))
        if not changed:
            raise TransitionRefused("该预约已取消或已办理，不能取消。")
        Slot.objects.filter(pk=slot.pk, booked__gt=0).update(booked=F("booked") - 1)
    booking.refresh_from_db()
    return booking


# -- finding one's bookings ------------------------------------------------------------------------

def _lookup_key(ip: str | None) -> str:
    return limits.key("appointment-lookups", ip)


def lookup_limited(ip: str | None) -> bool:
    """Failed look-ups share the progress query's limits (SHENPI_QUERY_ATTEMPTS per SHENPI_QUERY_WINDOW_MINUTES)."""
    return limits.reached(_lookup_key(ip), settings.QUERY_ATTEMPTS)


def _count_lookup_failure(ip: str | None) -> None:
    limits.hit(_lookup_key(ip), max(1, settings.QUERY_WINDOW_MINUTES) * 60)


def find_bookings(*, mobile: str, id_number: str = "", code: str = "", ip: str | None = None) -> list[Booking]:
    """我的预约: the bookings of an ID number, or one booking code, matched with the mobile booked with.

    A wrong ID number, code or mobile all give the same empty answer, and count against the address.
    """
    if lookup_limited(ip):
        raise TooManyLookups(f"查询失败次数过多，请{settings.QUERY_WINDOW_MINUTES}分钟后再试。")
    code = identifiers.normalise(code)
    if not code and not identifiers.normalise(id_number):
        raise InvalidInput("请填写身份证号码或预约号。", {"id_number": ["请填写身份证号码或预约号。"]})
    errors: dict[str, list[str]] = {}
    try:
        mobile = identifiers.validate_mobile(mobile)
    except identifiers.IdentifierError as error:
        errors["mobile"] = [str(error)]
    if not code:
        try:
            id_number = identifiers.validate_id_number(id_number)
        except identifiers.IdentifierError as error:
            errors["id_number"] = [str(error)]
    if errors:
        raise InvalidInput("；".join(message for messages in errors.values() for message in messages), errors)
    found = Booking.objects.filter(mobile_index=blind_index(mobile))
    found = found.filter(code=code) if code else found.filter(id_index=blind_index(id_number))
    result = list(_with_details(found).order_by("-slot__start")[:MAX_LOOKUP_RESULTS])
    if not result:
        _count_lookup_failure(ip)
    return result


def bookings_of_id_index(id_index: str) -> list[Booking]:
    """A signed-in applicant's bookings: those made with their own ID number."""
    return list(_with_details(Booking.objects.filter(id_index=id_index)).order_by("-slot__start")[:MAX_LOOKUP_RESULTS])


def _with_details(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return bookings.select_related("slot", "window", "window__department")


def may_cancel(booking: Booking) -> bool:
    return booking.status == Status.BOOKED and booking.slot.start > clock.now()


# -- the window's day ------------------------------------------------------------------------------

def day_bookings(window: Window, day: dt.date) -> list[Booking]:
    return list(Booking.objects.filter(window=window, day=day).select_related("slot", "marked_by")
                .order_by("slot__start", "created_at"))


def day_slots(window: Window, day: dt.date) -> list[Slot]:
    tz = timezone.get_current_timezone()
    begin = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
    return list(Slot.objects.filter(window=window, start__gte=begin, start__lt=begin + dt.timedelta(days=1))
                .select_related("item").order_by("start", "pk"))


OUTCOMES = {Status.ATTENDED: "已到场", Status.NO_SHOW: "未到场"}


def mark(booking: Booking, outcome: str, *, actor: User) -> Booking:
    """到场登记: the window records that the applicant came, or did not come, to a booked slot."""
    if outcome not in OUTCOMES:
        raise InvalidInput("登记结果应为“已到场”或“未到场”。")
    _check_manages(actor, booking.window)
    now = clock.now()
    slot = booking.slot
    if outcome == Status.ATTENDED and timezone.localdate(now) < booking.day:
        raise TransitionRefused("预约日期未到，不能登记到场。")
    if outcome == Status.NO_SHOW and now < slot.start:
        raise TransitionRefused("预约时段尚未开始，不能登记未到场。")
    with transaction.atomic():
        changed = (Booking.objects.filter(pk=booking.pk, status=Status.BOOKED)
                   .update(status=outcome, marked_at=now, marked_by=actor))
        if not changed:
            raise TransitionRefused("该预约已取消或已登记，不能再登记。")
    booking.refresh_from_db()
    return booking
