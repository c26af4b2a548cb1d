"""The one transition table of a case (办件): states × actions → next state, guard, effect.

Every entry point (workbench pages, the API, commands, the demo generator) calls
`shenpi.cases.services.perform`, which looks the action up here. Nothing else changes a
case's state. An effect receives an `Act` (the locked case, the actor, the parameters, the
moment and the calendar) and returns the state the case goes to. It writes rows through
`act.update`, `act.insert` and `act.insert_step` only (ADR 0003): how they reach the database is
`store`'s business, not the law's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model
from django.utils import timezone

from shenpi.accounts.models import Role, User
from shenpi.catalog.hours import open_on
from shenpi.catalog.models import FlowStep, ItemProcedure
from shenpi.catalog.services import flow_of
from shenpi.errors import InvalidInput, TransitionRefused
from shenpi.workdays.calendar import WorkCalendar
from shenpi.workdays.services import office_hours

from . import store
from .files import StoredFile
from .models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    Channel,
    ClockStop,
    Decision,
    DeferralCommitment,
    Extension,
    Notice,
    State,
)

# Days the law gives for a correction notice (art. 32) and for delivering a decision (art. 44).
CORRECTION_NOTICE_DAYS = 5
DELIVERY_DAYS = 10


@dataclass
class Act:
    """One action being performed: what the effect functions and the hooks' receivers work with."""

    case: Case
    actor: User | None
    params: dict
    now: dt.datetime
    calendar: WorkCalendar
    action: str = ""
    before: str = ""  # the case's state when the action began
    step: CaseStep | None = None
    notices: list[tuple[str, dict]] = field(default_factory=list)
    event_data: dict = field(default_factory=dict)
    comment: str = ""
    event: CaseEvent | None = None  # the action's trail entry, once written (after receivers)
    # An action recorded from a department's own system (一厅双网): `now` is the moment it happened
    # there, which the effect works with; `recorded_at` is the moment it is recorded here, which
    # stamps the event. The event's data keep both, so a record made long after the fact shows.
    recorded_at: dt.datetime | None = None
    _active: list[CaseStep] | None = None

    def record_outside(self, recorded_at: dt.datetime) -> None:
        self.recorded_at = recorded_at
        self.event_data["outside_at"] = timezone.localtime(self.now).isoformat()
        self.event_data["recorded_late_minutes"] = max(0, int((recorded_at - self.now).total_seconds() // 60))

    @property
    def flow(self) -> tuple[FlowStep, ...]:
        return flow_of(self.case.version)

    @property
    def active(self) -> list[CaseStep]:
        """The case's active steps as they were when the action began, read once per action."""
        if self._active is None:
            self._active = _active_steps(self.case)
        return self._active

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def notify(self, kind: str, **body) -> None:
        self.notices.append((kind, body))

    def update(self, obj: Model, *fields: str) -> None:
        """Write these fields of a row read in this action."""
        store.update(obj, fields)

    def insert(self, obj: Model) -> Model:
        """A new row (its id stays unknown in the action)."""
        return store.insert(obj)

    def insert_step(self, step: CaseStep) -> CaseStep:
        """A new active step, assigned to the least-loaded person on duty in its post."""
        return store.insert_step(step)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    roles: frozenset[str]
    effect: Callable[[Act], str]
    # Actions on the active step are authorised by the step's role and department.
    on_step: bool = False
    # Parameters that must be present and non-empty, with the message shown when missing.
    needs: tuple[tuple[str, str], ...] = ()
    # The administrator's actions may reach any department's case.
    centre_wide: bool = False
    # A fact of the case that rules the action out, whoever asks: returns the reason, or None.
    ruled_out: Callable[[Case], str | None] | None = None
    # Besides the case's department, the department whose part of a parallel stage began what the
    # action ends (the 补件 it asked for): returns that department's id, or None.
    part_department: Callable[[Case], int | None] | None = None
    # On a step: the lead of the step's department (its 审批人) may act though not holding the step's role.
    by_lead: bool = False
    # Whether a page offers the action at all, once allowed and authorised (转办 with nobody to hand to is not).
    offered: Callable[[Act], bool] | None = None
    # Between staff only (转办: who handed the step to whom): the public's history leaves it out, since
    # the applicant is entitled to the step and its department, not to the people working it.
    internal: bool = False

    def refusal(self, case: Case) -> str | None:
        if case.state not in self.sources:
            return f"办件当前状态为“{case.get_state_display()}”，不能执行“{self.label}”。"
        return self.ruled_out(case) if self.ruled_out else None


# -- time: derived from the calendar, stored on the case --------------------------------------

def end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def on_the_spot_day(case: Case, calendar: WorkCalendar) -> dt.date:
    """A 即办件 is due the day it is received, or the next working day if received after hours.

    The hours are those of the window that received the case (the centre's default for a case
    without one): received in its noon break is still that day; received on its 延时服务 evening
    or its Saturday service is that day too; after its last session, on a day it does not serve,
    the next working day.
    """
    received = timezone.localtime(case.received_at)
    if open_on(case.window_id, received, calendar):
        return received.date()
    return calendar.add(received.date(), 1)


def derive_dues(case: Case, calendar: WorkCalendar) -> None:
    """Case due dates: the N-th working day after acceptance, moved by extensions and stops."""
    if case.accept_date is None:
        return
    extra = case.extension_days + case.stopped_days
    provisional = False
    spot_day = None
    for attr, limit in (("promised_due", case.promised_limit), ("statutory_due", case.statutory_limit)):
        if limit == 0:
            spot_day = spot_day or on_the_spot_day(case, calendar)
            due = calendar.due(spot_day, extra)
        else:
            due = calendar.due(case.accept_date, limit + extra)
        setattr(case, attr, due.date)
        provisional = provisional or due.provisional
    case.due_provisional = provisional


def legal_accept_date(case: Case) -> dt.date:
    """行政许可法 art. 32: without a timely correction notice, acceptance dates from receipt."""
    received_on = timezone.localdate(case.received_at)
    timely = case.correction_requested_at and (
        timezone.localdate(case.correction_requested_at) <= case.correction_due)
    if timely and case.corrected_at:
        return timezone.localdate(case.corrected_at)
    return received_on


def step_due(act: Act, flow_step: FlowStep) -> tuple[dt.datetime | None, bool]:
    """A step's own allotment from now, or the case's promised due when it has none."""
    if flow_step.limit is None:
        return (end_of_day(act.case.promised_due) if act.case.promised_due else None), False
    if flow_step.limit_unit == FlowStep.LimitUnit.HOURS:
        opens, closes = office_hours()
        local = timezone.localtime(act.now)
        return act.calendar.add_hours(local, flow_step.limit, opens, closes), True
    return end_of_day(act.calendar.add(act.today, flow_step.limit)), True


def clock_used_days(case: Case, calendar: WorkCalendar, today: dt.date) -> int:
    """Working days the clock has run since acceptance, stops excluded (frozen while stopped)."""
    if case.accept_date is None:
        return 0
    until = today
    if case.clock_stopped_on is not None:
        until = case.clock_stopped_on
    elif case.completed_at is not None:
        until = timezone.localdate(case.completed_at)
    elif case.closed_at is not None:
        until = timezone.localdate(case.closed_at)
    return max(0, calendar.between(case.accept_date, until) - case.stopped_days)


# -- guards shared by several actions -----------------------------------------------------------

def _need_reason(act: Act, key: str = "reason", message: str = "请填写理由。") -> str:
    text = str(act.params.get(key) or "").strip()
    if not text:
        raise InvalidInput(message, {key: [message]})
    act.comment = text
    return text


def _positive_int(act: Act, key: str, message: str, maximum: int | None = None) -> int:
    raw = act.params.get(key)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(message, {key: [message]}) from None
    if value < 1 or (maximum is not None and value > maximum):
        raise InvalidInput(message, {key: [message]})
    return value


def missing_materials(case: Case) -> list[str]:
    """Names of the required materials neither received nor deferred under 容缺, in list order."""
    return store.missing_materials(case.pk)


def _require_complete_materials(act: Act) -> None:
    missing = missing_materials(act.case)
    if missing:
        names = "、".join(missing)
        raise TransitionRefused(f"申请材料不齐全，不能受理：缺少{names}。请出具一次性告知书要求补正。")


def _active_steps(case: Case) -> list[CaseStep]:
    return store.active_steps(case.pk)


# -- 容缺受理: materials accepted on the applicant's commitment, brought later ---------------------

def outstanding_deferred(case: Case) -> list[CaseMaterial]:
    """Materials accepted under 容缺 and not brought yet, in list order."""
    return store.outstanding_materials(case.pk)


def deferred_to_upload(case: Case, materials: list[CaseMaterial] | None = None) -> list[CaseMaterial]:
    """The 容缺 materials the applicant may upload now: outstanding, in the states `supply_deferred` allows."""
    if case.state not in APPLICANT_TRANSITIONS["supply_deferred"].sources:
        return []
    return [m for m in (case.materials.all() if materials is None else materials) if m.outstanding]


def _yes(value) -> bool:
    return value is True or str(value).strip().lower() in ("1", "on", "true", "yes")


def commitment_text(names: list[str], due: dt.date) -> str:
    return (f"本人（单位）承诺于{due.year}年{due.month}月{due.day}日前补交容缺受理的申请材料：{'、'.join(names)}，"
            "并对所补交材料的真实性负责；逾期未补交的，愿意承担相应责任。")


def _record_deferral(act: Act) -> None:
    """容缺受理: the applicant's written commitment and the date by which each deferred material is due,
    counted in working days from today under the item's rule; listed on the 受理通知书."""
    deferred = outstanding_deferred(act.case)
    if not deferred:
        return
    names = [m.name for m in deferred]
    if not _yes(act.params.get("commitment")):
        message = f"容缺受理须申请人书面承诺限期补交{'、'.join(names)}：请确认申请人已签署容缺受理承诺书。"
        raise InvalidInput(message, {"commitment": [message]})
    version = act.case.version
    due = act.calendar.add(act.today, version.deferral_days)
    for material in deferred:
        material.due_on = due
        act.update(material, "due_on")
    case = act.case
    signer = str(act.params.get("commitment_signer") or "").strip() or case.contact_name or case.applicant_name
    text = commitment_text(names, due)
    act.insert(DeferralCommitment(case=case, signer=signer[:200], text=text, materials=names, due_on=due, at=act.now,
                                  recorded_by=act.actor))
    act.event_data["deferred"] = {"materials": names, "due_on": due.isoformat(), "days": version.deferral_days,
                                  "signer": signer}


def _nothing_deferred(case: Case) -> str | None:
    if CaseMaterial.objects.filter(case=case, deferred=True, received=False).exists():
        return None
    return "本件没有待补交的容缺材料。"


# -- steps --------------------------------------------------------------------------------------

def _activate(act: Act, flow_steps: list[FlowStep]) -> list[CaseStep]:
    created = []
    for flow_step in flow_steps:
        department_id = flow_step.department_id or act.case.department_id
        due_at, own = step_due(act, flow_step)
        created.append(act.insert_step(CaseStep(
            case=act.case, flow_step=flow_step, seq=flow_step.seq, name=flow_step.name, role_id=flow_step.role_id,
            department_id=department_id, started_at=act.now, due_at=due_at, own_limit=own,
            cross_department=department_id != act.case.department_id,
        )))
    return created


def _flow_seqs(act: Act) -> list[int]:
    return sorted({s.seq for s in act.flow})


def _stage(act: Act, seq: int) -> list[FlowStep]:
    return [s for s in act.flow if s.seq == seq]


def _working(act: Act) -> list[CaseStep]:
    """The active steps still being worked now that this action has closed its own."""
    return [s for s in act.active if s.status == CaseStep.Status.ACTIVE]


def _owed_parts(act: Act, seq: int) -> list[FlowStep]:
    """The parts of a stage to start when the flow reaches it: those neither being worked nor standing.

    A return from a parallel stage sends back the returning part only: another department's part
    keeps working, or stands as passed, and is not done twice when the flow comes back.
    """
    working = {s.flow_step_id for s in _working(act)}
    stage = _stage(act, seq)
    owed = [s for s in stage if s.pk not in working]
    if len(stage) > 1 and owed:  # only a part of a parallel stage can stand while another is returned
        standing = _standing_parts(act.case, seq)
        owed = [s for s in owed if s.pk not in standing]
    return owed


def _standing_parts(case: Case, seq: int) -> set[int]:
    """Flow steps of a stage passed since the flow last went beyond the stage."""
    standing: set[int] = set()
    history = case.steps.filter(seq__gte=seq).order_by("pk").values_list("flow_step_id", "seq", "status")
    for flow_step_id, step_seq, status in history:
        if step_seq > seq:
            standing.clear()  # the stage was complete then: coming back to it works it all again
        elif status == CaseStep.Status.DONE:
            standing.add(flow_step_id)
        else:
            standing.discard(flow_step_id)
    return standing


def _cancel_active_steps(act: Act) -> None:
    for step in act.active:
        step.status, step.finished_at = CaseStep.Status.CANCELLED, act.now
        act.update(step, "status", "finished_at")


def _follow_case_dues(act: Act, shift_days: int = 0) -> None:
    """After the case's due date moved: steps without their own limit follow it; own limits shift."""
    for step in _active_steps(act.case):
        if not step.own_limit:
            step.due_at = end_of_day(act.case.promised_due) if act.case.promised_due else None
        elif shift_days and step.due_at is not None:
            local = timezone.localtime(step.due_at)
            moved = act.calendar.add(local.date(), shift_days)
            step.due_at = local.replace(year=moved.year, month=moved.month, day=moved.day)
        act.update(step, "due_at")


# -- effects ------------------------------------------------------------------------------------

def accept(act: Act) -> str:
    case = act.case
    _require_complete_materials(act)
    case.accepted_at = act.now
    case.accept_date = legal_accept_date(case)
    derive_dues(case, act.calendar)
    act.event_data["accept_date"] = case.accept_date.isoformat()
    if case.accept_date != act.today:
        act.event_data["backdated_by_law"] = True
    seqs = _flow_seqs(act)
    if not seqs:
        raise TransitionRefused("该事项版本没有配置办理流程，不能受理。请联系中心管理员。")
    _activate(act, _stage(act, seqs[0]))
    _record_deferral(act)
    deferral = act.event_data.get("deferred")
    if deferral:
        # Whether the applicant can upload them under 我的办件 (filed online, or an account under the
        # applicant's identifier): set by shenpi.online's receiver before the effect, as the notice says it.
        act.notify(Notice.Kind.ACCEPTANCE, deferred=[{"name": name, "due_on": deferral["due_on"]}
                                                     for name in deferral["materials"]],
                   deferral_rule=act.case.version.deferral_rule,
                   deferral_online=bool(act.event_data.get("deferral_online")))
    else:
        act.notify(Notice.Kind.ACCEPTANCE)
    return State.IN_PROGRESS


def request_correction(act: Act) -> str:
    case = act.case
    if case.correction_count:
        raise TransitionRefused("一次性告知：本件已出具过补正材料通知书，不能再次要求补正。")
    items = act.params.get("missing") or []
    if not isinstance(items, list | tuple) or not items:
        message = "请列出全部需要补正的材料及原因。"
        raise InvalidInput(message, {"missing": [message]})
    listed = []
    for entry in items:
        name = str(entry.get("name") or "").strip() if isinstance(entry, dict) else str(entry).strip()
        problem = str(entry.get("problem") or "").strip() if isinstance(entry, dict) else ""
        if not name:
            message = "补正材料名称不能为空。"
            raise InvalidInput(message, {"missing": [message]})
        listed.append({"name": name, "problem": problem or "未提交"})
    case.correction_count += 1
    case.correction_requested_at = act.now
    act.comment = str(act.params.get("comment") or "").strip()
    late = act.today > case.correction_due
    act.event_data.update(missing=listed, late=late)
    act.notify(Notice.Kind.CORRECTION, missing=listed, late=late, instruction=act.comment)
    return State.CORRECTING


def supplement(act: Act) -> str:
    """The applicant has brought the corrected materials (补正材料收齐)."""
    raw = act.params.get("materials") or []
    try:
        # A bare string would be read character by character.
        ids = {int(i) for i in raw} if isinstance(raw, list | tuple | set) else None
    except (TypeError, ValueError):
        ids = None
    if ids is None:
        message = "请选择本件的材料。"
        raise InvalidInput(message, {"materials": [message]})
    materials = {m.pk: m for m in act.case.materials.all()}
    unknown = ids - set(materials)
    if unknown:
        message = "所列材料不属于本件。"
        raise InvalidInput(message, {"materials": [message]})
    for pk in ids:
        material = materials[pk]
        material.received, material.deferred, material.received_at = True, False, act.now
        act.update(material, "received", "deferred", "received_at")
    act.case.corrected_at = act.now
    act.event_data["materials"] = sorted(ids)
    return State.RECEIVED


def _material_ids(raw) -> set[int] | None:
    try:
        # A bare string would be read character by character.
        return {int(i) for i in raw} if isinstance(raw, list | tuple | set) else None
    except (TypeError, ValueError):
        return None


def _deferred_files(act: Act) -> dict[int, StoredFile]:
    """The files brought with deferred materials, by material id: checked and stored by the caller
    (files.inspect, files.store); anything else, such as a path sent through the API, is refused."""
    raw = act.params.get("files") or {}
    if not isinstance(raw, dict):
        raw = None
    given = _material_ids(list(raw)) if raw is not None else None
    if given is None or not all(isinstance(v, StoredFile) for v in raw.values()):
        message = "电子材料须先经内容校验。"
        raise InvalidInput(message, {"files": [message]})
    return {int(k): v for k, v in raw.items()}


def _bring_deferred(act: Act, ids: set[int], files: dict[int, StoredFile], note: str) -> None:
    """Deferred materials arrive (at the window or online): each counts as received, with its file if one
    came; the event says which, which were late, which are still outstanding and the files' digests."""
    outstanding = {m.pk: m for m in outstanding_deferred(act.case)}
    if ids - set(outstanding):
        message = "所选材料不是本件待补交的容缺材料。"
        raise InvalidInput(message, {"materials": [message]})
    brought = [outstanding[pk] for pk in sorted(ids)]
    for material in brought:
        material.copies = material.copies or (material.spec.copies if material.spec_id else 1)
        if material.pk in files:
            act.update(material, *_file_joins(act, material, files[material.pk], note))
        else:
            material.received, material.received_at = True, act.now
            act.update(material, "received", "received_at", "copies")
    late = [m.name for m in brought if m.due_on is not None and m.due_on < act.today]
    act.comment = str(act.params.get("comment") or "").strip()[:2000]
    act.event_data.update(materials=[m.name for m in brought], late=late,
                          remaining=[m.name for pk, m in outstanding.items() if pk not in ids])
    if files:
        act.event_data["files"] = [{"name": outstanding[pk].name, "file": files[pk].name,
                                    "digest": files[pk].digest, "size": files[pk].size} for pk in sorted(files)]


def receive_deferred(act: Act) -> str:
    """容缺材料补交: the applicant brings materials accepted under 容缺, with the window's scans if taken;
    the case stays where it is."""
    files = _deferred_files(act)
    ids = (_material_ids(act.params.get("materials") or []) or set()) | set(files)
    if not ids:
        message = "请选择申请人补交的容缺材料。"
        raise InvalidInput(message, {"materials": [message]})
    _bring_deferred(act, ids, files, "窗口扫描电子材料（容缺补交）")
    return act.case.state


def supply_deferred(act: Act) -> str:
    """The applicant uploads deferred materials online (我的办件): each a checked file, counted at once;
    staff see it on the case page. The case stays where it is."""
    files = _deferred_files(act)
    if not files:
        message = "请选择要上传的容缺材料文件。"
        raise InvalidInput(message, {"files": [message]})
    _bring_deferred(act, set(files), files, "网上补交容缺材料")
    return act.case.state


def refuse(act: Act) -> str:
    reason = _need_reason(act, message="不予受理必须写明理由。")
    act.case.closing_reason = reason
    act.case.closed_at = act.now
    act.notify(Notice.Kind.REFUSAL, reason=reason)
    return State.REFUSED


def _not_on_the_spot(case: Case) -> str | None:
    return None if case.on_the_spot else "该事项不是即办件，须受理后按流程办理。"


def handle_on_the_spot(act: Act) -> str:
    case = act.case
    _require_complete_materials(act)
    case.accepted_at = case.decided_at = case.completed_at = case.closed_at = act.now
    case.accept_date = legal_accept_date(case)
    derive_dues(case, act.calendar)
    case.decision = Decision.GRANT
    case.decision_reason = str(act.params.get("opinion") or "").strip()
    case.used_days = 0
    act.comment = case.decision_reason
    _record_deferral(act)
    return State.COMPLETED


def _the_step(act: Act) -> CaseStep:
    if act.step is None:
        raise TransitionRefused("本件当前没有进行中的环节。")
    return act.step


def pass_step(act: Act) -> str:
    step = _the_step(act)
    step.status, step.finished_at, step.finished_by = CaseStep.Status.DONE, act.now, act.actor
    step.opinion = act.comment = str(act.params.get("opinion") or "").strip() or "同意"
    act.update(step, "status", "finished_at", "finished_by", "opinion")
    working = _working(act)
    if any(s.seq <= step.seq for s in working):
        # Another part of this stage is still working, or an earlier stage is being worked again
        # after a return: the flow moves on when that is passed.
        return State.IN_PROGRESS
    for seq in (s for s in _flow_seqs(act) if s > step.seq):
        if _activate(act, _owed_parts(act, seq)) or any(s.seq == seq for s in working):
            return State.IN_PROGRESS
    return State.DECIDING


def return_step(act: Act) -> str:
    step = _the_step(act)
    reason = _need_reason(act, message="退回必须写明理由。")
    earlier = [s for s in _flow_seqs(act) if s < step.seq]
    if not earlier:
        raise TransitionRefused("第一个环节不能退回。")
    target = act.params.get("to_seq")
    try:
        target = int(target) if target not in (None, "") else earlier[-1]
    except (TypeError, ValueError):
        target = None
    if target not in earlier:
        message = "只能退回到本环节之前的环节。"
        raise InvalidInput(message, {"to_seq": [message]})
    # Only the actor's own part goes back; the other parts of a parallel stage stay as they are.
    step.status, step.finished_at, step.finished_by, step.opinion = (
        CaseStep.Status.RETURNED, act.now, act.actor, reason)
    act.update(step, "status", "finished_at", "finished_by", "opinion")
    _activate(act, _owed_parts(act, target))
    act.event_data["to_seq"] = target
    return State.IN_PROGRESS


def transfer(act: Act) -> str:
    """转办: the step goes to a colleague of its department who holds its role; the clock runs on."""
    step = _the_step(act)
    _need_reason(act, message="转办必须写明理由。")
    to = store.colleague(step.department_id, step.role_id, pk=act.params.get("to"),
                         username=act.params.get("to_username"))
    if to is None:
        message = f"请选择本部门在岗、具有“{Role.NAMES.get(step.role_id, step.role_id)}”角色的同事。"
        raise InvalidInput(message, {"to": [message]})
    if to.pk == step.assignee_id:
        message = f"本环节已由{to}办理，请选择其他同事。"
        raise InvalidInput(message, {"to": [message]})
    absence = store.away(to.pk, act.today)
    if absence is not None:
        message = (f"{to}{absence.starts_on:%m月%d日}至{absence.ends_on:%m月%d日}离岗（{absence.reason}），"
                   "请选择其他同事。")
        raise InvalidInput(message, {"to": [message]})
    before = User.objects.filter(pk=step.assignee_id).first() if step.assignee_id else None
    step.assignee = to
    act.update(step, "assignee")
    act.event_data.update(from_assignee=before.pk if before else None, from_name=str(before) if before else "",
                          to_assignee=to.pk, to_name=str(to))
    return act.case.state


def _has_colleague(act: Act) -> bool:
    """Someone the step could go to today: 转办 is offered only then."""
    step = act.step
    return step is not None and store.has_colleague(step.department_id, step.role_id, step.assignee_id, act.today)


def _stop_clock(act: Act, kind, kind_name: str, expected: int, limit: int, reason: str,
                materials: list[dict] | None = None) -> ClockStop:
    case = act.case
    case.clock_stopped_on = act.today
    return act.insert(ClockStop(
        case=case, step=act.step, kind=kind, kind_name=kind_name, reason=reason, expected_days=expected,
        limit_days=limit, limit_due=act.calendar.add(act.today, limit), resume_to=case.state,
        started_at=act.now, materials=materials or [],
    ))


def suspend(act: Act) -> str:
    """特别程序 (art. 45): the clock stops; the applicant is told the kind, reason and length."""
    reason = _need_reason(act, message="暂停计时必须写明理由。")
    code = str(act.params.get("kind") or "").strip()
    allowed = {p.kind.code: p for p in ItemProcedure.objects.filter(version=act.case.version)
               .select_related("kind")}
    if code not in allowed:
        names = "、".join(p.kind.name for p in allowed.values()) or "无"
        message = f"请选择本事项允许的特别程序（{names}）。"
        raise InvalidInput(message, {"kind": [message]})
    procedure = allowed[code]
    expected = _positive_int(act, "expected_days",
                             f"请填写预计时长（1至{procedure.limit_days}个工作日）。", procedure.limit_days)
    stop = _stop_clock(act, procedure.kind, procedure.kind.name, expected, procedure.limit_days, reason)
    act.event_data.update(kind=code, expected_days=expected, limit_due=stop.limit_due.isoformat())
    act.notify(Notice.Kind.SPECIAL_PROCEDURE, procedure=procedure.kind.name, reason=reason,
               expected_days=expected, limit_days=procedure.limit_days)
    return State.SUSPENDED


def _supplement_list(act: Act) -> list[dict]:
    """The materials a 补件 asks for: [{name, problem, material}], `material` the case material's id or None.

    Entries name a material of the case (by id) or any other document by name; none at all is allowed
    (the reason then says what is wanted), but a blank or foreign entry is refused.
    """
    raw = act.params.get("materials") or []
    if not isinstance(raw, list | tuple):
        message = "补件材料清单格式不正确。"
        raise InvalidInput(message, {"materials": [message]})
    own = {m.pk: m.name for m in act.case.materials.all()}
    listed: list[dict] = []
    for entry in raw:
        entry = entry if isinstance(entry, dict) else {"material": entry}
        problem = str(entry.get("problem") or "").strip()[:300]
        material = entry.get("material")
        if material not in (None, ""):
            try:
                material = int(material)
            except (TypeError, ValueError):
                material = None
            if material not in own:
                message = "所列材料不属于本件。"
                raise InvalidInput(message, {"materials": [message]})
            name = str(entry.get("name") or "").strip() or own[material]
        else:
            material, name = None, str(entry.get("name") or "").strip()
        if not name:
            message = "补件材料名称不能为空。"
            raise InvalidInput(message, {"materials": [message]})
        if any(e["name"] == name for e in listed):
            continue
        listed.append({"name": name[:200], "problem": problem or "需补交", "material": material})
    return listed


def request_supplement(act: Act) -> str:
    """补件 during processing: the clock stops until the materials come back (at the window or online)."""
    reason = _need_reason(act, message="请写明需要补交的材料及原因。")
    expected = _positive_int(act, "expected_days", "请填写补交期限（1至30个工作日）。", 30) \
        if act.params.get("expected_days") not in (None, "") else CORRECTION_NOTICE_DAYS
    listed = _supplement_list(act)
    stop = _stop_clock(act, None, "补件", expected, expected, reason, materials=listed)
    act.event_data.update(expected_days=expected, limit_due=stop.limit_due.isoformat())
    if listed:
        act.event_data["materials"] = listed
    act.notify(Notice.Kind.SUPPLEMENT, reason=reason, expected_days=expected, due=stop.limit_due.isoformat(),
               **({"materials": [{"name": e["name"], "problem": e["problem"]} for e in listed]} if listed else {}))
    return State.SUSPENDED


def _stopping_department(case: Case) -> int | None:
    """The department of the part whose request stopped the clock (None when stopped from no part)."""
    return (case.clock_stops.filter(ended_at__isnull=True).order_by("-pk")
            .values_list("step__department_id", flat=True).first())


def open_stop(case: Case) -> ClockStop | None:
    """The case's clock stop under way (特别程序 or 补件), if any."""
    return case.clock_stops.filter(ended_at__isnull=True).order_by("-pk").first()


def _restart_clock(act: Act, stop: ClockStop | None) -> str:
    """The stop ends today: its working days move the dues (art. 45), and the case goes back where it was."""
    case = act.case
    if stop is None or case.clock_stopped_on is None:
        raise TransitionRefused("本件没有进行中的暂停。")
    stopped = max(0, act.calendar.between(case.clock_stopped_on, act.today))
    stop.ended_at, stop.stopped_days = act.now, stopped
    act.update(stop, "ended_at", "stopped_days")
    case.stopped_days += stopped
    case.clock_stopped_on = None
    derive_dues(case, act.calendar)
    _follow_case_dues(act, shift_days=stopped)
    act.event_data["stopped_days"] = stopped
    return stop.resume_to


def resume(act: Act) -> str:
    """恢复计时; ending a 补件 at the window, with the scans of the listed materials brought (by their place
    in the 补件's list, checked and stored like every scan), which join the case's materials."""
    act.comment = str(act.params.get("comment") or "").strip()
    stop = open_stop(act.case)
    listed = (stop.materials or []) if stop is not None and stop.is_supplement else []
    scans = _listed_files(act, listed, "扫描件与补件告知所列材料不符。")
    _listed_files_join(act, listed, scans, "窗口扫描电子材料（补件）")
    return _restart_clock(act, stop)


def _listed_files(act: Act, listed: list[dict], mismatch: str) -> dict[int, StoredFile]:
    """The files brought for a 补件, by the material's place in its list: checked and stored by the
    caller (files.inspect, files.store); anything else, such as a path sent through the API, is refused."""
    raw = act.params.get("files") or {}
    if not raw:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, StoredFile) for v in raw.values()):
        message = "电子材料须先经内容校验。"
        raise InvalidInput(message, {"files": [message]})
    indices = _material_ids(list(raw))
    if indices is None or any(not 0 <= i < len(listed) for i in indices):
        raise InvalidInput(mismatch, {"files": [mismatch]})
    return {int(k): v for k, v in raw.items()}


