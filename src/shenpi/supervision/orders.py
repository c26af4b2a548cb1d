"""督办 (supervision orders): a supervisor issues, the department answers (整改反馈), the supervisor
accepts the answer or sends it back with a new deadline. Nothing is edited afterwards: each step
is an OrderEntry, and attachments keep their SM3 digest.

Who may do what:
- issue, accept, send back: supervisors (监察员); a superuser too, as everywhere in the platform;
- answer: staff of the addressed department holding the liaison (部门联络员) or approver role;
- see: supervisors see every order, a department's staff the orders addressed to their department.

`Order.status` and `Order.reply_due` are what supervision watches: an order that is open after its
reply_due is overdue. The deadline is in working days from the calendar, counted from the day the
order is issued or sent back.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from cryptography.hazmat.primitives import hashes
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases.models import Case
from shenpi.catalog.models import Department
from shenpi.errors import Conflict, Forbidden, InvalidInput, TransitionRefused
from shenpi.notifications.services import notify
from shenpi.prepared import insert_numbered
from shenpi.workdays.services import get_calendar

from .models import Alert, Order, OrderAttachment, OrderEntry

Status = Order.Status
Kind = OrderEntry.Kind

DEFAULT_REPLY_DAYS = 5
MAX_REPLY_DAYS = 60
MAX_TEXT = 5000
MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024
# Longest content of a notification (an SMS stays readable).
NOTICE_CONTENT_CHARS = 120
ANSWERING_ROLES = (Role.LIAISON, Role.APPROVER)
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
_SPLIT_NUMBERS = re.compile(r"[\s,，;；、]+")


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    suffixes: tuple[str, ...]
    signature: bytes


# Accepted by their content, never by the name or the type the browser claims.
FILE_KINDS = (
    FileKind("application/pdf", ".pdf", (".pdf",), b"%PDF-"),
    FileKind("image/jpeg", ".jpg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    FileKind("image/png", ".png", (".png",), b"\x89PNG\r\n\x1a\n"),
)
ACCEPTED_FILES = "PDF、JPG、PNG"


# -- who may see and do what ------------------------------------------------------------------

def may_issue(user: User) -> bool:
    """Issue, accept and send back: supervisors."""
    return bool(user.is_active and (user.is_superuser or user.has_role(Role.SUPERVISOR)))


def may_answer(user: User, order: Order) -> bool:
    return bool(user.is_active and user.department_id is not None and user.department_id == order.department_id
                and user.has_role(*ANSWERING_ROLES))


def visible_orders(user: User) -> QuerySet[Order]:
    if may_issue(user):
        return Order.objects.all()
    if user.is_active and user.department_id:
        return Order.objects.filter(department_id=user.department_id)
    return Order.objects.none()


def may_see(user: User, order: Order) -> bool:
    return may_issue(user) or (user.is_active and user.department_id == order.department_id)


def _require_supervisor(actor: User, what: str) -> None:
    if not may_issue(actor):
        raise Forbidden(f"{what}须由监察员办理。")


# -- reading the input ------------------------------------------------------------------------

def case_numbers(text: str) -> list[str]:
    """Case numbers typed in a box, separated by spaces, commas or new lines; repeats dropped."""
    seen: dict[str, None] = {}
    for part in _SPLIT_NUMBERS.split(text or ""):
        if part.strip():
            seen.setdefault(part.strip().upper(), None)
    return list(seen)


def reply_due_after(reply_days, errors: dict[str, list[str]]):
    """The reply deadline `reply_days` working days after today, or None with the reason in `errors`."""
    if isinstance(reply_days, bool) or not isinstance(reply_days, int):
        errors.setdefault("reply_days", []).append("反馈期限须为整数个工作日。")
        return None
    if not 1 <= reply_days <= MAX_REPLY_DAYS:
        errors.setdefault("reply_days", []).append(f"反馈期限须为1至{MAX_REPLY_DAYS}个工作日。")
        return None
    return get_calendar().add(clock.today(), reply_days)


def _text(value, field: str, label: str, errors: dict[str, list[str]], *, required=True, max_length=MAX_TEXT):
    text = (value or "").strip()
    if required and not text:
        errors.setdefault(field, []).append(f"请填写{label}。")
    elif len(text) > max_length:
        errors.setdefault(field, []).append(f"{label}不能超过{max_length}字。")
    return text


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise InvalidInput("；".join(m for messages in errors.values() for m in messages), errors)


def _department(value, errors) -> Department | None:
    if isinstance(value, Department):
        return value
    department = Department.objects.filter(pk=value).first() if str(value or "").isdigit() else None
    if department is None:
        errors.setdefault("department", []).append("请选择责任部门。")
    return department


def _alerts(values: Iterable, errors) -> list[Alert]:
    values = list(values or [])
    given = [v for v in values if isinstance(v, Alert)]
    ids = {int(v) for v in values if not isinstance(v, Alert) and str(v).isdigit()}
    bad = [str(v) for v in values if not isinstance(v, Alert) and not str(v).isdigit()]
    found = list(Alert.objects.filter(pk__in=ids).select_related("rule")) if ids else []
    missing = sorted(ids - {a.pk for a in found})
    if bad or missing:
        errors.setdefault("alerts", []).append(f"告警不存在：{'、'.join([*bad, *map(str, missing)])}。")
    return given + found


def _cases(values: Iterable, errors) -> list[Case]:
    values = list(values or [])
    given = [v for v in values if isinstance(v, Case)]
    numbers = [str(v).strip().upper() for v in values if not isinstance(v, Case) and str(v).strip()]
    found = list(Case.objects.filter(number__in=numbers)) if numbers else []
    known = {c.number for c in found}
    missing = [n for n in dict.fromkeys(numbers) if n not in known]
    if missing:
        errors.setdefault("cases", []).append(f"办件编号不存在：{'、'.join(missing)}。")
    return given + found


# -- 督办: issue -------------------------------------------------------------------------------

def new_order_number(moment) -> str:
    """DB, the day, then 30 random bits: numbers sort by day and cannot be guessed from another."""
    return "DB" + timezone.localtime(moment).strftime("%Y%m%d") + "".join(
        secrets.choice(_NUMBER_ALPHABET) for _ in range(6))


@transaction.atomic
def issue_order(actor: User, department, title: str, demand: str, alerts: Iterable = (), cases: Iterable = (),
                reply_days: int = DEFAULT_REPLY_DAYS) -> Order:
    """Open an order on alerts and/or cases, addressed to a department, with a reply deadline."""
    _require_supervisor(actor, "发出督办")
    errors: dict[str, list[str]] = {}
    title = _text(title, "title", "督办事由", errors, max_length=Order._meta.get_field("title").max_length)
    demand = _text(demand, "demand", "督办要求", errors)
    department = _department(department, errors)
    found_alerts = _alerts(alerts, errors)
    found_cases = _cases(cases, errors)
    if not (found_alerts or found_cases or "alerts" in errors or "cases" in errors):
        errors.setdefault("cases", []).append("督办须针对至少一条告警或一件办件。")
    reply_due = reply_due_after(reply_days, errors)
    _raise_if(errors)
    now = clock.now()
    order = Order(title=title, demand=demand, department=department, issued_by=actor, issued_at=now,
                  reply_due=reply_due, status=Status.OPEN)
    if not insert_numbered(order, "number", lambda: new_order_number(now)):
        raise Conflict("督办单号生成冲突，请重试。")
    order.alerts.set(found_alerts)
    order.cases.set(found_cases)
    OrderEntry.objects.create(order=order, kind=Kind.ISSUE, text=demand, by=actor, at=now, reply_due=reply_due)
    tell_department(order, order.title)
    return order


def tell_department(order: Order, content: str) -> None:
    """督办通知 to the department's liaisons (its approvers when it has no liaison)."""
    people = _recipients(order.department_id)
    cases = list(order.cases.select_related("version")[:2])
    case = cases[0] if len(cases) == 1 else None
    if len(content) > NOTICE_CONTENT_CHARS:
        content = content[:NOTICE_CONTENT_CHARS - 1] + "…"
    for person in people:
        notify("supervision_order", user=person, case=case, topic=f"order:{order.pk}",
               context={"order_number": order.number, "content": content, "reply_due": order.reply_due})


