"""Who is away and who stands in (离岗登记, AB角): the facts case routing reads.

A department lead (the department's 审批人/分管领导) keeps the department's pairings and absences in
the workbench; a centre administrator may keep any department's, in the workbench or the admin.
Absences are whole Asia/Shanghai days (`starts_on` to `ends_on`, both included).

What the facts do to work lives with the cases (shenpi.cases.store and services): a new step is
not handed to someone away while a colleague of the post is present, and a stand-in works and sees
the steps their absent principal holds (代办).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet

from shenpi import clock
from shenpi.errors import Forbidden, InvalidInput

from .models import Absence, Role, StandIn, User

# Roles that work the steps of a flow: a stand-in must hold one the principal holds.
STEP_ROLES = frozenset({Role.HANDLER, Role.REVIEWER, Role.APPROVER})
MAX_ABSENCE_DAYS = 366


# -- who may keep them ---------------------------------------------------------------------------

def leads(user: User, department_id: int | None) -> bool:
    """A department lead: the department's 审批人 (分管领导); administrators lead every department."""
    if not user.is_active or department_id is None:
        return False
    if user.is_superuser or user.has_role(Role.ADMIN):
        return True
    return user.department_id == department_id and user.has_role(Role.APPROVER)


def _must_lead(actor: User, department_id: int | None) -> None:
    if not leads(actor, department_id):
        raise Forbidden("只有本部门负责人（分管领导）或中心管理员可以设置AB角和离岗登记。")


# -- reading ---------------------------------------------------------------------------------------

def away_on(day: dt.date) -> Q:
    """Absences covering the day (for Absence querysets)."""
    return Q(starts_on__lte=day, ends_on__gte=day)


def away_ids(user_ids, day: dt.date | None = None) -> set[int]:
    """Which of these people are away on the day (today by default)."""
    day = day or clock.today()
    return set(Absence.objects.filter(away_on(day), user_id__in=list(user_ids)).values_list("user_id", flat=True))


def absences_of(department_id: int, since: dt.date | None = None) -> QuerySet[Absence]:
    """The department's absences that have not ended before `since` (today by default), soonest first."""
    since = since or clock.today()
    return (Absence.objects.filter(user__department_id=department_id, ends_on__gte=since)
            .select_related("user", "recorded_by").order_by("starts_on", "pk"))


def pairings_of(department_id: int) -> QuerySet[StandIn]:
    return StandIn.objects.filter(principal__department_id=department_id).select_related("principal", "stand_in")


def covered_by(user: User, day: dt.date | None = None) -> QuerySet[User]:
    """The people this user stands in for who are away on the day: their steps are the user's to work."""
    day = day or clock.today()
    away = Absence.objects.filter(away_on(day)).values("user_id")
    return User.objects.filter(stand_in_pairing__stand_in=user, pk__in=away)


def staff_of(department_id: int) -> QuerySet[User]:
    return (User.objects.filter(department_id=department_id, is_active=True)
            .prefetch_related("roles").order_by("username"))


# -- keeping them ----------------------------------------------------------------------------------

def _step_roles(user: User) -> set[str]:
    return set(user.roles.filter(code__in=STEP_ROLES).values_list("code", flat=True))


@transaction.atomic
def pair(actor: User, principal: User, stand_in: User) -> StandIn:
    """Name B (stand_in) as A's (principal's) stand-in, replacing any earlier B of A."""
    _must_lead(actor, principal.department_id)
    errors: dict[str, list[str]] = {}
    if stand_in.pk == principal.pk:
        errors["stand_in"] = ["B角不能是A角本人。"]
    elif stand_in.department_id != principal.department_id:
        errors["stand_in"] = [f"{stand_in}不在{principal}所在部门，AB角须为同一部门的同事。"]
    elif not stand_in.is_active or not stand_in.on_duty:
        errors["stand_in"] = [f"{stand_in}当前不在岗，不能担任B角。"]
    elif not _step_roles(principal) & _step_roles(stand_in):
        errors["stand_in"] = [f"{stand_in}没有{principal}的办理角色，不能代其办理环节。"]
    if errors:
        raise InvalidInput(errors["stand_in"][0], errors)
    pairing, _ = StandIn.objects.update_or_create(
        principal=principal, defaults={"stand_in": stand_in, "recorded_by": actor, "recorded_at": clock.now()})
    return pairing


@transaction.atomic
def unpair(actor: User, principal: User) -> None:
    _must_lead(actor, principal.department_id)
    StandIn.objects.filter(principal=principal).delete()


@transaction.atomic
def record_absence(actor: User, user: User, starts_on: dt.date | None, ends_on: dt.date | None,
                   reason: str) -> Absence:
    """登记离岗: the person is away from starts_on to ends_on (both included)."""
    _must_lead(actor, user.department_id)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["请填写离岗事由。"]
    elif len(reason) > 100:
        errors["reason"] = ["离岗事由不能超过100字。"]
    if starts_on is None:
        errors["starts_on"] = ["请填写开始日期。"]
    if ends_on is None:
        errors["ends_on"] = ["请填写结束日期。"]
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = ["结束日期不能早于开始日期。"]
        elif ends_on < clock.today():
            errors["ends_on"] = ["结束日期已过，无需登记。"]
        elif (ends_on - starts_on).days >= MAX_ABSENCE_DAYS:
            errors["ends_on"] = ["一次离岗登记不能超过一年。"]
        else:
            overlap = Absence.objects.filter(user=user, starts_on__lte=ends_on, ends_on__gte=starts_on).first()
            if overlap is not None:
                errors["starts_on"] = [f"与已登记的离岗（{overlap.starts_on}至{overlap.ends_on}）重叠。"]
    if errors:
        raise InvalidInput("；".join(m for messages in errors.values() for m in messages), errors)
    return Absence.objects.create(user=user, starts_on=starts_on, ends_on=ends_on, reason=reason,
                                  recorded_by=actor, recorded_at=clock.now())


@transaction.atomic
def end_absence(actor: User, absence: Absence) -> None:
    """The person is back: an absence not begun yet is withdrawn, one under way ends yesterday."""
    _must_lead(actor, absence.user.department_id)
    today = clock.today()
    if absence.starts_on >= today:
        absence.delete()
    elif absence.ends_on >= today:
        absence.ends_on = today - dt.timedelta(days=1)
        absence.save(update_fields=["ends_on"])