def _listed_files_join(act: Act, listed: list[dict], files: dict[int, StoredFile], note: str) -> None:
    """The files of a 补件 join the case's materials; the event keeps their digests for the audit trail."""
    if not files:
        return
    own = {m.pk: m for m in act.case.materials.all()}
    for index, given in sorted(files.items()):
        _receive_file(act, listed[index], given, own, note)
    act.event_data["files"] = [{"name": listed[i]["name"], "file": files[i].name, "digest": files[i].digest,
                                "size": files[i].size} for i in sorted(files)]


_FILE_FIELDS = ("received", "received_at", "file", "file_name", "content_hash", "content_type", "size", "pages",
                "note", "copies")


def _file_joins(act: Act, material: CaseMaterial, given: StoredFile, note: str) -> tuple[str, ...]:
    """The one place where a checked, stored file becomes a case material's file: received now, with its
    name, type, size, pages and SM3 digest (a 容缺 material keeps its `deferred` mark: brought later).
    Returns the fields set; the caller writes the row (act.update, or act.insert for a new one)."""
    material.received, material.received_at = True, act.now
    material.file.name, material.content_hash = given.path, given.digest
    material.content_type, material.size = given.content_type, int(given.size)
    material.file_name, material.pages = given.name[:200], given.pages
    material.note = f"{note}：{given.name}"[:300]
    material.copies = material.copies or 1
    return _FILE_FIELDS


