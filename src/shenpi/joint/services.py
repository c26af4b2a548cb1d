"""What people do with projects and stages: register a project (赋码 or an entered code), open a stage
from one form and one set of shared materials, extend a stage's statutory limit.

Opening a stage receives and accepts every part through the cases' one door (`cases.services`):
each case is an ordinary case of its item and department, with its own rules and clock. Everything
a stage's parts do afterwards reaches the stage through the case-action hooks (`receivers`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import identifiers
from shenpi.accounts.models import Role, User
from shenpi.cases import services as cases
from shenpi.cases.files import StoredFile
from shenpi.cases.models import Case, Channel, Decision, Notice
from shenpi.catalog.models import Department
from shenpi.catalog.services import materials_of, published_version
from shenpi.crypto import blind_index
from shenpi.errors import Conflict, Forbidden, InvalidInput, TransitionRefused
from shenpi.workdays.services import get_calendar

from . import codes
from .clock import derive_stage_dues, green_limit
from .models import (
    JointSettings,
    Project,
    ProjectKind,
    ProjectType,
    ResultFeed,
    SharedMaterial,
    Stage,
    StageExtension,
    StageItem,
    StagePart,
    StageTemplate,
)

_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def joint_settings() -> JointSettings:
    row = JointSettings.objects.order_by("pk").first()
    return row if row is not None else JointSettings()


def project_of(code: str) -> Project | None:
    return Project.objects.filter(code=code.strip()).first() if code and code.strip() else None


# -- projects (项目) ---------------------------------------------------------------------------------

@dataclass
class ProjectInput:
    name: str
    owner_name: str
    owner_uscc: str
    location: str
    division: str
    total_investment: str | Decimal
    kind: str
    industry: str
    project_type: ProjectType | None
    lead_department: Department | None
    code: str = ""  # entered when another platform issued it; blank: issued here
    district: Department | None = None
    key_project: bool = False
    green_channel: bool = False
    answers: dict = field(default_factory=dict)


def _checked_project(data: ProjectInput, this_year: int) -> tuple[dict, Decimal]:
    errors: dict[str, list[str]] = {}
    for name, label in (("name", "项目名称"), ("owner_name", "项目单位"), ("location", "建设地点")):
        if not str(getattr(data, name) or "").strip():
            errors[name] = [f"请填写{label}。"]
    try:
        data.owner_uscc = identifiers.validate_uscc(identifiers.normalise(data.owner_uscc))
    except identifiers.IdentifierError as error:
        errors["owner_uscc"] = [str(error)]
    # isascii(): str.isdigit() and int() also take full-width digits.
    if not (len(data.division) == 6 and data.division.isascii() and data.division.isdigit()
            and int(data.division[:2]) in codes.PROVINCES):
        errors["division"] = ["行政区划代码应为6位数字（GB/T 2260），如 330100。"]
    if not (len(data.industry) == 2 and data.industry.isascii() and data.industry.isdigit()
            and int(data.industry) in codes.INDUSTRIES):
        errors["industry"] = ["行业代码应为国民经济行业分类的大类代码（01至97）。"]
    if data.kind not in ProjectKind.values:
        errors["kind"] = ["项目类型应为审批、核准或备案。"]
    try:
        investment = Decimal(str(data.total_investment).strip())
        if investment <= 0 or investment >= Decimal("1e12"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["total_investment"] = ["总投资应为大于0的金额（万元）。"]
        investment = Decimal(0)
    if data.project_type is None:
        errors["project_type"] = ["请选择审批类型。"]
    if data.lead_department is None:
        errors["lead_department"] = ["请选择牵头部门。"]
    if data.code.strip():
        message = codes.problem(data.code, this_year=this_year)
        if message:
            errors["code"] = [message]
        else:
            parsed = codes.parse(data.code, this_year=this_year)
            if not errors.get("kind") and parsed.kind != data.kind:
                errors["code"] = [f"项目代码中的类型“{parsed.kind}”与所选项目类型不一致。"]
            elif not errors.get("division") and parsed.division != data.division:
                errors["code"] = [f"项目代码中的行政区划“{parsed.division}”与所填行政区划不一致。"]
            elif not errors.get("industry") and parsed.industry != data.industry:
                errors["code"] = [f"项目代码中的行业“{parsed.industry}”与所填行业代码不一致。"]
    if errors:
        raise InvalidInput("项目信息有误，请核对。", errors)
    return errors, investment


def _next_code(year: int, data: ProjectInput) -> str:
    prefix = codes.prefix(year, data.division)
    taken = Project.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True)
    serial = max((codes.serial_of(code) for code in taken[:1]), default=0) + 1
    return f"{prefix}{data.industry}-{data.kind}-{serial:06d}"


def register_project(*, actor: User | None, data: ProjectInput) -> Project:
    """登记项目: with the code another platform issued, or a new one issued here (赋码)."""
    if actor is not None and not (actor.is_superuser or actor.has_role(Role.CLERK, Role.ADMIN)):
        raise Forbidden("项目登记须由综合窗口或中心管理员办理。")
    now = clock.now()
    this_year = timezone.localdate(now).year
    _, investment = _checked_project(data, this_year)
    entered = bool(data.code.strip())
    for _ in range(5):
        code = data.code.strip() if entered else _next_code(this_year, data)
        project = Project(
            code=code, issued_here=not entered, name=data.name.strip(), owner_name=data.owner_name.strip(),
            owner_uscc=data.owner_uscc, location=data.location.strip(), division=data.division,
            district=data.district, total_investment=investment, kind=data.kind, industry=data.industry,
            project_type=data.project_type, lead_department=data.lead_department, key_project=data.key_project,
            green_channel=data.green_channel, answers=dict(data.answers or {}), created_at=now, created_by=actor)
        try:
            with transaction.atomic():
                project.save()
            return project
        except IntegrityError:
            if entered:
                raise InvalidInput("该项目代码已登记。", {"code": ["该项目代码已登记，请在项目列表中查找。"]}) from None
    raise Conflict("项目代码生成冲突，请重试。")


# -- stages (阶段) ----------------------------------------------------------------------------------

def included_items(template: StageTemplate, answers: dict) -> list[StageItem]:
    """The stage's items for these answers: the unconditional ones and those whose question was answered yes."""
    return [si for si in template.items.select_related("item", "item__department").order_by("seq", "pk")
            if not si.condition or bool(answers.get(si.condition))]


