"""The operations people perform on cases: receive an application, and perform an action.

Views, the API, commands and the demo call these, never the models directly. Each call is one
transaction: it succeeds whole or changes nothing.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import identifiers
from shenpi.accounts.models import Role, User
from shenpi.catalog.models import Item, ItemVersion, Window
from shenpi.catalog.services import materials_of, published_version
from shenpi.crypto import blind_index
from shenpi.errors import Conflict, Forbidden, InvalidInput, TransitionRefused
from shenpi.prepared import insert_numbered, insert_row, update_row
from shenpi.security import audit as security_audit
from shenpi.workdays.services import get_calendar

from . import files, hooks, lifecycle, store, trail
from .models import ApplicantKind, Case, CaseEvent, CaseMaterial, CaseStep, Channel, Notice, State

_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U


def new_case_number(moment) -> str:
    """Date first so numbers sort by day; 40 random bits after it so they cannot be guessed."""
    return timezone.localtime(moment).strftime("%Y%m%d") + "".join(
        secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def new_query_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


# -- who may see and do what ------------------------------------------------------------------

def visible_cases(user: User, *, departments: tuple[int, ...] | None = None,
                  items: tuple[int, ...] = ()) -> QuerySet[Case]:
    """Staff see their department's cases, and those with a step in their department.

    departments / items: an API token's scope (shenpi.api.tokens), which only narrows what the
    user sees: cases of those departments (or with a part worked there) and, if given, of those items.
    """
    cases = Case.objects.all()
    if not (user.sees_all_departments or (user.department_id and user.department.comprehensive)):
        if not user.department_id:
            return cases.none()
        # Parts worked for other departments are flagged and indexed (step_cross_dept), so the
        # condition stays an indexed `department_id = …` plus a cheap correlated EXISTS.
        cases = cases.filter(_in_departments((user.department_id,)))
    if departments is not None:
        if not departments:
            return cases.none()
        cases = cases.filter(_in_departments(departments))
    if items:
        cases = cases.filter(item_id__in=items)
    return cases


def _in_departments(ids: tuple[int, ...]) -> Q:
    one = len(ids) == 1
    parts = CaseStep.objects.filter(case_id=OuterRef("pk"), cross_department=True,
                                    **({"department_id": ids[0]} if one else {"department_id__in": ids}))
    own = Q(department_id=ids[0]) if one else Q(department_id__in=ids)
    return own | Exists(parts)


def _acts_for(user: User, department_id: int) -> bool:
    if user.is_superuser:
        return True
    return user.department_id == department_id or bool(user.department and user.department.comprehensive)


OUTSIDE_ONLY = "本件在部门自建系统中办理，办理情况由该系统经接口推送。"


def _authorise(act: lifecycle.Act, transition: lifecycle.Transition) -> None:
    user, case = act.actor, act.case
    if case.is_outside and not transition.centre_wide:
        # 一厅双网: worked in the department's own system; two places working one case would diverge.
        raise Forbidden(OUTSIDE_ONLY)
    if transition.on_step and case.state == State.IN_PROGRESS:
        act.step = _step_for(act, transition)
        return
    if not (user.is_superuser or user.has_role(*transition.roles)):
        names = "、".join(Role.NAMES[r] for r in sorted(transition.roles))
        raise Forbidden(f"“{transition.label}”须由{names}办理。")
    if transition.centre_wide and user.has_role(Role.ADMIN):
        return
    if not (_acts_for(user, case.department_id) or _works_the_part(user, case, transition)):
        raise Forbidden("您不能办理其他部门的办件。")


def _works_the_part(user: User, case: Case, transition: lifecycle.Transition) -> bool:
    """A partner department ends what its own part of a parallel stage began (its 补件, its 特别程序)."""
    return (transition.part_department is not None and user.department_id is not None
            and transition.part_department(case) == user.department_id)


def _step_for(act: lifecycle.Act, transition: lifecycle.Transition) -> CaseStep:
    """The active step this actor may work: their role, their department, their assignment — or
    their absent principal's assignment (AB角, recorded as 代办); a department lead (审批人) works any
    step of their role, and hands on (转办) any step of the department."""
    user = act.actor
    active = act.active
    wanted = act.params.get("step")
    if wanted not in (None, ""):
        active = [s for s in active if str(s.pk) == str(wanted)]
        if not active:
            raise TransitionRefused("所选环节不是本件当前进行中的环节。")
    lead = user.has_role(Role.APPROVER)
    mine = [s for s in active if user.is_superuser or (user.department_id == s.department_id and (
        user.has_role(s.role_id) or (transition.by_lead and lead)))]
    if not mine:
        current = "、".join(f"{s.name}（{Role.NAMES.get(s.role_id, s.role_id)}）" for s in active)
        raise Forbidden(f"当前环节为{current}，您无权办理。")
    assigned = [s for s in mine if s.assignee_id in (None, user.pk)]
    if assigned or lead:
        return (assigned or mine)[0]
    covered = store.stands_in_for(user.pk, [s.assignee_id for s in mine], act.today)
    if not covered:
        raise Forbidden(f"本环节已分配给{_assignee_name(mine[0])}办理。")
    step = next(s for s in mine if s.assignee_id in covered)
    act.event_data["stand_in_for"] = {"id": step.assignee_id, "name": _assignee_name(step)}
    return step


def _assignee_name(step: CaseStep) -> str:
    return str(User.objects.filter(pk=step.assignee_id).first() or "")


# -- receiving an application -------------------------------------------------------------------

@dataclass
class ApplicantInput:
    kind: str
    name: str
    id_number: str
    contact_name: str = ""
    phone: str = ""
    # A legal code that fails the check (early pilot areas) is accepted with a recorded reason.
    id_note: str = ""


def _validated_applicant(applicant: ApplicantInput) -> tuple[str, str]:
    """(normalised identifier, note) or InvalidInput naming the field."""
    errors: dict[str, list[str]] = {}
    if applicant.kind not in ApplicantKind.values:
        errors["applicant_kind"] = ["申请人类型应为个人或法人。"]
    if not applicant.name.strip():
        errors["applicant_name"] = ["请填写申请人名称。"]
    number = identifiers.normalise(applicant.id_number)
    check = identifiers.validate_id_number if applicant.kind == ApplicantKind.PERSON else identifiers.validate_uscc
    note = applicant.id_note.strip()
    try:
        number = check(number)
    except identifiers.IdentifierError as error:
        pilot_shape = applicant.kind == ApplicantKind.ORGANISATION and len(number) == 18
        if not (note and pilot_shape):
            errors["applicant_id"] = [str(error)]
    else:
        note = ""
    if applicant.phone:
        try:
            identifiers.validate_mobile(applicant.phone)
        except identifiers.IdentifierError as error:
            if not applicant.phone.replace("-", "").isdigit():
                errors["contact_phone"] = [str(error)]
    if errors:
        raise InvalidInput("申请人信息有误，请核对。", errors)
    return number, note


def _published_version(item: Item) -> ItemVersion:
    version = published_version(item)
    if version is None:
        raise InvalidInput("该事项没有已发布的版本，不能收件。", {"item": ["该事项没有已发布的版本。"]})
    return version


@transaction.atomic
def receive(*, actor: User, item: Item, applicant: ApplicantInput, materials: dict[int, dict] | None = None,
            channel: str = Channel.WINDOW, window: Window | None = None, title: str = "",
            ip: str | None = None, received_at=None, project_code: str = "", source: Source | None = None) -> Case:
    """收件: register an application with the materials received, checked against the item's list.

    `materials` maps a MaterialSpec id to {"received": bool, "copies": int, "deferred": bool, "file":
    files.StoredFile} — the file is the window's scan of the paper, already checked and stored.
    `received_at`: when the application reached the organ, if earlier than now (an online submission
    pre-reviewed later); the art. 32 deadlines count from it. `project_code`: the 投资项目统一代码 of
    the project the case belongs to (shenpi.joint checks it, and may shorten the promised limit of a
    green-channel project's case or receive earlier results as materials, before the case is written).
    `source`: the department system and its own number of a case handled there (一厅双网).
    """
    if not (actor.is_superuser or actor.has_role(Role.CLERK)):
        raise Forbidden("收件须由窗口人员办理。")
    if not _acts_for(actor, item.department_id):
        raise Forbidden("您不能为其他部门的事项收件。")
    if channel not in Channel.values:
        raise InvalidInput("申报渠道不正确。", {"channel": ["申报渠道不正确。"]})
    version = _published_version(item)
    number, note = _validated_applicant(applicant)
    refusal = version.audience_refusal(applicant.kind)
    if refusal:  # 服务对象: the same rule the portal applies to accounts
        raise InvalidInput(refusal, {"applicant_kind": [refusal]})
    materials = materials or {}
    specs = materials_of(version)
    known = {spec.pk for spec in specs}
    unknown = set(materials) - known
    if unknown:
        raise InvalidInput("材料清单与事项不符。", {"materials": [f"材料{sorted(unknown)}不属于该事项。"]})
    for spec in specs:
        if materials.get(spec.pk, {}).get("deferred") and not spec.deferrable:
            message = f"“{spec.name}”不允许容缺受理。"
            raise InvalidInput(message, {"materials": [message]})
        scan = materials.get(spec.pk, {}).get("file")
        if scan is not None and not isinstance(scan, files.StoredFile):
            raise InvalidInput("电子材料须先经内容校验。", {"materials": ["电子材料须先经内容校验。"]})
    now = clock.now()
    if received_at is not None and received_at > now:
        raise InvalidInput("收件时间不能晚于当前时间。", {"received_at": ["收件时间不能晚于当前时间。"]})
    calendar = get_calendar()
    received_on = timezone.localdate(received_at or now)
    case = Case(
        query_code=new_query_code(), item=item, version=version, department_id=item.department_id,
        window=window or actor.window, channel=channel, title=title.strip(), state=State.RECEIVED,
        project_code=project_code.strip(),
        source_system=source.system if source else "", source_name=source.name if source else "",
        external_number=source.number if source else "",
        applicant_kind=applicant.kind, applicant_name=applicant.name.strip(), applicant_id=number,
        applicant_id_index=blind_index(number), applicant_id_masked=identifiers.mask_id(number),
        applicant_id_note=note, contact_name=applicant.contact_name.strip(), contact_phone=applicant.phone,
        contact_phone_masked=identifiers.mask_phone(applicant.phone), received_at=received_at or now,
        received_by=actor,
        correction_due=calendar.add(received_on, lifecycle.CORRECTION_NOTICE_DAYS),
        promised_limit=version.promised_limit, statutory_limit=version.statutory_limit,
    )
    act = lifecycle.Act(case=case, actor=actor, params={"materials": materials}, now=now, calendar=calendar,
                        action="receive")
    with store.open_action():
        hooks.run_before(act)  # the case is built, not yet written: a receiver may still refuse it
        if not insert_numbered(case, "number", lambda: new_case_number(now)):
            raise Conflict("办件编号生成冲突，请重试。")
        for spec in specs:
            insert_row(_material(case, spec, materials.get(spec.pk, {}), now), need_pk=False)
        # The case id is part of the first event's digest, so the head follows the case's INSERT;
        # nobody else sees the case before this transaction commits.
        act.event = _event(case, "receive", actor, case.received_at, ip, "", State.RECEIVED, None, note,
                           _receipt_data(channel, version, source))
        update_row(case, ["trail_head", "trail_length", "trail_seal"])
        insert_row(act.event, need_pk=False)
        hooks.run_after(act)
    return case


@dataclass(frozen=True)
class Source:
    """A department's own system (一厅双网): its code and name, and the case's number there."""

    system: str
    name: str
    number: str


def _receipt_data(channel: str, version: ItemVersion, source: Source | None) -> dict:
    data = {"channel": channel, "version": version.number}
    if source is not None:
        data["source"] = {"system": source.system, "name": source.name, "number": source.number}
    return data


def _material(case: Case, spec, given: dict, now) -> CaseMaterial:
    """One row of the list as received; a scanned file (高拍仪) means the paper was there."""
    scan: files.StoredFile | None = given.get("file")
    source: Case | None = given.get("source_case")
    received = bool(given.get("received") or scan or source)
    material = CaseMaterial(
        case=case, spec=spec, name=spec.name, required=spec.required, received=received,
        deferred=bool(given.get("deferred")) and not received,
        copies=int(given.get("copies") or (spec.copies if received else 0)),
        received_at=now if received else None,
    )
    if source is not None and scan is None:
        material.source_case, material.source_document = source, str(given.get("source_document") or "")[:200]
        material.note = f"审批结果共享：{source.number} {material.source_document}"[:300]
    if scan is not None:
        material.file.name = scan.path
        material.file_name, material.content_type, material.size = scan.name, scan.content_type, scan.size
        material.pages, material.content_hash = scan.pages, scan.digest
        material.note = f"窗口扫描电子材料：{scan.name}"[:300]
    return material


# -- performing an action -----------------------------------------------------------------------

def perform(case: Case | int | str, action: str, *, actor: User, params: dict | None = None,
            ip: str | None = None, expected_version: int | None = None) -> Case:
    """Perform one action of the transition table on a case, or change nothing and say why."""
    transition = lifecycle.TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(f"未知的操作：{action}", {"action": ["未知的操作。"]})
    return _through_the_door(case, transition, actor, params, ip, expected_version)


def perform_as_applicant(case: Case | int | str, action: str, *, user: User, id_index: str,
                         params: dict | None = None, ip: str | None = None) -> Case:
    """An applicant's own action on their case (网上补件): allowed when the case was filed under their
    identifier (`id_index`, the blind index of their ID number or USCC); the caller has signed them in."""
    transition = lifecycle.APPLICANT_TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(f"未知的操作：{action}", {"action": ["未知的操作。"]})

    def theirs(act: lifecycle.Act) -> None:
        if not (id_index and hmac.compare_digest(act.case.applicant_id_index, id_index)):
            raise Forbidden("这不是您的办件。")

    return _through_the_door(case, transition, user, params, ip, authorise=theirs)


def perform_outside(case: Case | int | str, action: str, *, actor: User, happened_at, params: dict | None = None,
                    ip: str | None = None, authorise=None) -> Case:
    """Record an action a department performed in its own system on a case registered from it (一厅双网).

    The effect works with `happened_at`, the moment in that system, so that dates, dues and used days
    are those of the case as it was handled; the event is stamped with the moment it is recorded here,
    and carries the outside moment and the lag (lifecycle.Act.record_outside), which 先批后录 reads.
    The caller (shenpi.exchange.registration) has checked the moment and the caller's scope;
    `authorise(act)` runs on the locked case. Step actions work the step given as params["step"], or
    the first active one: the department's staff did the work, the system account records it.
    """
    transition = lifecycle.TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(f"未知的操作：{action}", {"action": ["未知的操作。"]})

    def outside(act: lifecycle.Act) -> None:
        if not act.case.is_outside:
            raise TransitionRefused("本件不是部门自建系统登记的办件。")
        if not _acts_for(act.actor, act.case.department_id):
            raise Forbidden("您不能办理其他部门的办件。")
        if authorise is not None:
            authorise(act)
        if transition.on_step and act.case.state == State.IN_PROGRESS:
            act.step = _outside_step(act)

    return _through_the_door(case, transition, actor, params, ip, authorise=outside, happened_at=happened_at)


def _outside_step(act: lifecycle.Act) -> CaseStep:
    wanted = act.params.get("step")
    active = [s for s in act.active if wanted in (None, "") or str(s.pk) == str(wanted) or s.name == wanted]
    if not active:
        raise TransitionRefused("所选环节不是本件当前进行中的环节。")
    return active[0]


def _through_the_door(case, transition: lifecycle.Transition, actor: User | None, params: dict | None = None,
                      ip: str | None = None, expected_version: int | None = None,
                      authorise=None, happened_at=None) -> Case:
    """Every change of a case, a person's action or the platform's own: lock, check, receivers
    before, effect, the case row and its chained event, notices, receivers after — one transaction.

    The database side is store.open_action(): writes batched (PostgreSQL's pipeline; batching inside
    the transaction, since psycopg would wait on the server for each change of autocommit) and any
    write not through act.update / act.insert refused (ADR 0003).
    """
    with transaction.atomic(), store.open_action():
        locked, active = store.lock(case, actor)
        if expected_version is not None and str(expected_version) != str(locked.row_version):
            raise Conflict("该办件已被他人更新，请刷新后重试。")
        refusal = transition.refusal(locked)
        if refusal:
            raise TransitionRefused(refusal)
        now = clock.now()
        act = lifecycle.Act(case=locked, actor=actor, params=dict(params or {}), now=happened_at or now,
                            calendar=get_calendar(), action=transition.action, before=locked.state, _active=active)
        if happened_at is not None:
            act.record_outside(now)
        if authorise is not None:
            authorise(act)
        elif actor is not None:
            _authorise(act, transition)
        hooks.run_before(act)
        edited = trail.row_edits(locked)
        if edited is not None:
            # The row was changed without an event since its last seal. The action goes on (the
            # applicant is not held up), but its event, which seals the row anew, says so for good.
            act.event_data["row_edited"] = edited or ["?"]
        unchanged = _mutable_values(locked)
        locked.state = transition.effect(act)
        _record(act, ip, unchanged)
        hooks.run_after(act)
    if edited is not None:
        security_audit.record("case.row_edited", user=actor, target=f"case:{locked.number}", outcome="failure",
                              fields=edited, case_action=transition.action, ip=ip)
    return locked


def _record(act: lifecycle.Act, ip: str | None, unchanged: list) -> None:
    """The case row's one UPDATE, its event chained to the trail, and the notices the effect issued."""
    case = act.case
    case.row_version += 1
    first_notice = case.notices_issued + 1
    case.notices_issued += len(act.notices)
    # The event is chained first, so the new trail head goes out with the case's one UPDATE.
    act.event = _event(case, act.action, act.actor, act.recorded_at or act.now, ip, act.before, case.state,
                       act.step, act.comment, act.event_data)
    update_row(case, _changed_fields(case, unchanged))
    insert_row(act.event, need_pk=False)
    for serial, (kind, body) in enumerate(act.notices, start=first_notice):
        issue_notice(case, kind, act.actor, act.now, body, serial)


_FIXED_AT_RECEIPT = frozenset({
    "id", "number", "query_code", "item", "version", "department", "window", "channel", "title", "project_code",
    "applicant_kind",
    "applicant_name", "applicant_id", "applicant_id_index", "applicant_id_masked", "applicant_id_note",
    "contact_name", "contact_phone", "contact_phone_masked", "received_at", "received_by", "correction_due",
    "source_system", "source_name", "external_number",
})


_MUTABLE_FIELDS = [f for f in Case._meta.concrete_fields if f.name not in _FIXED_AT_RECEIPT]


def _mutable_values(case: Case) -> list:
    return [getattr(case, f.attname) for f in _MUTABLE_FIELDS]


def _changed_fields(case: Case, before: list) -> list[str]:
    """What this action changed: the UPDATE carries those columns only (never the SM4 ciphertexts)."""
    return [f.name for f, old in zip(_MUTABLE_FIELDS, before, strict=True) if getattr(case, f.attname) != old]


def _event(case, action, actor, now, ip, before, after, step, comment, data) -> CaseEvent:
    """The case's next event, chained to its audit trail (unsaved); the head moves on `case` in memory.

    The case row must be locked (or new): the caller saves the head and the event in its transaction.
    """
    event = CaseEvent(case=case, action=action, actor=actor, actor_name=str(actor) if actor else "", at=now,
                      ip=ip or None, from_state=before, to_state=after, step=step, comment=comment or "",
                      data=data or {})
    trail.chain(case, event)
    return event


def issue_notice(case: Case, kind: str, actor: User | None, now, body: dict, serial: int) -> Notice:
    """A notice keeps the facts as they stood when it was issued, so a reprint says the same."""
    facts = {
        "received_on": timezone.localdate(case.received_at).isoformat(),
        "accepted_on": case.accept_date.isoformat() if case.accept_date else None,
        "promised_due": case.promised_due.isoformat() if case.promised_due else None,
        "statutory_due": case.statutory_due.isoformat() if case.statutory_due else None,
        "due_provisional": case.due_provisional,
        "issuer": str(actor) if actor else "",
    }
    # Nothing reads the new notice's id in the action, so its INSERT goes out with the COMMIT.
    return insert_row(Notice(case=case, kind=kind, number=f"{case.number}-{serial:02d}", issued_at=now,
                             issued_by=actor, body={**facts, **body}), need_pk=False)


def allowed_actions(case: Case, user: User) -> list[lifecycle.Transition]:
    """Actions the table allows now that this user may perform: what a page shows as buttons."""
    result = []
    for transition in lifecycle.available(case):
        act = lifecycle.Act(case=case, actor=user, params={}, now=clock.now(), calendar=get_calendar())
        try:
            _authorise(act, transition)
        except (Forbidden, TransitionRefused):
            continue
        if transition.offered is None or transition.offered(act):
            result.append(transition)
    return result


# -- when the calendar changes ------------------------------------------------------------------

def recompute_provisional_dues() -> int:
    """Derive again the due dates that rested on an estimated year, once its notice is in.

    Each case changes in its own transaction with an event, so the trail shows why a date moved.
    """
    transition = lifecycle.SYSTEM_TRANSITIONS["recompute_dues"]
    changed = 0
    ids = list(Case.objects.filter(due_provisional=True, state__in=transition.sources)
               .values_list("pk", flat=True))
    for pk in ids:
        try:
            _through_the_door(pk, transition, None)
        except (lifecycle.NothingToDo, TransitionRefused):  # as it should be, or closed meanwhile
            continue
        changed += 1
    return changed


# -- sealing cases written before events sealed the case row -------------------------------------

def seal_unsealed(*, case_number: str | None = None) -> int:
    """Append a `seal` event to each case whose latest event carries no seal of the case row.

    For cases written before the seal existed, once, after the upgrade (shenpi audit seal): it vouches
    for the rows as they stand then. A sealed case is never sealed again here: a row edited behind the
    platform's back stays found by `shenpi audit verify`.
    """
    transition = lifecycle.SYSTEM_TRANSITIONS["seal"]
    unsealed = CaseEvent.objects.filter(seal="", hash=F("case__trail_head"))
    if case_number is not None:
        unsealed = unsealed.filter(case__number=case_number)
    sealed = 0
    for pk in list(unsealed.order_by("case_id").values_list("case_id", flat=True)):
        try:
            _through_the_door(pk, transition, None)
        except lifecycle.NothingToDo:
            continue
        sealed += 1
    return sealed


def _on_notice_imported(sender, year: int, **kwargs) -> None:
    recompute_provisional_dues()
