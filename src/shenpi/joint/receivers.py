"""What projects and stages hear of case actions (shenpi.cases.hooks), without touching `cases/`:

- 收件 of a case carrying a project code: the code must be registered; a green-channel project's
  case gets its promised limit shortened; earlier results that a feed names are received as
  materials (审批结果共享);
- 受理 of a green-channel project's case: the leader in charge (the department's 审批人) hears by SMS;
- every action that can stop, restart, decide or close a part: the stage follows (clock.follow_parts),
  under the stage's row lock, so two departments concluding at the same moment leave it consistent.
"""

from __future__ import annotations

from shenpi.accounts.models import Role, User
from shenpi.cases import hooks
from shenpi.cases.lifecycle import Act
from shenpi.catalog.services import materials_of
from shenpi.errors import InvalidInput
from shenpi.notifications.services import notify

from . import services
from .clock import PartNow, follow_parts, green_limit
from .models import Stage, StagePart

# The actions after which a part's stage may have to stop, restart, conclude or end.
PART_ACTIONS = ("suspend", "request_supplement", "resume", "supply", "grant", "deny", "complete", "withdraw",
                "withdraw_online", "void", "handle_on_the_spot")


@hooks.before("receive", order=50, name="joint.project_case")
def project_case(act: Act) -> None:
    case = act.case
    if not case.project_code:
        return
    project = services.project_of(case.project_code)
    if project is None:
        message = f"项目代码“{case.project_code}”尚未在本平台登记，请先登记项目。"
        raise InvalidInput(message, {"project_code": [message]})
    if project.green_channel:
        case.promised_limit = green_limit(case.promised_limit, case.version.shortest_limit,
                                          services.joint_settings().green_factor)
    _receive_earlier_results(act)


def _receive_earlier_results(act: Act) -> None:
    case = act.case
    materials = act.params.get("materials")
    if materials is None:
        return
    specs = {spec.name: spec for spec in materials_of(case.version)
             if not materials.get(spec.pk, {}).get("file")}
    found = services.earlier_results(case.project_code, case.applicant_id_index, set(specs))
    for name, source in found.items():
        materials[specs[name].pk] = {"source_case": source, "source_document": services.result_document(source)}


@hooks.after("accept", order=150, name="joint.green_channel_leaders")
def tell_leaders(act: Act) -> None:
    case = act.case
    if not case.project_code:
        return
    project = services.project_of(case.project_code)
    if project is None or not project.green_channel:
        return
    due = case.promised_due
    leaders = User.objects.filter(department_id=case.department_id, roles__code=Role.APPROVER, is_active=True)
    for leader in leaders.exclude(mobile="").distinct():
        notify("green_channel_accepted", user=leader, mobile=leader.mobile, case=case, topic=f"case:{case.pk}",
               need_ids=False, context={"project": project.name, "recipient": str(leader),
                                        "due": f"{due.year}年{due.month}月{due.day}日" if due else ""})


@hooks.after(*PART_ACTIONS, order=200, name="joint.stage_follows_parts")
def stage_follows_parts(act: Act) -> None:
    part = StagePart.objects.filter(case_id=act.case.pk).values_list("stage_id", flat=True).first()
    if part is None:
        return
    # The stage row's lock orders the parts' actions: the second department's conclusion reads the
    # first's once it has committed.
    stage = Stage.objects.select_for_update().get(pk=part)
    if stage.state != Stage.State.OPEN:
        return
    rows = (StagePart.objects.filter(stage=stage).select_related("item", "department")
            .values_list("pk", "case_id", "case__state", "required", "case__decision", "department__name",
                         "case__version__name", "case__decision_reason", "case__closing_reason"))
    parts = []
    for pk, case_id, state, required, decision, department, item, decision_reason, closing_reason in rows:
        if case_id == act.case.pk:  # this action's row is written, but read it from the action itself
            state, decision = act.case.state, act.case.decision
            decision_reason, closing_reason = act.case.decision_reason, act.case.closing_reason
        parts.append(PartNow(pk, case_id, state, required, decision or "", department, item,
                             decision_reason or closing_reason or ""))
    changed = follow_parts(stage, parts, act.calendar, act.now)
    if changed:
        stage.row_version += 1
        act.update(stage, *changed, "row_version")