def _receive_file(act: Act, entry: dict, given: StoredFile, own: dict, note: str = "网上补件") -> None:
    """A file brought for a 补件 joins the case's materials; a material received before keeps its earlier file."""
    material = own.get(entry.get("material"))
    if material is not None and not material.received:
        act.update(material, *_file_joins(act, material, given, note))
        return
    row = CaseMaterial(case=act.case, spec_id=material.spec_id if material else None,
                       name=f"{entry['name']}（补交）"[:200], required=False)
    _file_joins(act, row, given, note)
    act.insert(row)


def supply(act: Act) -> str:
    """The applicant answers a 补件 online: every listed material as a checked file, and the clock restarts.

    The caller (shenpi.online) has checked each file by its content and stored it; the digests go into
    the event, so the audit trail says which files came back.
    """
    stop = open_stop(act.case)
    if stop is None or not stop.is_supplement:
        raise TransitionRefused("本件当前没有待补交的材料。")
    listed = stop.materials or []
    if not listed:
        raise TransitionRefused("该补件告知未列明材料清单，请按告知要求到窗口补交。")
    files = _listed_files(act, listed, "所交文件与补件告知所列材料不符。")
    missing = [entry["name"] for i, entry in enumerate(listed) if i not in files]
    if missing:
        message = f"请上传补件告知所列的全部材料：{'、'.join(missing)}。"
        raise InvalidInput(message, {"files": [message]})
    _listed_files_join(act, listed, files, "网上补件")
    act.comment = str(act.params.get("comment") or "").strip()[:2000]
    return _restart_clock(act, stop)


