"""Making, checking and revoking API tokens (接口令牌); docs/api.md, "令牌".

A key is `shp_<8 characters>_<43 characters>`: 256 random bits after an identifying prefix. Only
its SHA-256 is stored; a key of that much entropy needs no salt nor slow hash, and the digest is
looked up by equality through a unique index.

What a token lets its holder do is the intersection of what the holder may do anyway (roles,
department: services.visible_cases and services.perform decide as for the web pages) and the
token's scope: departments (empty: the holder's own), items (empty: all), read or act. A
superuser's token is refused: the API is for department systems acting as named staff.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from shenpi import clock
from shenpi.catalog.models import Department, Item
from shenpi.errors import InvalidInput
from shenpi.security import audit

from .models import ApiToken

KEY_START = "shp_"
# last_used_at is written at most this often per token: one UPDATE a minute, not one per call.
TOUCH_EVERY = dt.timedelta(minutes=1)

SUPERUSER_REFUSED = "超级用户的令牌不能调用接口：请为具体工作人员创建限定范围的令牌。"
REVOKED = "该令牌已被撤销。"
EXPIRED = "该令牌已过期，请创建新令牌。"
INACTIVE = "令牌持有人的账号已停用。"
READ_ONLY = "该令牌只能查询，不能办理（范围：只读）。"
OUT_OF_SCOPE = "该令牌的范围不包括此事项或部门。"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = KEY_START + base64.b32encode(secrets.token_bytes(5)).decode().lower()
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class Scope:
    """What a token reaches, resolved for its holder: department ids (never empty for a holder with
    a department), item ids (empty: every item) and whether it may act."""

    departments: tuple[int, ...]
    items: tuple[int, ...]
    act: bool
    # The e-licence library only (licence_views): a holder with a centre-wide role (the upper
    # platform, supervision) whose token names no departments reads every department's licences;
    # naming departments narrows it to those, as for everyone else.
    all_departments: bool = False

    def allows_item(self, item: Item) -> bool:
        return item.department_id in self.departments and (not self.items or item.pk in self.items)


def scope_of(token: ApiToken) -> Scope:
    departments = tuple(sorted(token.department_ids)) or (
        (token.user.department_id,) if token.user.department_id else ())
    return Scope(departments=departments, items=tuple(sorted(token.item_ids)), act=token.can_act,
                 all_departments=not token.department_ids and token.user.sees_all_departments)


def refusal(token: ApiToken, now: dt.datetime | None = None) -> str | None:
    """Why this token cannot be used now, or None."""
    now = now or clock.now()
    if token.revoked_at is not None:
        return REVOKED
    if token.expires_at <= now:
        return EXPIRED
    if not token.user.is_active:
        return INACTIVE
    if token.user.is_superuser:
        return SUPERUSER_REFUSED
    return None


def touch(token: ApiToken, now: dt.datetime | None = None) -> None:
    """Note the use, at most once a minute (the row read at authentication tells whether it is due)."""
    now = now or clock.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# -- making and revoking ---------------------------------------------------------------------------

def _refuse(message: str, field: str):
    raise InvalidInput(message, {field: [message]})


def _lifetime(days: int | None) -> dt.timedelta:
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        _refuse(f"令牌有效期应为1至{settings.API_TOKEN_MAX_DAYS}天。", "days")
    return dt.timedelta(days=days)


def _departments(codes: list[str], user) -> list[int]:
    found = dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))
    unknown = [c for c in codes if c not in found]
    if unknown:
        _refuse(f"部门编码“{'、'.join(unknown)}”不存在。", "departments")
    # A centre-wide holder (upper platform, supervision) may leave them out: such a token reaches no
    # department's cases, and every department's e-licences (Scope.all_departments).
    if not codes and not user.department_id and not user.sees_all_departments:
        _refuse("持有人不属于任何部门：请指定令牌可访问的部门。", "departments")
    return sorted(set(found.values()))


def _items(codes: list[str], departments: list[int], user) -> list[int]:
    rows = {code: (pk, dept) for code, pk, dept in Item.objects.filter(code__in=codes)
            .values_list("code", "pk", "department_id")}
    unknown = [c for c in codes if c not in rows]
    if unknown:
        _refuse(f"事项编码“{'、'.join(unknown)}”不存在。", "items")
    allowed = set(departments) or {user.department_id}
    outside = [c for c in codes if rows[c][1] not in allowed]
    if outside:
        _refuse(f"事项“{'、'.join(outside)}”不属于令牌范围内的部门。", "items")
    return sorted({pk for pk, _ in rows.values()})


def create(user, *, name: str, departments: list[str] = (), items: list[str] = (), act: bool = False,
           days: int | None = None, created_by=None, request=None) -> tuple[ApiToken, str]:
    """A new token and its key (shown once; only its digest is kept)."""
    name = (name or "").strip()
    if not name:
        _refuse("请填写令牌用途（调用方系统的名称）。", "name")
    if user.is_superuser:
        _refuse("不能为超级用户创建接口令牌：超级用户的令牌会被接口拒绝。", "user")
    if not user.is_active:
        _refuse("账号已停用，不能创建令牌。", "user")
    lifetime = _lifetime(days)
    department_ids = _departments(list(departments), user)
    item_ids = _items(list(items), department_ids, user)
    now = clock.now()
    for _ in range(3):
        prefix, key = _new_key()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user, name=name[:100], prefix=prefix, key_hash=digest(key), department_ids=department_ids,
                    item_ids=item_ids, can_act=act, created_at=now, created_by=created_by, expires_at=now + lifetime)
        except IntegrityError:  # a prefix drawn twice (40 random bits): draw again
            continue
        audit.record("token.created", request=request, user=created_by, target=f"token:{prefix}",
                     holder=user.pk, departments=department_ids, items=item_ids, act=act,
                     expires_at=token.expires_at.isoformat())
        return token, key
    raise RuntimeError("could not draw an unused token prefix")


def revoke(token: ApiToken, *, by=None, request=None) -> bool:
    """Revoke a token; False when it already was."""
    now = clock.now()
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        return False
    token.revoked_at = now
    audit.record("token.revoked", request=request, user=by, target=f"token:{token.prefix}", holder=token.user_id)
    return True


def find(prefix_or_key: str) -> ApiToken | None:
    """A token by its prefix (as listed) or its whole key."""
    text = (prefix_or_key or "").strip()
    found = ApiToken.objects.select_related("user").filter(key_hash=digest(text)).first()
    if found is None and text:
        found = ApiToken.objects.select_related("user").filter(prefix=text.rstrip("…")).first()
    return found
