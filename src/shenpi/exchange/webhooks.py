"""Webhook subscriptions (订阅) of department systems, made and kept through the API (docs/webhooks.md).

A subscription is a `Destination` of kind webhook owned by the API token that made it: that token
alone sees, changes, rotates and replays it. What it receives never exceeds the token's scope: its
department and item filters are checked against the scope when set, and default to the scope (not to
"everything") when left empty. The secret is drawn here and shown once, at creation and at rotation.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet

from shenpi import background, clock
from shenpi.api.models import ApiToken
from shenpi.api.tokens import Scope
from shenpi.catalog.models import Department, Item
from shenpi.errors import Forbidden, InvalidInput
from shenpi.security import audit

from . import outbox
from .models import Delivery, Destination, Event

SECRET_START = "whsec_"  # noqa: S105 (a prefix, not a secret)
NO_TOKEN = "订阅须以接口令牌调用：事件只发给令牌范围内的部门和事项。"  # noqa: S105
NO_DEPARTMENT = "该令牌的范围不含任何部门，不能订阅事件。"
NOT_FOUND = "订阅不存在，或不属于当前令牌。"


def new_secret() -> str:
    """256 random bits; the prefix tells a leaked webhook secret from an API key."""
    return SECRET_START + secrets.token_urlsafe(32)


def _refuse(field: str, message: str):
    raise InvalidInput(message, {field: [message]})


def scope_of(token: ApiToken | None) -> Scope:
    """The scope a subscription of this caller may cover; refused for a session or a token without
    departments (a centre-wide token reaches no department's cases)."""
    scope = getattr(token, "scope", None)
    if token is None or scope is None:
        raise Forbidden(NO_TOKEN)
    if not scope.departments:
        raise Forbidden(NO_DEPARTMENT)
    return scope


def resolve_filters(scope: Scope, departments: list[str], items: list[str]) -> tuple[list[int], list[int]]:
    """Department and item codes as ids, refused outside the token's scope; empty lists mean the whole
    scope, stored as such so that the subscription never reaches further than its token."""
    found = dict(Department.objects.filter(code__in=departments).values_list("code", "pk"))
    unknown = [c for c in departments if c not in found]
    if unknown:
        _refuse("departments", f"部门编码“{'、'.join(unknown)}”不存在。")
    outside = [c for c in departments if found[c] not in scope.departments]
    if outside:
        _refuse("departments", f"部门“{'、'.join(outside)}”不在令牌范围内。")
    department_ids = sorted(set(found.values())) or list(scope.departments)
    rows = {i.code: i for i in Item.objects.filter(code__in=items)}
    unknown = [c for c in items if c not in rows]
    if unknown:
        _refuse("items", f"事项编码“{'、'.join(unknown)}”不存在。")
    outside = [c for c in items if not scope.allows_item(rows[c]) or rows[c].department_id not in department_ids]
    if outside:
        _refuse("items", f"事项“{'、'.join(outside)}”不在令牌范围或所订阅的部门内。")
    item_ids = sorted({i.pk for i in rows.values()}) or list(scope.items)
    return department_ids, item_ids


def owned(token: ApiToken | None) -> QuerySet[Destination]:
    scope_of(token)
    return Destination.objects.filter(kind=Destination.Kind.WEBHOOK, owner_token=token)


def get(token: ApiToken | None, code: str) -> Destination:
    found = owned(token).filter(code=code).first()
    if found is None:
        raise LookupError(NOT_FOUND)
    return found


def create(token: ApiToken, *, name: str, url: str, event_kinds: list[str], departments: list[str],
           items: list[str], algorithm: str, request=None) -> tuple[Destination, str]:
    """A new subscription and its secret (shown once)."""
    scope = scope_of(token)
    department_ids, item_ids = resolve_filters(scope, departments, items)
    secret = new_secret()
    destination = Destination.objects.create(
        code=f"webhook-{secrets.token_hex(6)}", name=name, kind=Destination.Kind.WEBHOOK, url=url, secret=secret,
        algorithm=algorithm, event_kinds=sorted(set(event_kinds)), department_ids=department_ids,
        item_ids=item_ids, owner_token=token, created_at=clock.now())
    _audit("webhook.created", request, destination, url=url, algorithm=algorithm,
           event_kinds=destination.event_kinds, departments=department_ids, items=item_ids)
    return destination, secret


def update(token: ApiToken, destination: Destination, changes: dict, request=None) -> Destination:
    """Change the name, address, algorithm, filters or whether it is active; filters checked as at creation."""
    scope = scope_of(token)
    if "departments" in changes or "items" in changes:
        departments, items = codes(destination)
        departments = changes.pop("departments", departments)
        items = changes.pop("items", items)
        destination.department_ids, destination.item_ids = resolve_filters(scope, departments, items)
    if "event_kinds" in changes:
        changes["event_kinds"] = sorted(set(changes["event_kinds"]))
    for field, value in changes.items():
        setattr(destination, field, value)
    destination.save()
    _audit("webhook.changed", request, destination, fields=sorted(changes) or ["filters"])
    return destination


def deactivate(token: ApiToken, destination: Destination, request=None) -> Destination:
    """Nothing more is written nor sent for it; its log stays readable."""
    return update(token, destination, {"active": False}, request=request)


def rotate(destination: Destination, request=None) -> str:
    """A new secret, in force for the next batch (a receiver accepts both while it switches)."""
    secret = new_secret()
    destination.secret = secret
    destination.save(update_fields=["secret"])
    _audit("webhook.secret_rotated", request, destination)
    return secret


def matching_events(destination: Destination, start: dt.datetime, end: dt.datetime) -> QuerySet[Event]:
    """The events of [start, end) the subscription wants as it is now (the same test as outbox.wants)."""
    events = Event.objects.filter(at__gte=start, at__lt=end)
    if destination.event_kinds:
        events = events.filter(kind__in=destination.event_kinds)
    if destination.department_ids:
        events = events.filter(department_id__in=destination.department_ids)
    if destination.item_ids:
        events = events.filter(item_id__in=destination.item_ids)
    return events


def replay(destination: Destination, start: dt.datetime, end: dt.datetime, request=None) -> int:
    """Queue the period's events again for this subscription, each with its own id (the receiver drops
    those it has), as the next round of its deliveries; refused beyond EXCHANGE_WEBHOOK_REPLAY_MAX.
    The period's dead letters (failed) are queued again as well."""
    if not destination.active:
        _refuse("non_field_errors", "订阅已停用，不能重发。")
    events = matching_events(destination, start, end)
    limit = settings.EXCHANGE_WEBHOOK_REPLAY_MAX
    with transaction.atomic():
        # Two replays asked at once would count the same next round: the second waits for the first.
        list(Destination.objects.select_for_update().filter(pk=destination.pk).values_list("pk", flat=True))
        rows = list(events.order_by("pk").annotate(
            last_round=Max("deliveries__round", filter=Q(deliveries__destination=destination)))
            .values_list("key", "case_id", "last_round")[:limit + 1])
        if len(rows) > limit:
            _refuse("to", f"该时段的事件超过 {limit} 个，请分段申请重发。")
        now = clock.now()
        # A dead letter holds back its case's later events (per-case order, sender.claim): the replay
        # takes it up again too, so the period's events can all arrive.
        destination.deliveries.filter(status=Delivery.Status.FAILED, event__at__gte=start, event__at__lt=end).update(
            status=Delivery.Status.PENDING, next_attempt_at=now)
        Delivery.objects.bulk_create([
            Delivery(event_id=key, destination=destination, case_id=case_id,
                     round=0 if last is None else last + 1, status=Delivery.Status.PENDING,
                     next_attempt_at=now, created_at=now)
            for key, case_id, last in rows])
        if rows:
            background.once_after_commit(outbox.start_sending)
    _audit("webhook.replayed", request, destination, start=start.isoformat(), end=end.isoformat(), events=len(rows))
    return len(rows)


def log(destination: Destination, *, status: str = "", start: dt.datetime | None = None,
        end: dt.datetime | None = None) -> QuerySet[Delivery]:
    """The subscription's deliveries, newest first; the period is of the events' moments."""
    rows = destination.deliveries.select_related("event")
    if status:
        rows = rows.filter(status=status)
    if start:
        rows = rows.filter(event__at__gte=start)
    if end:
        rows = rows.filter(event__at__lt=end)
    return rows


def codes(destination: Destination) -> tuple[list[str], list[str]]:
    """The filters as codes, as the caller wrote them."""
    departments = sorted(Department.objects.filter(pk__in=destination.department_ids).values_list("code", flat=True))
    items = sorted(Item.objects.filter(pk__in=destination.item_ids).values_list("code", flat=True))
    return departments, items


def _audit(action: str, request, destination: Destination, **detail) -> None:
    audit.record(action, request=request, target=f"webhook:{destination.code}",
                 token=destination.owner_token.prefix if destination.owner_token else None, **detail)