def extend(act: Act) -> str:
    """延期 (art. 42): approved by the head of the organ, bounded per item, told to the applicant."""
    case = act.case
    reason = _need_reason(act, message="延期必须写明理由（将告知申请人）。")
    limit = case.version.extension_limit
    room = limit - case.extension_days
    if room <= 0:
        raise TransitionRefused(f"已达到本事项可延长的上限（{limit}个工作日）。")
    days = _positive_int(act, "days", f"延长天数应为1至{room}个工作日。")
    if days > room:
        # Well-formed, but more than the law leaves: refused like any action the case does not allow.
        raise TransitionRefused(
            f"延长{days}个工作日超出本事项可延长的上限：本事项最多可延长{limit}个工作日，"
            f"已延长{case.extension_days}个工作日，还可延长{room}个工作日。",
            {"days": [f"最多还可延长{room}个工作日。"]})
    case.extension_days += days
    derive_dues(case, act.calendar)
    _follow_case_dues(act)
    act.insert(Extension(case=case, days=days, reason=reason, approved_by=act.actor, at=act.now))
    act.event_data.update(days=days, statutory_due=case.statutory_due.isoformat())
    act.notify(Notice.Kind.EXTENSION, days=days, reason=reason)
    return case.state


def _decide(act: Act, decision: str, reason: str) -> None:
    case = act.case
    case.decision, case.decision_reason, case.decided_at = decision, reason, act.now
    case.delivery_due = act.calendar.add(act.today, DELIVERY_DAYS)


