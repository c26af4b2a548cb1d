"""Staff pages of projects and stages: the project list and register form, the project page with
everything in one place, the comprehensive window's stage form ("一张表单") and the stage page.

Who may do what:
- register projects and open stages: clerks of a comprehensive department (综合受理) or of the lead
  department, and the centre's administrators;
- view: every member of staff of a department with a part (or the lead), comprehensive-window
  staff, and supervisors/administrators (who see all);
- key-project and green-channel flags: set by administrators only (clerks register, the centre flags).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, is_htmx, staff_required
from shenpi.accounts.models import Role, User
from shenpi.cases import files
from shenpi.cases.files import StoredFile
from shenpi.cases.models import ApplicantKind, Case, CaseMaterial, CaseStep, Channel, Notice, without_secrets
from shenpi.cases.queries import clock_facts
from shenpi.cases.services import ApplicantInput
from shenpi.catalog.models import Department
from shenpi.errors import InvalidInput, ServiceError
from shenpi.web import client_address
from shenpi.workdays.services import get_calendar

from . import reviews as joint_reviews
from . import services
from .clock import stage_days_left, stage_used_days
from .models import (
    JointReview,
    Project,
    ProjectKind,
    ProjectType,
    SharedMaterial,
    Stage,
    StageExtension,
    StagePart,
    StageTemplate,
)

PAGE_SIZE = 20
DECISION_NOTICES = (Notice.Kind.GRANT, Notice.Kind.DENIAL)


# -- who may do what ---------------------------------------------------------------------------------

def is_admin(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ADMIN)


def sees_all(user: User) -> bool:
    return user.sees_all_departments or bool(user.department_id and user.department.comprehensive)


def may_register(user: User, lead_department_id: int | None = None) -> bool:
    """综合窗口 clerks, the lead department's clerks (for its own projects) and administrators."""
    if is_admin(user):
        return True
    if not (user.has_role(Role.CLERK) and user.department_id):
        return False
    if user.department.comprehensive:
        return True
    return lead_department_id is None or lead_department_id == user.department_id


def may_open(user: User, template: StageTemplate | None = None) -> bool:
    return may_register(user, template.lead_department_id if template is not None else None)


def visible_projects(user: User):
    projects = Project.objects.all()
    if sees_all(user):
        return projects
    if not user.department_id:
        return projects.none()
    parts = StagePart.objects.filter(stage__project_id=OuterRef("pk"), department_id=user.department_id)
    return projects.filter(Q(lead_department_id=user.department_id) | Exists(parts))


def visible_stages(user: User):
    stages = Stage.objects.all()
    if sees_all(user):
        return stages
    if not user.department_id:
        return stages.none()
    parts = StagePart.objects.filter(stage_id=OuterRef("pk"), department_id=user.department_id)
    # A project's page shows all its stages: whoever may see the project may open each of them.
    return stages.filter(Q(lead_department_id=user.department_id) | Exists(parts)
                         | Q(project__in=visible_projects(user).values("pk")))


# -- projects: list and register (登记/赋码) ------------------------------------------------------------

