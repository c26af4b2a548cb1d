"""Rules over projects and stages (并联审批): a stage's promised total watched as a case's limit is, a joint
review's late opinions, and stricter thresholds for the green channel's cases.

- time.stage: an open stage whose clock runs, near or past its promised due. The alert names the
  department holding the stage back — the open part overdue on its own due date (the most overdue),
  else the open part due last — and that part's case, so a supervisor clicks through to it.
- joint.review_late: a department invited to an open joint review has not posted its opinion by the
  review's due date.
- time.case, green channel: the cases of a green project are watched with their own, stricter
  thresholds (warn earlier, red sooner). The ordinary cases keep time.case's indexed path; the green
  ones are a second, small query over the green projects' codes.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict

from django.db.models import F, Q

from shenpi.cases.deadlines import LONGEST_ALLOTMENT, Horizon
from shenpi.cases.models import CLOCK_RUNNING_STATES, Case
from shenpi.joint.clock import OPEN_PART_STATES
from shenpi.joint.models import JointReview, Project, ReviewInvitation, Stage, StagePart

from .models import Category, Level
from .registry import REGISTRY, Finding, Look, rule
from .rules import TIME_PARAMS, _time_level, _unanswered_yellows

GREEN_PARAMS = {"green_warn_days_left": 2, "green_warn_share_left": 0.4, "green_red_overdue_days": 1}


def green_params(params: dict) -> dict:
    """The thresholds of the green channel in the keys _time_level reads."""
    return {**params, "warn_days_left": params["green_warn_days_left"],
            "warn_share_left": params["green_warn_share_left"], "red_overdue_days": params["green_red_overdue_days"]}


def _green_look(look: Look) -> Look:
    return Look(now=look.now, calendar=look.calendar, params=green_params(look.params), changed=look.changed,
                since=look.since)


def _furthest(look: Look) -> dt.date:
    """The last due date any allotment can warn on under the look's horizon."""
    horizon = Horizon.of(look.params)
    return look.calendar.add(look.today, max(0, horizon.days(LONGEST_ALLOTMENT)))


# -- time.case, green channel ----------------------------------------------------------------------

_ordinary_case_time = REGISTRY["time.case"]


def _green_case_findings(look: Look) -> list[Finding]:
    """Running cases of green projects, at the level the stricter thresholds give (never lower than the
    ordinary one: they are stricter in every key)."""
    green = _green_look(look)
    codes = Project.objects.filter(green_channel=True).values("code")
    rows = green.in_scope(Case.objects.filter(
        state__in=CLOCK_RUNNING_STATES, promised_due__isnull=False, promised_due__lte=_furthest(green),
        project_code__in=codes)).annotate(allotment=F("promised_limit") + F("extension_days")).order_by(
    ).values_list("pk", "promised_due", "allotment", "department_id")
    unanswered = _unanswered_yellows(green, "time.case")
    level_of = functools.cache(functools.partial(_time_level, green))
    findings = []
    for pk, due, allotment, department_id in rows:
        level, figures = level_of(due, allotment)
        if level is None:
            continue
        subject = f"case:{pk}"
        figures = {**figures, "green": True}
        if level == Level.YELLOW and subject in unanswered:
            level, figures = Level.RED, {**figures, "unanswered": True}
        findings.append(Finding(subject, level, department_id, pk, None, None, figures, handler_of_case=True))
    return findings


@rule("time.case", _ordinary_case_time.name, _ordinary_case_time.category, _ordinary_case_time.level,
      params={**_ordinary_case_time.params, **GREEN_PARAMS}, basis=_ordinary_case_time.basis)
def case_time(look: Look) -> list[Finding]:
    """承诺办结期限：剩余不超过1个工作日或时限的20%（取先到者，但不早于时限过半）预警；超过期限黄牌；
    超期3个工作日以上，或黄牌2个工作日内未反馈整改情况，红牌。暂停计时期间不计。
    绿色通道项目的办件从严：剩余不超过2个工作日或时限的40%预警，超期1个工作日以上红牌。"""
    # The scan keeps the highest level found per subject: a green case's stricter finding wins.
    return [*_ordinary_case_time.find(look), *_green_case_findings(look)]


# -- time.stage ------------------------------------------------------------------------------------