def grant(act: Act) -> str:
    opinion = str(act.params.get("opinion") or "").strip() or "准予许可"
    act.comment = opinion
    _decide(act, Decision.GRANT, opinion)
    act.notify(Notice.Kind.GRANT, opinion=opinion)
    return State.DECIDED


def deny(act: Act) -> str:
    reason = _need_reason(act, message="不予许可必须写明理由。")
    _decide(act, Decision.DENY, reason)
    act.notify(Notice.Kind.DENIAL, reason=reason)
    return State.DECIDED


def complete(act: Act) -> str:
    """办结: the result (证照/批文 or the decision) is delivered to the applicant."""
    case = act.case
    case.completed_at = case.closed_at = act.now
    case.used_days = clock_used_days(case, act.calendar, act.today)
    act.comment = str(act.params.get("delivery") or "").strip() or "窗口领取"
    return State.COMPLETED


def _close(act: Act, reason: str) -> None:
    case = act.case
    if case.clock_stopped_on is not None:
        # The stop ends with the case: its days stay excluded, so the clock stays where it stopped.
        stopped = max(0, act.calendar.between(case.clock_stopped_on, act.today))
        for stop in case.clock_stops.filter(ended_at__isnull=True):
            stop.ended_at, stop.stopped_days = act.now, stopped
            act.update(stop, "ended_at", "stopped_days")
        case.stopped_days += stopped
        case.clock_stopped_on = None
        derive_dues(case, act.calendar)
    _cancel_active_steps(act)
    # Voiding a case that had already ended keeps the moment it ended: its clock stopped then.
    case.closing_reason, case.closed_at = reason, case.closed_at or act.now


