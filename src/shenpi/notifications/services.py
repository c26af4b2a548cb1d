"""Notifications (通知) to applicants and staff: written in the sender's transaction, delivered after it.

Other apps call `notify()` inside the transaction that makes the change worth telling (受理, 补正,
黄牌 …). The rows are rolled back with that change, or committed with it and then delivered:
by a Celery worker when a broker is configured, otherwise in-process right after the commit
(the embedded demo). Failed deliveries are retried with exponential backoff by the next pass;
the beat schedule runs a pass every minute so retries happen even when nothing new is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from shenpi import background, clock, limits
from shenpi.accounts.identifiers import IdentifierError, mask_phone, validate_mobile
from shenpi.crypto import blind_index
from shenpi.prepared import insert_row

from . import backends
from .models import Notification
from .rendering import check_context, masked, render, template_for

# The Celery task that drains the outbox (shenpi.notifications.tasks registers it under this name).
DELIVERY_TASK = "shenpi.notifications.tasks.deliver_notifications"

logger = logging.getLogger("shenpi.notifications")

Status = Notification.Status
Channel = Notification.Channel

FIRST_RETRY = dt.timedelta(minutes=1)
LAST_RETRY = dt.timedelta(hours=1)
# A claimed message not finished within its lease is taken again (the worker died while sending).
LEASE_MARGIN = dt.timedelta(minutes=5)
# A message with a one-time code is not sent once the code has expired (its sealed text is gone).
SEALED_EXPIRED = "内容含一次性验证码，已过有效期，不再发送。"
_MOBILE_PREFIXES = ("+86", "0086")


@dataclass
class Outcome:
    """What one delivery pass did."""

    sent: int = 0
    retry: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retry + self.failed

    def __iadd__(self, other: Outcome) -> Outcome:
        self.sent += other.sent
        self.retry += other.retry
        self.failed += other.failed
        return self


# -- addresses -------------------------------------------------------------------------------------

def normalise_mobile(value: str) -> str | None:
    """A mainland mobile number as 11 digits, or None for anything that cannot take an SMS (landlines)."""
    number = (value or "").strip().replace(" ", "").replace("-", "")
    for prefix in _MOBILE_PREFIXES:
        if number.startswith(prefix):
            number = number[len(prefix):]
    try:
        return validate_mobile(number)
    except IdentifierError:
        return None


def normalise_email(value: str) -> str | None:
    address = (value or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _addresses(user, email: str | None, mobile: str | None) -> list[tuple[str, str, str]]:
    """(channel, address, masked address) for every address known; unusable ones are skipped and logged."""
    found = []
    email = email if email is not None else getattr(user, "email", "")
    if email:
        address = normalise_email(email)
        if address:
            found.append((Channel.EMAIL, address, mask_email(address)))
        else:
            logger.warning("通知未发电子邮件：地址 %s 无效", mask_email(email.strip()))
    if mobile:
        number = normalise_mobile(mobile)
        if number:
            found.append((Channel.SMS, number, mask_phone(number)))
        else:
            logger.info("通知未发短信：%s 不是手机号码", mask_phone(mobile.strip()))
    return found


# -- writing ---------------------------------------------------------------------------------------

def notify(template: str, *, context: dict | None = None, user=None, email: str | None = None,
           mobile: str | None = None, case=None, topic: str = "", need_ids: bool = True,
           secret_until: dt.datetime | None = None) -> list[Notification]:
    """Queue the message `template` to every address known and deliver it once the transaction commits.

    Addresses: `email` (or else the user's e-mail) and `mobile`; a case's contact phone is never
    used implicitly, because alerts about a case go to staff, not to the applicant. No usable
    address: nothing is queued and [] is returned. An unknown template or missing context raises
    ValueError, before anything is written. need_ids=False: the caller never reads the rows' ids, so
    inside a case action their INSERTs travel with the action's other writes (ids stay None there).
    A template with a secret (a one-time code) needs `secret_until`: when the code expires, and with
    it the only readable copy of the message (see models.Notification).
    """
    messages = create_notifications(template, context=context, user=user, email=email, mobile=mobile, case=case,
                                    topic=topic, need_ids=need_ids, secret_until=secret_until)
    if any(message.status == Status.PENDING for message in messages):
        _deliver_after_commit()
    return messages


def create_notifications(template: str, *, context: dict | None = None, user=None, email: str | None = None,
                         mobile: str | None = None, case=None, topic: str = "",
                         need_ids: bool = True, secret_until: dt.datetime | None = None) -> list[Notification]:
    """The rows of notify(), without scheduling their delivery."""
    spec = template_for(template)
    if spec.secret and secret_until is None:
        raise ValueError(f"通知模板“{template}”含一次性内容，须给出其有效期（secret_until）。")
    values = {"centre": settings.CENTRE_NAME, "public_url": settings.PUBLIC_BASE_URL, **(context or {})}
    if case is not None:
        values["case"] = case
    if user is not None:
        values["recipient"] = user
    check_context(spec, values)
    if len(topic) > Notification._meta.get_field("topic").max_length:
        raise ValueError(f"关联对象标识过长：{topic[:20]}…")
    now = clock.now()
    rows = []
    for channel, address, address_masked in _addresses(user, email, mobile):
        subject, body = render(template, {**values, "channel": channel})
        refused = _over_daily_cap(address, now) if channel == Channel.SMS else ""
        sealed = ""
        if spec.secret:
            # Kept: the text with the code masked; the real one only sealed, until it leaves.
            subject, shown = render(template, masked(spec, {**values, "channel": channel}))
            sealed, body = body, shown
        rows.append(Notification(channel=channel, recipient=user, address=address, address_masked=address_masked,
                                 template=template, subject=subject, body=body, case=case, topic=topic,
                                 sealed_body="" if refused else sealed,
                                 sealed_until=secret_until if spec.secret and not refused else None,
                                 status=Status.REFUSED if refused else Status.PENDING, last_error=refused,
                                 next_attempt_at=now, created_at=now))
        if refused:
            logger.warning("短信未发送：%s %s", address_masked, refused)
    # Part of the caller's transaction (one of their own only in autocommit); never a commit.
    with transaction.atomic(savepoint=False):
        for row in rows:
            insert_row(row, need_pk=need_ids)
    return rows


def _over_daily_cap(mobile: str, now: dt.datetime) -> str:
    """Count one more SMS to this mobile today (Asia/Shanghai); the reason to refuse it once over the cap, else "".

    Every feature's SMS comes through here, verification codes included, so no sender can flood a
    phone. Counted in the shared cache when the message is written: a rolled-back message still counts.
    """
    day = timezone.localdate(now)
    midnight = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    sent_today = limits.hit(limits.key("sms-day", day.isoformat(), blind_index(mobile)),
                            int((midnight - now).total_seconds()) + 60)
    if sent_today > settings.SMS_PER_MOBILE_DAY:
        return f"该手机号码今日短信已达上限（{settings.SMS_PER_MOBILE_DAY}条），未发送。"
    return ""


def sms_cap_reached(mobile: str) -> bool:
    """Whether this mobile has had its SMS of the day: a sender can say so before writing a message."""
    number = normalise_mobile(mobile)
    if number is None:
        return False
    day = timezone.localdate(clock.now())
    return limits.reached(limits.key("sms-day", day.isoformat(), blind_index(number)), settings.SMS_PER_MOBILE_DAY)


def resend(messages: QuerySet[Notification]) -> int:
    """Queue failed messages again with a fresh set of attempts (管理后台“重新发送”)."""
    with transaction.atomic():
        count = messages.filter(status=Status.FAILED).update(status=Status.PENDING, attempts=0,
                                                              next_attempt_at=clock.now())
        if count:
            _deliver_after_commit()
    return count


def _deliver_after_commit() -> None:
    """One delivery per transaction, however many messages it wrote."""
    background.once_after_commit(_start_delivery)


def _start_delivery() -> None:
    background.wake(DELIVERY_TASK, drain)


# -- delivering ------------------------------------------------------------------------------------

def deliver_due(limit: int = 100) -> Outcome:
    """One pass: claim up to `limit` messages that are due, send them, record each result."""
    return _deliver(Notification.objects.all(), limit)


def deliver_selected(ids: Iterable[int]) -> Outcome:
    """Send these messages now if they are due and nobody else is sending them."""
    ids = list(ids)
    return _deliver(Notification.objects.filter(pk__in=ids), len(ids))


def drain(limit: int = 100, max_passes: int = 50) -> Outcome:
    """Passes until the due backlog is gone (or max_passes; the next pass continues)."""
    total = Outcome()
    for _ in range(max_passes):
        outcome = deliver_due(limit)
        total += outcome
        if outcome.handled < limit:
            break
    return total


def _deliver(candidates: QuerySet[Notification], limit: int) -> Outcome:
    outcome = Outcome(failed=_give_up_interrupted(candidates))
    wipe_expired_secrets()
    messages = _claim(candidates, limit)
    opened: dict[str, object] = {}
    try:
        for message in messages:
            if message.sealed_until is not None and (not message.sealed_body or message.sealed_until <= clock.now()):
                _give_up_expired(message)
                outcome.failed += 1
                continue
            try:
                backend = opened.get(message.channel)
                if backend is None:
                    backend = opened[message.channel] = backends.backend_for(message.channel).__enter__()
                backend.send(message)
            except Exception as error:  # every failure of one message is recorded on it; the pass goes on
                if _record_failure(message, error) == Status.FAILED:
                    outcome.failed += 1
                else:
                    outcome.retry += 1
            else:
                _record_sent(message)
                outcome.sent += 1
    finally:
        for backend in opened.values():
            backend.__exit__(None, None, None)
    return outcome


def _lease(limit: int) -> dt.timedelta:
    """Long enough for the whole batch to time out once at the slowest backend."""
    slowest = max(settings.EMAIL_TIMEOUT, settings.SMS_TIMEOUT)
    return LEASE_MARGIN + dt.timedelta(seconds=slowest * limit)


def _claim(candidates: QuerySet[Notification], limit: int) -> list[Notification]:
    """Mark up to `limit` due messages as being sent by this pass; concurrent passes get other rows."""
    if limit <= 0:
        return []
    now = clock.now()
    lock = {"skip_locked": True} if connection.features.has_select_for_update_skip_locked else {}
    with transaction.atomic():
        # SQLite has no row locks: its IMMEDIATE transactions already admit one writer at a time.
        due = (candidates.filter(status__in=[Status.PENDING, Status.SENDING], next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").select_for_update(**lock))
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Notification.objects.filter(pk__in=ids).update(status=Status.SENDING, attempts=F("attempts") + 1,
                                                       next_attempt_at=now + _lease(limit))
    return list(Notification.objects.filter(pk__in=ids).order_by("pk"))


def _give_up_interrupted(candidates: QuerySet[Notification]) -> int:
    """Messages whose last allowed attempt was interrupted (lease over, still sending) fail for good."""
    return candidates.filter(status=Status.SENDING, next_attempt_at__lte=clock.now(),
                             attempts__gte=settings.NOTIFY_MAX_ATTEMPTS).update(
        status=Status.FAILED, sealed_body="", last_error="投递中断（发送进程未完成即退出），已达最大尝试次数。")


def wipe_expired_secrets() -> int:
    """Forget the sealed text of every message whose one-time code has expired, sent or not."""
    return (Notification.objects.filter(sealed_until__lte=clock.now()).exclude(sealed_body="")
            .update(sealed_body=""))


def _give_up_expired(message: Notification) -> None:
    """A message whose one-time code expired before it left: it fails for good, nothing readable kept."""
    _mine(message).update(status=Status.FAILED, sealed_body="", last_error=SEALED_EXPIRED)
    message.status, message.sealed_body, message.last_error = Status.FAILED, "", SEALED_EXPIRED
    logger.warning("通知 %s（%s → %s）未发送：%s", message.pk, message.get_channel_display(), message.address_masked,
                   SEALED_EXPIRED)


def _mine(message: Notification) -> QuerySet[Notification]:
    """The row, if this pass still holds it: a pass whose lease ran out must not overwrite the next one's."""
    return Notification.objects.filter(pk=message.pk, status=Status.SENDING, attempts=message.attempts)


def _record_sent(message: Notification) -> None:
    now = clock.now()
    # Sent: the one-time code's readable copy is not needed any more.
    _mine(message).update(status=Status.SENT, sent_at=now, last_error="", sealed_body="")
    message.status, message.sent_at, message.last_error, message.sealed_body = Status.SENT, now, "", ""


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd, 4th … failed attempt, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)


def _record_failure(message: Notification, error: Exception) -> str:
    text = str(error) if isinstance(error, backends.DeliveryError) else f"{type(error).__name__}: {error}"
    now = clock.now()
    if message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        status, next_at = Status.FAILED, message.next_attempt_at
    else:
        status, next_at = Status.PENDING, now + retry_delay(message.attempts)
    # A retry needs the sealed text; a message that failed for good does not.
    wipe = {"sealed_body": ""} if status == Status.FAILED else {}
    _mine(message).update(status=status, next_attempt_at=next_at, last_error=text[:2000], **wipe)
    message.status, message.next_attempt_at, message.last_error = status, next_at, text[:2000]
    logger.warning("通知 %s（%s → %s）第 %d 次发送失败%s：%s", message.pk, message.get_channel_display(),
                   message.address_masked, message.attempts, "，不再重试" if status == Status.FAILED else "", text)
    return status