def _recipients(department_id: int) -> list[User]:
    staff = User.objects.filter(department_id=department_id, is_active=True)
    for role in (Role.LIAISON, Role.APPROVER):
        people = list(staff.filter(roles__code=role).distinct().order_by("pk"))
        if people:
            return people
    return []


# -- 整改反馈: answer --------------------------------------------------------------------------

@dataclass
class Upload:
    """An uploaded file, checked: what it really is, how big, its digest."""

    source: object
    name: str
    kind: FileKind
    size: int
    digest: str


def inspect_upload(upload, errors: dict[str, list[str]]) -> Upload | None:
    """Check one uploaded file by its content; None with the reason in `errors` when it is refused."""
    name = PurePath(str(getattr(upload, "name", "") or "附件")).name or "附件"
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        errors.setdefault("files", []).append(f"“{name}”超过10 MB，请压缩或拆分后上传。")
        return None
    upload.seek(0)
    head = upload.read(16)
    kind = next((k for k in FILE_KINDS if head.startswith(k.signature)), None)
    if not head:
        errors.setdefault("files", []).append(f"“{name}”是空文件。")
        return None
    if kind is None:
        errors.setdefault("files", []).append(f"“{name}”不是{ACCEPTED_FILES}文件，只能上传{ACCEPTED_FILES}格式的附件。")
        return None
    digest = hashes.Hash(hashes.SM3())
    digest.update(head)
    total = len(head)
    while chunk := upload.read(64 * 1024):
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            errors.setdefault("files", []).append(f"“{name}”超过10 MB，请压缩或拆分后上传。")
            return None
        digest.update(chunk)
    upload.seek(0)
    return Upload(upload, _shown_name(name, kind), kind, total, digest.finalize().hex())