WITHDRAWAL_REQUEST = "撤回申请书"


def withdraw(act: Act) -> str:
    """申请人撤回 recorded by the window: only on the applicant's signed request (撤回申请书), whose scan,
    checked by content and stored, joins the case's materials; the event keeps its digest."""
    reason = _need_reason(act, message="撤回须记录申请人的撤回理由。")
    scan = act.params.get("request_file")
    if not isinstance(scan, StoredFile):
        message = f"撤回须由申请人提出：请上传申请人签字（盖章）的{WITHDRAWAL_REQUEST}扫描件。"
        raise InvalidInput(message, {"request_file": [message]})
    row = CaseMaterial(case=act.case, name=WITHDRAWAL_REQUEST, required=False)
    _file_joins(act, row, scan, f"窗口扫描{WITHDRAWAL_REQUEST}")
    act.insert(row)
    act.event_data["request"] = {"name": WITHDRAWAL_REQUEST, "file": scan.name, "digest": scan.digest,
                                 "size": scan.size}
    _close(act, reason)
    return State.WITHDRAWN


def _not_filed_online(case: Case) -> str | None:
    if case.channel != Channel.ONLINE:
        return "窗口申报的办件请持签字的撤回申请书到窗口办理撤回。"
    return None


def withdraw_online(act: Act) -> str:
    """The applicant withdraws their own online case from 我的办件: their signed-in action is the request."""
    reason = _need_reason(act, message="请填写撤回理由。")
    act.event_data["by_applicant"] = True
    _close(act, reason)
    return State.WITHDRAWN