def _checked_answers(template: StageTemplate, answers: dict | None) -> dict:
    known = {q["key"]: q.get("label", q["key"]) for q in template.questions or []}
    answers = {k: bool(v) for k, v in (answers or {}).items() if k in known}
    return {key: answers.get(key, False) for key in known}


def materials_needed(template: StageTemplate, answers: dict) -> list[tuple[str, bool]]:
    """The stage's one list of materials: every included item's, each name once (required if any item
    requires it), in the items' order."""
    needed: dict[str, bool] = {}
    for stage_item in included_items(template, answers):
        version = published_version(stage_item.item)
        if version is None:
            continue
        for spec in materials_of(version):
            needed[spec.name] = needed.get(spec.name, False) or spec.required
    return list(needed.items())


def _stage_number(now) -> str:
    day = timezone.localtime(now).strftime("%Y%m%d")
    return f"JD{day}{''.join(secrets.choice(_NUMBER_ALPHABET) for _ in range(6))}"


def _stage_total(template: StageTemplate, green: bool, items: list[StageItem]) -> int:
    if not green:
        return template.promised_total
    shortest = max((published_version(si.item).shortest_limit for si in items
                    if published_version(si.item) is not None), default=1)
    return green_limit(template.promised_total, shortest, joint_settings().green_factor)


@transaction.atomic
def open_stage(*, actor: User, template: StageTemplate, applicant: cases.ApplicantInput,
               project: Project | None = None, answers: dict | None = None, form: dict | None = None,
               shared: dict[str, StoredFile] | None = None, channel: str = Channel.WINDOW,
               ip: str | None = None, received_at=None) -> Stage:
    """一窗受理: one form and one set of shared materials open one case per included item, each received
    and accepted in its department at once; the stage's clock starts with them. Anything refused (a
    material missing, an item not published, the clerk not allowed) opens nothing. `received_at`: when the
    organ received an online application (art. 32), if earlier than now: the parts and the stage count from it."""
    if not template.active:
        raise InvalidInput("该阶段模板已停用。", {"template": ["该阶段模板已停用。"]})
    if template.kind == StageTemplate.Kind.STAGE:
        if project is None:
            raise InvalidInput("项目审批阶段须选择项目。", {"project": ["请选择项目。"]})
        if template.project_type_id != project.project_type_id:
            message = f"该阶段属于“{template.project_type}”，与项目的审批类型“{project.project_type}”不符。"
            raise InvalidInput(message, {"template": [message]})
        if project.stages.filter(template=template, state=Stage.State.OPEN).exists():
            raise Conflict(f"项目已有办理中的“{template.name}”，不能重复申报。")
    answers = _checked_answers(template, answers if answers is not None else (project.answers if project else {}))
    items = included_items(template, answers)
    if not items:
        raise InvalidInput("按所答情形，本阶段没有需要办理的事项。", {"answers": ["没有需要办理的事项。"]})
    shared = dict(shared or {})
    reusable = reusable_results(template, project, applicant)
    missing = [name for name, required in materials_needed(template, answers)
               if required and name not in shared and name not in reusable]
    if missing:
        message = "以下材料尚未提交：" + "、".join(missing)
        raise InvalidInput(message, {"materials": [message]})
    now = clock.now()
    calendar = get_calendar()
    today = timezone.localdate(received_at or now)
    green = bool(project and project.green_channel)
    settings_row = joint_settings()
    stage = Stage(
        number=_stage_number(now), template=template, project=project, name=template.name,
        lead_department=template.lead_department, applicant_name=applicant.name.strip(),
        applicant_id_index=blind_index(identifiers.normalise(applicant.id_number)), green=green,
        answers=answers, form=dict(form or {}), opened_at=now, opened_by=actor, accept_date=today,
        promised_total=_stage_total(template, green, items), statutory_limit=settings_row.stage_statutory_limit,
    )
    derive_stage_dues(stage, calendar)
    stage.save()
    for name, stored in shared.items():
        SharedMaterial.objects.create(stage=stage, name=name, file=stored.path, file_name=stored.name,
                                      content_hash=stored.digest, content_type=stored.content_type,
                                      size=stored.size, pages=stored.pages)
    title = project.name if project else template.name
    for stage_item in items:
        version = published_version(stage_item.item)
        if version is None:
            raise InvalidInput(f"事项“{stage_item.item}”没有已发布的版本，不能受理。", {"template": ["事项未发布。"]})
        given = {spec.pk: {"file": shared[spec.name]} for spec in materials_of(version) if spec.name in shared}
        case = cases.receive(actor=actor, item=stage_item.item, applicant=applicant, materials=given,
                             channel=channel, title=title, ip=ip, project_code=project.code if project else "",
                             received_at=received_at)
        StagePart.objects.create(stage=stage, case=case, item=stage_item.item,
                                 department_id=stage_item.item.department_id, required=stage_item.required)
        cases.perform(case, "accept", actor=actor, ip=ip)
    return stage