def _shown_name(name: str, kind: FileKind) -> str:
    """The sender's file name, with the extension of what the file really is."""
    path = PurePath(name)
    stem = path.stem if path.suffix.lower() not in kind.suffixes else name[: -len(path.suffix)]
    limit = OrderAttachment._meta.get_field("name").max_length - len(kind.extension)
    suffix = path.suffix.lower() if path.suffix.lower() in kind.suffixes else kind.extension
    return (stem or "附件")[:limit] + suffix


def inspect_uploads(files: Iterable, errors: dict[str, list[str]]) -> list[Upload]:
    files = [f for f in (files or []) if f]
    if len(files) > MAX_FILES:
        errors.setdefault("files", []).append(f"附件最多{MAX_FILES}个。")
        return []
    checked = [inspect_upload(f, errors) for f in files]
    return [u for u in checked if u is not None]


def _lock(order: Order | int) -> Order:
    """The order's row, locked until the end of the transaction: two reviews at once cannot both pass."""
    pk = order.pk if isinstance(order, Order) else order
    return Order.objects.select_for_update().get(pk=pk)


@transaction.atomic
def answer(order: Order | int, actor: User, text: str, files: Iterable = ()) -> Order:
    """整改反馈: the department's answer, with attachments; the order waits for the supervisor's review."""
    order = _lock(order)
    if not may_answer(actor, order):
        raise Forbidden(f"整改反馈须由{order.department}的部门联络员或审批人填报。")
    if order.status != Status.OPEN:
        raise TransitionRefused("督办单已办结，不能再反馈。" if order.status == Status.ACCEPTED
                                else "本督办单已反馈，正等待监察员审核，不能重复反馈。")
    errors: dict[str, list[str]] = {}
    text = _text(text, "text", "整改情况", errors)
    uploads = inspect_uploads(files, errors)
    _raise_if(errors)
    now = clock.now()
    entry = OrderEntry.objects.create(order=order, kind=Kind.REPLY, text=text, by=actor, at=now)
    _store(entry, uploads)
    order.status = Status.ANSWERED
    order.save(update_fields=["status"])
    return order


def _store(entry: OrderEntry, uploads: list[Upload]) -> None:
    """Save the files under random names; if anything fails, remove what was written."""
    written: list[OrderAttachment] = []
    try:
        for upload in uploads:
            attachment = OrderAttachment(entry=entry, name=upload.name, content_type=upload.kind.content_type,
                                         size=upload.size, digest=upload.digest)
            attachment.file.save(secrets.token_hex(12) + upload.kind.extension, upload.source, save=False)
            written.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in written:
            attachment.file.delete(save=False)
        raise


# -- the supervisor's review: accept or send back -----------------------------------------------

def _answered(order: Order, what: str) -> None:
    if order.status == Status.OPEN:
        raise TransitionRefused(f"督办单尚未收到整改反馈，不能{what}。")
    if order.status == Status.ACCEPTED:
        raise TransitionRefused("督办单已办结。")


@transaction.atomic
def accept(order: Order | int, actor: User, note: str = "") -> Order:
    """审核通过: the answer is enough, the order is closed."""
    _require_supervisor(actor, "审核整改反馈")
    order = _lock(order)
    _answered(order, "审核通过")
    errors: dict[str, list[str]] = {}
    note = _text(note, "note", "审核意见", errors, required=False)
    _raise_if(errors)
    now = clock.now()
    OrderEntry.objects.create(order=order, kind=Kind.ACCEPT, text=note, by=actor, at=now)
    order.status, order.closed_at = Status.ACCEPTED, now
    order.save(update_fields=["status", "closed_at"])
    return order


@transaction.atomic
def send_back(order: Order | int, actor: User, note: str, reply_days: int = DEFAULT_REPLY_DAYS) -> Order:
    """退回重新整改: the answer is not enough; the department answers again by a new deadline."""
    _require_supervisor(actor, "退回整改反馈")
    order = _lock(order)
    _answered(order, "退回")
    errors: dict[str, list[str]] = {}
    note = _text(note, "note", "退回理由（需继续整改的内容）", errors)
    reply_due = reply_due_after(reply_days, errors)
    _raise_if(errors)
    now = clock.now()
    OrderEntry.objects.create(order=order, kind=Kind.RETURN, text=note, by=actor, at=now, reply_due=reply_due)
    order.status, order.reply_due = Status.OPEN, reply_due
    order.save(update_fields=["status", "reply_due"])
    tell_department(order, f"{order.title}（整改反馈被退回：{note}）")
    return order