def void(act: Act) -> str:
    _close(act, _need_reason(act, message="作废必须写明理由。"))
    return State.VOIDED


class NothingToDo(Exception):  # noqa: N818 - a signal, not an error
    """A system action found the case as it should be: no event, nothing written."""


def recompute_dues(act: Act) -> str:
    """Due dates that rested on an estimated year, derived again once its official notice is in."""
    case = act.case
    before = (case.promised_due, case.statutory_due)
    derive_dues(case, act.calendar)
    if (case.promised_due, case.statutory_due) == before and case.due_provisional:
        raise NothingToDo
    _follow_case_dues(act)
    act.comment = "国务院节假日安排通知已导入，重新计算办理期限。"
    act.event_data.update(before=[d.isoformat() if d else None for d in before],
                          after=[case.promised_due.isoformat(), case.statutory_due.isoformat()])
    return case.state


def seal(act: Act) -> str:
    """Seal a case whose latest event predates sealed events (shenpi audit seal): an event that changes
    nothing but carries the row's seal, so that later edits of the row show (docs/audit.md)."""
    case = act.case
    latest = case.events.filter(hash=case.trail_head).values_list("seal", flat=True).first()
    if latest:  # sealed meanwhile
        raise NothingToDo
    act.comment = "审计链升级：封存办件现有信息。"
    return case.state


