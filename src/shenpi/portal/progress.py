"""进度查询: the public progress query by case number and query code, without signing in.

Nobody may learn from it whether a number exists: a wrong number and a wrong code get the same
answer, the code is compared in constant time (after an SM4 decryption in both cases), and failed
tries are counted per client address in the shared cache (shenpi.limits) — after SHENPI_QUERY_ATTEMPTS failures in
SHENPI_QUERY_WINDOW_MINUTES the address must wait. What it shows is what the applicant is entitled
to know: stage, current step and department, due dates, and the history as action names and dates.
Staff opinions, comments and names are never read, and hand-overs between staff (转办) are left out
of the history: the public sees the step, not who handed it to whom.

A right answer costs three statements (the code by number, the case with its active steps, the
history), compiled once per process (see shenpi.prepared); a suspended case adds its open clock stop.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import re
from collections import namedtuple
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import BigIntegerField, CharField, FilteredRelation, Q
from django.utils import timezone

from shenpi import crypto, limits
from shenpi.accounts import identifiers
from shenpi.cases import lifecycle
from shenpi.cases.models import Case, CaseEvent, CaseStep, ClockStop, Decision, State, source_label
from shenpi.catalog.models import ProcedureKind
from shenpi.prepared import Param, Prepared

WRONG = "办件编号或查询密码不正确，请核对受理通知书上的编号和查询密码。"
_NUMBER = re.compile(r"^[0-9A-Z-]{6,24}$")

# The stages of a case as the public sees them, and where each state stands among them.
STAGES = ("申请收件", "受理", "审查办理", "作出决定", "送达办结")
_STAGE_OF = {
    State.RECEIVED: 0, State.CORRECTING: 0, State.IN_PROGRESS: 2, State.SUSPENDED: 2, State.DECIDING: 3,
    State.DECIDED: 4, State.COMPLETED: 5,
}
# Events that are not actions of the transition table.
_OTHER_LABELS = {"receive": "收件", "recompute_dues": "重新计算办理期限"}


# -- the rate limit --------------------------------------------------------------------------------

def _key(ip: str | None) -> str:
    return limits.key("query-failures", ip)


def window_seconds() -> int:
    return max(1, settings.QUERY_WINDOW_MINUTES) * 60


def is_limited(ip: str | None) -> bool:
    return limits.reached(_key(ip), settings.QUERY_ATTEMPTS)


def count_failure(ip: str | None) -> None:
    """One more failed try; the window starts at the first failure and is not extended by later ones."""
    limits.hit(_key(ip), window_seconds())


# -- finding the case ------------------------------------------------------------------------------

def normalise_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


@functools.cache
def _decoy(key_fingerprint: str) -> str:
    """An encrypted code that matches nothing: decrypted when the number is unknown, so both take as long."""
    return crypto.encrypt("decoy")


# Each query's one value: the case number, or the case's primary key.
_BY_NUMBER, _BY_PK = Param("number", CharField()), Param("pk", BigIntegerField())

# The query code comes back decrypted by its field's converter, as the ORM would return it.
_CODE_OF = Prepared(Case.objects.filter(number=_BY_NUMBER).order_by().values_list("pk", "query_code"))


def find(number: str, code: str) -> Case | None:
    """The case if both the number and its query code are right; None otherwise, whichever was wrong.

    The case comes with its id and query code loaded, like `.only("pk", "query_code")`.
    """
    number = normalise_number(number)
    code = (code or "").strip()
    row = _CODE_OF.first(number=number) if _NUMBER.match(number) else None
    stored = (row[1] or "") if row is not None else crypto.decrypt(_decoy(crypto.blind_index("decoy")))
    same = hmac.compare_digest(stored.encode(), code.encode())
    if not (same and row is not None and code):
        return None
    return Case.from_db(Case.objects.db, ["id", "query_code"], row)


# -- what the applicant sees -----------------------------------------------------------------------

@dataclass
class HistoryEntry:
    at: dt.datetime  # local time
    label: str
    detail: str
    department: str

    @property
    def when(self) -> str:
        # As the template's date:"Y-m-d H:i", without its per-call format parsing: a history has many rows.
        return self.at.strftime("%Y-%m-%d %H:%M")


@dataclass
class Due:
    label: str
    date: dt.date
    provisional: bool = False


@dataclass
class Progress:
    number: str
    item: str  # the item's name in the version the case was accepted under
    department: str
    received_at: dt.datetime
    completed_at: dt.datetime | None
    applicant: str
    state_label: str
    stage: int | None  # index in STAGES of the stage under way; len(STAGES) when done; None when ended early
    ended: str = ""  # why the case ended without a result: refused, withdrawn, voided
    current_steps: list[str] = field(default_factory=list)
    dues: list[Due] = field(default_factory=list)
    suspension: str = ""
    missing: list[dict] = field(default_factory=list)
    supplement: list[dict] = field(default_factory=list)  # what a 补件 under way asks for
    decision: str = ""
    reason: str = ""  # the reason of a refusal or a denial, as written in the notice to the applicant
    history: list[HistoryEntry] = field(default_factory=list)
    source: str = ""  # 一厅双网: "来源：<系统名>（部门自建系统）" for a case handled in a department's own system

    @property
    def rateable(self) -> bool:
        """Completed: the applicant may rate it (好差评, 一事一评) with the same number and code."""
        return self.stage == len(STAGES)

    @property
    def stages(self) -> list[tuple[str, str]]:
        """(name, "done" | "current" | "todo") for the stage bar."""
        if self.stage is None:
            return []
        return [(name, "done" if i < self.stage else "current" if i == self.stage else "todo")
                for i, name in enumerate(STAGES)]


# What the page reads, and nothing else: no opinion, comment, actor, address or encrypted column.
# The case comes with its active steps (LEFT JOIN: one row per active step, or one without).
_CASE_COLUMNS = (
    "number", "state", "applicant_kind", "applicant_name", "received_at", "completed_at", "correction_due",
    "delivery_due", "promised_due", "statutory_due", "due_provisional", "decision", "decision_reason",
    "closing_reason", "source_system", "source_name", "version__name", "version__result_name", "department__name",
    "department__short_name",
    "active__name", "active__department__name", "active__department__short_name")
_CaseRow = namedtuple("_CaseRow", [column.replace("__", "_") for column in _CASE_COLUMNS])
_CASE = Prepared(
    Case.objects.filter(pk=_BY_PK)
    .annotate(active=FilteredRelation("steps", condition=Q(steps__status=CaseStep.Status.ACTIVE)))
    .order_by("active__seq", "active__pk").values_list(*_CASE_COLUMNS))

_EVENT_COLUMNS = ("pk", "action", "at", "data", "step_id", "step__name", "step__department__name",
                  "step__department__short_name")
_EventRow = namedtuple("_EventRow", [column.replace("__", "_") for column in _EVENT_COLUMNS])
_EVENTS = Prepared(CaseEvent.objects.filter(case_id=_BY_PK).order_by("at", "pk").values_list(*_EVENT_COLUMNS))

_OPEN_STOP = Prepared(ClockStop.objects.filter(case_id=_BY_PK, ended_at__isnull=True).order_by("-pk")
                      .values_list("kind_name", "expected_days", "limit_due", "kind_id", "materials")[:1])


def _department_name(short_name: str | None, name: str | None) -> str:
    return short_name or name or ""


def _step(row: _CaseRow) -> str:
    return f"{row.active_name}（{_department_name(row.active_department_short_name, row.active_department_name)}）"


def _dues(case: _CaseRow) -> list[Due]:
    if case.state == State.RECEIVED:
        return [Due("补正告知期限（此前告知是否需要补正材料）", case.correction_due)]
    if case.state == State.DECIDED and case.delivery_due:
        return [Due("送达期限", case.delivery_due)]
    if case.state not in (State.IN_PROGRESS, State.SUSPENDED, State.DECIDING) or not case.promised_due:
        return []
    dues = [Due("承诺办结期限", case.promised_due, case.due_provisional)]
    if case.statutory_due and case.statutory_due != case.promised_due:
        dues.append(Due("法定办结期限", case.statutory_due, case.due_provisional))
    return dues


def _suspension(case: _CaseRow, pk: int) -> tuple[str, list[dict]]:
    """The stop under way in words, and the materials a 补件 asks for."""
    if case.state != State.SUSPENDED:
        return "", []
    stop = _OPEN_STOP.first(pk=pk)
    if stop is None:
        return "暂停计时，办理期限相应顺延。", []
    kind_name, expected_days, due, kind_id, materials = stop
    text = (f"{kind_name}期间暂停计时（预计{expected_days}个工作日，"
            f"最迟{due.year}年{due.month}月{due.day}日），所用时间不计入办理期限。")
    if kind_id is not None:
        return text, []
    listed = [{"name": str(m.get("name", "")), "problem": str(m.get("problem", ""))}
              for m in (materials or []) if isinstance(m, dict)]
    return text + ("申请人可登录“我的办件”在线补交，也可到窗口补交。" if listed else "请到窗口补交材料。"), listed


def _missing(case: _CaseRow, events: list[_EventRow]) -> list[dict]:
    """The one-time notice's list (material and problem), as the applicant received it in writing."""
    if case.state != State.CORRECTING:
        return []
    notices = [event for event in events if event.action == "request_correction"]
    event = max(notices, key=lambda notice: notice.pk, default=None)
    listed = (event.data or {}).get("missing", []) if event and isinstance(event.data, dict) else []
    return [{"name": str(entry.get("name", "")), "problem": str(entry.get("problem", ""))}
            for entry in listed if isinstance(entry, dict)]