def _holding_back(stage_ids: list[int], today: dt.date) -> dict[int, tuple[int, int]]:
    """Per stage, the (department, case) of the part holding it back: the open part most overdue on its
    own promised due, else the open part due last (the earliest accepted among equals)."""
    parts: dict[int, list[tuple]] = defaultdict(list)
    for stage_id, department_id, case_id, due, accepted in StagePart.objects.filter(
            stage_id__in=stage_ids, case__state__in=OPEN_PART_STATES).order_by().values_list(
            "stage_id", "department_id", "case_id", "case__promised_due", "case__accepted_at"):
        parts[stage_id].append((department_id, case_id, due, accepted))
    chosen = {}
    for stage_id, rows in parts.items():
        late = [r for r in rows if r[2] is not None and r[2] < today]
        if late:
            pick = min(late, key=lambda r: (r[2], r[1]))
        else:
            pick = max(rows, key=lambda r: (r[2] or dt.date.min, -(r[3].timestamp() if r[3] else 0), -r[1]))
        chosen[stage_id] = (pick[0], pick[1])
    return chosen


def _first_parts(stage_ids) -> dict[int, tuple[int, int]]:
    first: dict[int, tuple[int, int]] = {}
    for stage_id, department_id, case_id in StagePart.objects.filter(stage_id__in=stage_ids).order_by(
            "pk").values_list("stage_id", "department_id", "case_id"):
        first.setdefault(stage_id, (department_id, case_id))
    return first


@rule("time.stage", "阶段超时", Category.TIME, Level.RED, params={**TIME_PARAMS, **GREEN_PARAMS},
      basis="行政许可法第四十二条第二款；阶段承诺审批时限", always_full=True)
def stage_time(look: Look) -> list[Finding]:
    """阶段承诺办结期限（计时中的阶段）：与办件超时相同的预警、黄牌、红牌阈值；绿色通道阶段按从严阈值。
    告警的责任部门为拖延阶段的部门：超过本部门办件期限的办件所在部门，否则为期限最晚的在办办件所在部门。"""
    stages = Stage.objects.filter(state=Stage.State.OPEN, clock_stopped_on__isnull=True)
    ordinary, green = look, _green_look(look)
    rows = list(stages.filter(
        Q(green=False, promised_due__lte=_furthest(ordinary)) | Q(green=True, promised_due__lte=_furthest(green))
    ).order_by().values_list("pk", "number", "promised_due", "promised_total", "extension_days", "green",
                             "lead_department_id"))
    if not rows:
        return []
    levels = {False: functools.cache(functools.partial(_time_level, ordinary)),
              True: functools.cache(functools.partial(_time_level, green))}
    found = []
    for pk, number, due, total, extension, is_green, lead in rows:
        level, figures = levels[is_green](due, total + extension)
        if level is not None:
            found.append((pk, number, level, {**figures, "stage": number, **({"green": True} if is_green else {})},
                          lead))
    holders = _holding_back([row[0] for row in found], look.today)
    unanswered = _unanswered_yellows(look, "time.stage")
    findings = []
    for pk, _number, level, figures, lead in found:
        department_id, case_id = holders.get(pk, (lead, None))
        subject = f"stage:{pk}"
        if level == Level.YELLOW and subject in unanswered:
            level, figures = Level.RED, {**figures, "unanswered": True}
        findings.append(Finding(subject, level, department_id, case_id, None, None, figures,
                                handler_of_case=case_id is not None))
    return findings


# -- joint.review_late -----------------------------------------------------------------------------

@rule("joint.review_late", "联审意见逾期", Category.TIME, Level.YELLOW, basis="网上联审意见期限",
      always_full=True)
def review_late(look: Look) -> list[Finding]:
    """受邀部门超过联审意见期限仍未提交意见：向该部门发出黄牌，意见提交或联审结束后自动解除。"""
    rows = list(ReviewInvitation.objects.filter(
        posted_at__isnull=True, review__state=JointReview.State.OPEN, review__due_on__lt=look.today,
    ).order_by().values_list("pk", "department_id", "review__number", "review__due_on", "review__case_id",
                             "review__stage_id"))
    first = _first_parts({row[5] for row in rows if row[4] is None and row[5] is not None})
    findings = []
    for pk, department_id, number, due, case_id, stage_id in rows:
        if case_id is None and stage_id in first:
            case_id = first[stage_id][1]
        findings.append(Finding(f"review:{pk}", Level.YELLOW, department_id, case_id, None, None,
                                {"review_due": due.isoformat(), "review": number,
                                 "overdue_days": look.calendar.between(due, look.today)}))
    return findings