# -- the table ----------------------------------------------------------------------------------

_S = State
_STAFF_ON_STEP = frozenset({Role.HANDLER, Role.REVIEWER, Role.APPROVER})


def _t(action, label, sources, roles, effect, **kw) -> Transition:
    return Transition(action, label, frozenset(sources), frozenset(roles), effect, **kw)


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("accept", "受理", {_S.RECEIVED}, {Role.CLERK}, accept),
    _t("request_correction", "一次性告知补正", {_S.RECEIVED}, {Role.CLERK}, request_correction),
    _t("supplement", "补正材料收齐", {_S.CORRECTING}, {Role.CLERK}, supplement),
    _t("refuse", "不予受理", {_S.RECEIVED, _S.CORRECTING}, {Role.CLERK}, refuse),
    _t("handle_on_the_spot", "即办办结", {_S.RECEIVED}, {Role.CLERK}, handle_on_the_spot,
       ruled_out=_not_on_the_spot),
    _t("pass", "通过", {_S.IN_PROGRESS}, _STAFF_ON_STEP, pass_step, on_step=True),
    _t("return", "退回", {_S.IN_PROGRESS}, _STAFF_ON_STEP, return_step, on_step=True),
    _t("transfer", "转办", {_S.IN_PROGRESS}, _STAFF_ON_STEP, transfer, on_step=True, by_lead=True,
       offered=_has_colleague, internal=True),
    _t("request_supplement", "补件(暂停计时)", {_S.IN_PROGRESS}, _STAFF_ON_STEP, request_supplement,
       on_step=True),
    _t("suspend", "特别程序(暂停计时)", {_S.IN_PROGRESS, _S.DECIDING}, _STAFF_ON_STEP, suspend, on_step=True),
    _t("resume", "恢复计时", {_S.SUSPENDED}, _STAFF_ON_STEP | {Role.CLERK}, resume,
       part_department=_stopping_department),
    _t("extend", "延期", {_S.IN_PROGRESS, _S.DECIDING, _S.SUSPENDED}, {Role.APPROVER}, extend),
    _t("grant", "准予许可", {_S.DECIDING}, {Role.APPROVER}, grant),
    _t("deny", "不予许可", {_S.DECIDING}, {Role.APPROVER}, deny),
    _t("complete", "送达办结", {_S.DECIDED}, {Role.CLERK, Role.APPROVER}, complete),
    _t("receive_deferred", "容缺材料补交", {_S.IN_PROGRESS, _S.SUSPENDED, _S.DECIDING, _S.DECIDED, _S.COMPLETED},
       {Role.CLERK}, receive_deferred, ruled_out=_nothing_deferred),
    _t("withdraw", "申请人撤回",
       {_S.RECEIVED, _S.CORRECTING, _S.IN_PROGRESS, _S.SUSPENDED, _S.DECIDING}, {Role.CLERK}, withdraw),
    _t("void", "作废", set(State) - {_S.VOIDED}, {Role.ADMIN}, void, centre_wide=True),
)}


# What the platform itself does to a case, nobody's button: through the same door, with the same
# event and hooks, but authorised by no role.
SYSTEM_TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("recompute_dues", "重新计算办理期限", {_S.IN_PROGRESS, _S.SUSPENDED, _S.DECIDING, _S.DECIDED}, set(),
       recompute_dues),
    _t("seal", "封存办件信息", set(State), set(), seal, internal=True),
)}


# What the applicant does to their own case online: through the same door, authorised by the case
# being theirs (services.perform_as_applicant), never by a role; no staff page offers these.
APPLICANT_TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("supply", "申请人网上补件", {_S.SUSPENDED}, set(), supply),
    _t("withdraw_online", "申请人网上撤回", {_S.IN_PROGRESS, _S.SUSPENDED, _S.DECIDING}, set(), withdraw_online,
       ruled_out=_not_filed_online),
    _t("supply_deferred", "申请人网上补交容缺材料",
       {_S.IN_PROGRESS, _S.SUSPENDED, _S.DECIDING, _S.DECIDED, _S.COMPLETED}, set(), supply_deferred,
       ruled_out=_nothing_deferred),
)}


def transition_of(action: str) -> Transition | None:
    """The transition of any table (people's, the applicant's, the platform's): for naming events."""
    return TRANSITIONS.get(action) or APPLICANT_TRANSITIONS.get(action) or SYSTEM_TRANSITIONS.get(action)


def shown_to_public(action: str) -> bool:
    """Whether the public's history (progress query, the applicant's own pages) lists the event."""
    transition = transition_of(action)
    return transition is None or not transition.internal


def available(case: Case) -> list[Transition]:
    """The actions the table allows for a case now (who may perform them is checked separately)."""
    return [t for t in TRANSITIONS.values() if t.refusal(case) is None]