_CHANNELS = dict(Case._meta.get_field("channel").choices)


def _event_label(event: _EventRow, kinds: dict[str, str]) -> tuple[str, str]:
    """(label, detail) built from the action and its structured data only, never from the comment."""
    transition = lifecycle.transition_of(event.action)
    label = transition.label if transition else _OTHER_LABELS.get(event.action, "办理")
    data = event.data if isinstance(event.data, dict) else {}
    step = (event.step_name or "") if event.step_id else ""
    detail = ""
    if event.action == "receive":
        detail = _CHANNELS.get(data.get("channel"), "")
    elif event.action == "request_correction":
        detail = f"需补正{len(data.get('missing') or [])}项材料"
    elif event.action in ("pass", "return"):
        detail = f"{step}环节" if step else ""
    elif event.action == "suspend":
        detail = f"{kinds.get(data.get('kind'), '特别程序')}，预计{data.get('expected_days', '')}个工作日"
    elif event.action == "request_supplement":
        detail = f"补交期限{data.get('expected_days', '')}个工作日"
    elif event.action == "resume":
        detail = f"暂停{data.get('stopped_days', 0)}个工作日，期限顺延"
    elif event.action == "extend":
        detail = f"延长{data.get('days', '')}个工作日"
    return label, detail


def _history(case: _CaseRow, events: list[_EventRow]) -> list[HistoryEntry]:
    # Procedure kinds are named only when the history has a suspension: most have none.
    kinds = (dict(ProcedureKind.objects.values_list("code", "name"))
             if any(event.action == "suspend" for event in events) else {})
    own = _department_name(case.department_short_name, case.department_name)
    entries = []
    for event in events:
        label, detail = _event_label(event, kinds)
        department = (_department_name(event.step_department_short_name, event.step_department_name)
                      if event.step_id else own)
        entries.append(HistoryEntry(timezone.localtime(event.at), label, detail, department))
    return entries