def reusable_results(template: StageTemplate, project: Project | None,
                     applicant: cases.ApplicantInput) -> dict[str, Case]:
    """审批结果共享: material name → the granted earlier case whose result stands in for it, from the
    project's cases (or, for a bundle, the applicant's)."""
    index = blind_index(identifiers.normalise(applicant.id_number))
    return earlier_results(project.code if project else "", index,
                           set(template.feeds.values_list("material_name", flat=True)))


def extend_stage(stage: Stage | int, *, actor: User, days: int, reason: str) -> Stage:
    """延长联合办理期限 (art. 42 ¶2): at most the centre's 15 working days, approved by the lead
    department's 审批人 (or the centre's administrator)."""
    with transaction.atomic():
        stage = Stage.objects.select_for_update().get(pk=stage.pk if isinstance(stage, Stage) else stage)
        if not (actor.is_superuser or actor.has_role(Role.ADMIN)
                or (actor.has_role(Role.APPROVER) and actor.department_id == stage.lead_department_id)):
            raise Forbidden("阶段延期须由牵头部门审批人或中心管理员批准。")
        if stage.state != Stage.State.OPEN:
            raise TransitionRefused("阶段已办结或终止，不能延期。")
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("延期必须写明理由。", {"reason": ["延期必须写明理由。"]})
        room = joint_settings().stage_extension_limit - stage.extension_days
        if not isinstance(days, int) or days <= 0 or days > room:
            message = f"延长天数应为1至{room}个工作日。" if room > 0 else "已达到联合办理可延长的上限。"
            raise InvalidInput(message, {"days": [message]})
        stage.extension_days += days
        derive_stage_dues(stage, get_calendar())
        stage.row_version += 1
        stage.save(update_fields=["extension_days", "promised_due", "statutory_due", "row_version"])
        StageExtension.objects.create(stage=stage, days=days, reason=reason, approved_by=actor, at=clock.now())
    return stage


def earlier_results(project_code: str, applicant_index: str, names: set[str]) -> dict[str, Case]:
    """Material name → the latest granted case whose result (决定书/证照) a feed names for it: among the
    project's cases, or the applicant's when there is no project."""
    if not names:
        return {}
    feeds = ResultFeed.objects.filter(material_name__in=names).values_list("source_item_id", "material_name")
    by_item: dict[int, set[str]] = {}
    for item_id, name in feeds:
        by_item.setdefault(item_id, set()).add(name)
    if not by_item:
        return {}
    scope = Case.objects.filter(project_code=project_code) if project_code else Case.objects.filter(
        applicant_id_index=applicant_index, project_code="")
    found: dict[str, Case] = {}
    granted = (scope.filter(item_id__in=by_item, decision=Decision.GRANT).select_related("version")
               .order_by("-decided_at"))
    for case in granted[:50]:
        for name in by_item[case.item_id]:
            found.setdefault(name, case)
    return found


def result_document(case: Case) -> str:
    """How the reused result is named on the later case: the result's name and its decision letter's number."""
    notice = case.notices.filter(kind=Notice.Kind.GRANT).order_by("-pk").values_list("number", flat=True).first()
    name = case.version.result_name or "准予行政许可决定书"
    return f"{name}（{notice}）" if notice else name