class ProjectForm(forms.Form):
    code = forms.CharField(label="项目代码", max_length=24, required=False,
                           help_text="已在投资项目在线审批监管平台赋码的，填写其代码；留空则由本平台赋码。",
                           widget=forms.TextInput(attrs={"placeholder": "2026-330100-47-01-012345"}))
    name = forms.CharField(label="项目名称", max_length=200, required=False)
    owner_name = forms.CharField(label="项目单位", max_length=200, required=False)
    owner_uscc = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    location = forms.CharField(label="建设地点", max_length=200, required=False)
    division = forms.CharField(label="行政区划代码", max_length=6, required=False, help_text="6位，如 330106。")
    district = forms.ModelChoiceField(label="所在区县", queryset=Department.objects.all(), required=False)
    total_investment = forms.CharField(label="总投资(万元)", max_length=20, required=False)
    kind = forms.ChoiceField(label="项目类型(管理)", choices=ProjectKind.choices)
    industry = forms.CharField(label="行业代码", max_length=2, required=False,
                               help_text="国民经济行业分类大类，如 47。")
    project_type = forms.ModelChoiceField(label="审批类型", queryset=ProjectType.objects.all(), required=False)
    lead_department = forms.ModelChoiceField(label="牵头部门", queryset=Department.objects.all(), required=False)
    key_project = forms.BooleanField(label="重点项目", required=False)
    green_channel = forms.BooleanField(label="绿色通道", required=False)

    def __init__(self, *args, admin: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not admin:  # clerks register; the centre's administrators flag
            del self.fields["key_project"]
            del self.fields["green_channel"]

    def project_input(self) -> services.ProjectInput:
        data = self.cleaned_data
        return services.ProjectInput(
            name=data["name"], owner_name=data["owner_name"], owner_uscc=data["owner_uscc"],
            location=data["location"], division=data["division"].strip(), total_investment=data["total_investment"],
            kind=data["kind"], industry=data["industry"].strip(), project_type=data["project_type"],
            lead_department=data["lead_department"], code=data["code"].strip(), district=data["district"],
            key_project=data.get("key_project", False), green_channel=data.get("green_channel", False))


def _put_errors(form: forms.Form, error: ServiceError) -> list[str]:
    loose = []
    for key, found in error.fields.items():
        for message in found:
            if key in form.fields:
                form.add_error(key, message)
            else:
                loose.append(message)
    return loose


@staff_required
def projects(request):
    user = request.user
    found = visible_projects(user).select_related("lead_department", "project_type", "district")
    q = request.GET.get("q", "").strip()
    if q:
        found = found.filter(Q(code__startswith=q) | Q(name__icontains=q) | Q(owner_name__icontains=q))
    filters = {"kind": request.GET.get("kind", ""), "lead": request.GET.get("lead", ""),
               "flag": request.GET.get("flag", "")}
    if filters["kind"] in ProjectKind.values:
        found = found.filter(kind=filters["kind"])
    if filters["lead"].isdigit():
        found = found.filter(lead_department_id=int(filters["lead"]))
    if filters["flag"] == "key":
        found = found.filter(key_project=True)
    elif filters["flag"] == "green":
        found = found.filter(green_channel=True)
    page = Paginator(found.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    leads = Department.objects.filter(pk__in=Project.objects.values("lead_department_id").distinct())
    return render(request, "joint/projects.html", {
        "page": page, "q": q, "filters": filters, "kinds": ProjectKind.choices, "leads": leads,
        "may_register": may_register(user), "may_open": may_open(user),
    })


@staff_required
def project_new(request):
    user = request.user
    if not may_register(user):
        return forbidden(request, "项目登记须由综合窗口、牵头部门窗口人员或中心管理员办理。")
    admin = is_admin(user)
    error, loose = None, []
    status = 200
    if request.method == "POST":
        form = ProjectForm(request.POST, admin=admin)
        try:
            if not form.is_valid():
                raise InvalidInput("请检查填写的内容。")
            lead = form.cleaned_data["lead_department"]
            if lead is not None and not may_register(user, lead.pk):
                message = "您只能登记本部门牵头的项目。"
                raise InvalidInput(message, {"lead_department": [message]})
            project = services.register_project(actor=user, data=form.project_input())
        except ServiceError as failure:
            error, status = failure, failure.http_status
            loose = _put_errors(form, failure)
        else:
            note = "已由本平台赋码" if project.issued_here else "已登记"
            messages.success(request, f"项目“{project.name}”{note}，项目代码 {project.code}。")
            return redirect("joint:project", code=project.code)
    else:
        initial = {}
        if user.department_id and not user.department.comprehensive and not admin:
            initial["lead_department"] = user.department_id
        form = ProjectForm(initial=initial, admin=admin)
    return render(request, "joint/project_form.html", {"form": form, "error": error, "loose": loose,
                                                       "admin": admin},
                  status=status)


# -- the project page: everything in one place --------------------------------------------------------

def _stage_clock(stage: Stage, calendar, today) -> dict:
    used = stage_used_days(stage, calendar, today)
    left = stage_days_left(stage, calendar, today) if stage.state == Stage.State.OPEN else None
    allotment = stage.promised_total + stage.extension_days
    tone = "ok"
    if left is not None:
        tone = "bad" if left < 0 else "warn" if left <= 2 else "ok"
    return {"used": used, "left": left, "allotment": allotment, "tone": tone,
            "stopped": stage.clock_stopped_on is not None, "used_capped": min(used, allotment)}


def _case_row(case: Case, calendar, today) -> dict:
    facts = clock_facts(case, today, calendar)
    left = facts.promised_left
    tone = "" if left is None else "bad" if left < 0 else "warn" if left <= 1 else "ok"
    return {"case": case, "clock": facts, "tone": tone}


@staff_required
def project(request, code):
    user = request.user
    found = get_object_or_404(visible_projects(user).select_related(
        "project_type", "lead_department", "district", "created_by"), code=code)
    today, calendar = clock.today(), get_calendar()
    stages = list(found.stages.select_related("template", "lead_department").order_by("template__seq", "opened_at"))
    # Every case carrying the project's code, with its part (if any), in one query.
    project_cases = list(Case.objects.filter(project_code=found.code).defer(*without_secrets())
                         .select_related("department", "version", "stage_part").order_by("received_at", "pk"))
    case_ids = [c.pk for c in project_cases]
    by_stage: dict[int, list[dict]] = {s.pk: [] for s in stages}
    loose = []
    for case in project_cases:
        row = _case_row(case, calendar, today)
        part = getattr(case, "stage_part", None)
        if part is not None and part.stage_id in by_stage:
            row["required"] = part.required
            by_stage[part.stage_id].append(row)
        else:
            loose.append(row)
    opinions = list(CaseStep.objects.filter(case_id__in=case_ids).exclude(opinion="")
                    .select_related("case", "department", "finished_by").defer(*without_secrets("case__"))
                    .order_by("finished_at", "pk"))
    reviews = list(JointReview.objects.filter(Q(stage__project=found) | Q(case_id__in=case_ids))
                   .select_related("lead_department", "stage", "case").defer(*without_secrets("case__"))
                   .prefetch_related("invitations__department").order_by("opened_at", "pk"))
    shared = list(SharedMaterial.objects.filter(stage__project=found).select_related("stage").order_by("stage", "pk"))
    notices = list(Notice.objects.filter(case_id__in=case_ids, kind__in=DECISION_NOTICES)
                   .select_related("case", "case__department").defer(*without_secrets("case__"))
                   .order_by("issued_at", "pk"))
    reused = list(CaseMaterial.objects.filter(case_id__in=case_ids, source_case__isnull=False)
                  .select_related("case", "source_case")
                  .defer(*without_secrets("case__"), *without_secrets("source_case__")).order_by("pk"))
    return render(request, "joint/project.html", {
        "project": found, "today": today, "admin": is_admin(user),
        "stages": [{"stage": s, "clock": _stage_clock(s, calendar, today), "cases": by_stage[s.pk]} for s in stages],
        "loose_cases": loose, "opinions": opinions, "reviews": reviews, "shared": shared, "notices": notices,
        "reused": reused, "may_open": may_open(user),
    })


@staff_required
@require_POST
def project_flags(request, code):
    """重点项目/绿色通道: the centre's administrators flag a project."""
    if not is_admin(request.user):
        return forbidden(request, "重点项目和绿色通道由中心管理员标记。")
    found = get_object_or_404(Project, code=code)
    found.key_project = bool(request.POST.get("key_project"))
    found.green_channel = bool(request.POST.get("green_channel"))
    found.save(update_fields=["key_project", "green_channel"])
    messages.success(request, "已更新项目标记（绿色通道对此后申报的阶段生效）。")
    return redirect("joint:project", code=found.code)


# -- the comprehensive window's stage form (一张表单) ------------------------------------------------

class ApplicantForm(forms.Form):
    applicant_kind = forms.ChoiceField(label="申请人类型", choices=ApplicantKind.choices, required=False,
                                       initial=ApplicantKind.ORGANISATION, widget=forms.RadioSelect)
    applicant_name = forms.CharField(label="申请人名称", max_length=200, required=False)
    id_number = forms.CharField(label="证件号码", max_length=40, required=False,
                                help_text="个人填写18位身份证号码，法人填写18位统一社会信用代码。")
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)

    FIELD_NAMES = {"applicant_id": "id_number", "contact_phone": "phone", "applicant_name": "applicant_name"}


def _material_key(name: str) -> str:
    return "f" + hashlib.sha256(name.encode()).hexdigest()[:12]


def _ticket_salt(user) -> str:
    return f"shenpi.joint.stage-form.{user.pk}"


def _answers_from(data, template: StageTemplate | None) -> dict:
    if template is None:
        return {}
    return {q["key"]: bool(data.get(f"q-{q['key']}")) for q in template.questions or []}


def _material_rows(request, data, template, answers, reusable) -> tuple[list[dict], list[str], dict]:
    """One row per material of the stage; each upload checked by content and stored, or kept from the
    form's previous rendering (a signed ticket for this clerk only)."""
    rows, refusals, shared = [], [], {}
    for name, required in services.materials_needed(template, answers):
        key = _material_key(name)
        row = {"name": name, "required": required, "key": key, "file": None, "ticket": "", "error": "",
               "reused": reusable.get(name)}
        chosen = request.FILES.get(key) if request.method == "POST" else None
        try:
            if chosen:
                row["file"] = files.store(files.inspect(chosen), folder="stages")
            elif data.get(f"{key}-ticket"):
                row["file"] = StoredFile(**signing.loads(data[f"{key}-ticket"], salt=_ticket_salt(request.user),
                                                         max_age=24 * 3600))
        except InvalidInput as error:
            row["error"] = error.message
            refusals.append(f"{name}：{error.message}")
        except (signing.BadSignature, TypeError):
            row["error"] = "已上传的文件已失效，请重新选择。"
            refusals.append(f"{name}：{row['error']}")
        if row["file"] is not None:
            row["ticket"] = signing.dumps(asdict(row["file"]), salt=_ticket_salt(request.user))
            shared[name] = row["file"]
        rows.append(row)
    return rows, refusals, shared


def _applicant(template, found_project, form: ApplicantForm) -> ApplicantInput:
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if template.kind == StageTemplate.Kind.STAGE and found_project is not None:
        return ApplicantInput(kind=ApplicantKind.ORGANISATION, name=found_project.owner_name,
                              id_number=found_project.owner_uscc, contact_name=data.get("contact_name", ""),
                              phone=data.get("phone", ""))
    return ApplicantInput(kind=data.get("applicant_kind") or ApplicantKind.ORGANISATION,
                          name=data.get("applicant_name", ""), id_number=data.get("id_number", ""),
                          contact_name=data.get("contact_name", ""), phone=data.get("phone", ""))


@staff_required
def stage_new(request):
    user = request.user
    if not may_open(user):
        return forbidden(request, "阶段申报须由综合窗口、牵头部门窗口人员或中心管理员受理。")
    data = request.POST if request.method == "POST" else request.GET
    every = list(StageTemplate.objects.filter(active=True).select_related("project_type", "lead_department"))
    template = next((t for t in every if str(t.pk) == data.get("template", "")), None)
    templates = [t for t in every if may_open(user, t)]
    code = data.get("project", "").strip()
    found_project = services.project_of(code) if code else None
    errors: list[str] = []
    status = 200
    if code and found_project is None:
        errors.append(f"未找到项目代码为“{code}”的项目，请先登记项目。")
    if template is not None and not may_open(user, template):
        return forbidden(request, "您只能受理本部门牵头的阶段。")
    applicant_form = ApplicantForm(data if ("applicant_name" in data or "contact_name" in data) else None)
    context = {"templates": templates, "template": template, "code": code, "project": found_project,
               "applicant_form": applicant_form, "errors": errors}
    if template is None:
        return render(request, "joint/stage_form.html", context)
    answers = _answers_from(data, template) if ("answered" in data) else (
        dict(found_project.answers) if found_project else {})
    applicant = _applicant(template, found_project, applicant_form)
    try:
        reusable = services.reusable_results(template, found_project, applicant) if applicant.id_number else {}
    except ServiceError:
        reusable = {}
    rows, refusals, shared = _material_rows(request, data, template, answers, reusable)
    items = services.included_items(template, answers)
    context.update(questions=[{**q, "yes": bool(answers.get(q["key"]))} for q in template.questions or []],
                   items=items, rows=rows)
    if request.method == "POST" and not errors:
        if refusals:
            errors.extend(refusals)
            status = 400
        else:
            try:
                if not applicant_form.is_valid():
                    raise InvalidInput("请检查填写的内容。")
                stage = services.open_stage(
                    actor=user, template=template, applicant=applicant,
                    project=found_project if template.kind == StageTemplate.Kind.STAGE else None, answers=answers,
                    form={"contact_name": applicant.contact_name, "phone": applicant.phone,
                          "note": request.POST.get("note", "").strip()[:500]},
                    shared=shared, channel=Channel.WINDOW, ip=client_address(request))
            except ServiceError as failure:
                errors.append(failure.message)
                for key, found in failure.fields.items():
                    name = ApplicantForm.FIELD_NAMES.get(key, key)
                    for message in found:
                        if name in applicant_form.fields:
                            applicant_form.add_error(name, message)
                        elif message != failure.message:
                            errors.append(message)
                status = failure.http_status
            else:
                opened = list(stage.parts.select_related("case", "department").order_by("pk"))
                listing = "、".join(f"{p.case.number}（{p.department}）" for p in opened)
                messages.success(request, f"已受理“{stage.name}”，阶段编号 {stage.number}，"
                                          f"同步开出{len(opened)}件办件：{listing}。")
                return redirect("joint:stage", number=stage.number)
    elif request.method == "POST":
        status = 400
    template_name = "joint/_stage_items.html" if is_htmx(request) and request.method == "GET" else \
        "joint/stage_form.html"
    return render(request, template_name, context, status=status)


# -- the stage page -----------------------------------------------------------------------------------

class ExtendForm(forms.Form):
    days = forms.IntegerField(label="延长(工作日)", min_value=1, max_value=60)
    reason = forms.CharField(label="理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def may_extend(user: User, stage: Stage) -> bool:
    return is_admin(user) or (user.has_role(Role.APPROVER) and user.department_id == stage.lead_department_id)


def _stage_page(request, stage: Stage, *, extend_form=None, error=None, status=200):
    user, today, calendar = request.user, clock.today(), get_calendar()
    parts = list(stage.parts.select_related("case", "case__version", "department").order_by("pk"))
    return render(request, "joint/stage.html", {
        "stage": stage, "today": today, "clock": _stage_clock(stage, calendar, today),
        "parts": [{"part": p, **_case_row(p.case, calendar, today)} for p in parts],
        "shared": list(stage.shared_materials.all()),
        "extensions": list(StageExtension.objects.filter(stage=stage).select_related("approved_by").order_by("at")),
        "reviews": joint_reviews.listed(stage.reviews.all(), today),
        "may_open_review": stage.state == Stage.State.OPEN and joint_reviews.may_open(user, stage=stage),
        "may_extend": may_extend(user, stage) and stage.state == Stage.State.OPEN,
        "extend_form": extend_form or ExtendForm(), "error": error,
        "extension_room": services.joint_settings().stage_extension_limit - stage.extension_days,
    }, status=status)


def _visible_stage(user, number) -> Stage:
    try:
        return visible_stages(user).select_related("project", "template", "lead_department", "opened_by").get(
            number=number)
    except Stage.DoesNotExist:
        raise Http404("阶段不存在。") from None


@staff_required
def stage(request, number):
    return _stage_page(request, _visible_stage(request.user, number))


@staff_required
@require_POST
def stage_extend(request, number):
    found = _visible_stage(request.user, number)
    form = ExtendForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput("请填写延长天数和理由。")
        services.extend_stage(found, actor=request.user, days=form.cleaned_data["days"],
                              reason=form.cleaned_data["reason"])
    except ServiceError as failure:
        _put_errors(form, failure)
        return _stage_page(request, _visible_stage(request.user, number), extend_form=form, error=failure,
                           status=failure.http_status)
    messages.success(request, f"已批准延长联合办理期限{form.cleaned_data['days']}个工作日。")
    return redirect(reverse("joint:stage", args=[found.number]))


urlpatterns = [
    path("", projects, name="projects"),
    path("new/", project_new, name="project_new"),
    path("stages/new/", stage_new, name="stage_new"),
    path("stages/<str:number>/", stage, name="stage"),
    path("stages/<str:number>/extend/", stage_extend, name="stage_extend"),
    path("p/<str:code>/", project, name="project"),
    path("p/<str:code>/flags/", project_flags, name="project_flags"),
]