def _decision(case: _CaseRow) -> tuple[str, str]:
    if case.state == State.REFUSED:
        return "不予受理", case.closing_reason
    if case.decision == Decision.DENY:
        return Decision.DENY.label, case.decision_reason
    if case.decision == Decision.GRANT:
        result = case.version_result_name
        return Decision.GRANT.label + (f"（{result}）" if result else ""), ""
    return "", ""


_ENDED = {State.REFUSED: "本件不予受理，办理结束。", State.WITHDRAWN: "申请人已撤回申请，办理结束。",
          State.VOIDED: "本件已作废，办理结束。"}


def progress(found: Case) -> Progress:
    """Everything the query page shows about a case found with its number and code."""
    rows = [_CaseRow(*row) for row in _CASE.rows(pk=found.pk)]
    case = rows[0]
    events = [event for event in (_EventRow(*row) for row in _EVENTS.rows(pk=found.pk))
              if lifecycle.shown_to_public(event.action)]
    decision, reason = _decision(case)
    suspension, supplement = _suspension(case, found.pk)
    applicant = case.applicant_name if case.applicant_kind == "organisation" \
        else identifiers.mask_name(case.applicant_name)
    return Progress(
        number=case.number, item=case.version_name, department=case.department_name,
        received_at=case.received_at, completed_at=case.completed_at,
        applicant=applicant, state_label=State(case.state).label, stage=_STAGE_OF.get(case.state),
        ended=_ENDED.get(case.state, ""),
        current_steps=[_step(row) for row in rows if row.active_name is not None],
        dues=_dues(case), suspension=suspension, supplement=supplement, missing=_missing(case, events),
        decision=decision,
        reason=reason, history=_history(case, events),
        source=source_label(case.source_name) if case.source_system else "")
