"""Projects, stages and 一件事 of the demo city, played through shenpi.joint.services.

After the year of single cases, the centre's construction-project path and its 企业开办 bundle are
set up and a few projects run through them, each action at its own moment in the past by the
person it belongs to (shenpi.clock set as the timeline does):

- 政府投资房屋建筑类 (90 working days) and 社会投资简易低风险工程 (15), each with the reform's four
  stages (shenpi.joint.templates_reform) filled with the catalogue's items; 人防 and 消防设计审查 are
  conditional on the form's questions; earlier results feed the later stages' materials;
- 市第一人民医院新院区 (key project): its first stage concluded and its 建设用地规划许可证 was received
  by the second stage without upload; that stage is now past its total, 规划局's part overdue; its
  joint review of the design drawings (网上联审) has two opinions and a mark on the site plan, and
  消防救援支队 has not answered, past the deadline;
- 滨河新城人才公寓 (key project, green channel): its first stage under the halved limits, the leaders
  in charge told by SMS at acceptance;
- 第三实验小学 (code issued by the national platform): three stages concluded, the fourth under way;
  the joint review of its construction drawings (stage 3) concluded with the joint opinion;
- a simple low-risk warehouse of the demo developer; three 企业开办 applications (one done in a
  working day, one in two, one under way).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db.models import BigIntegerField, Q
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import files
from shenpi.cases import services as cases
from shenpi.cases.models import ApplicantKind, Case, CaseStep, State
from shenpi.catalog.models import Department, FlowStep, Item, ItemVersion
from shenpi.joint import reviews, templates_reform
from shenpi.joint import services as joint
from shenpi.joint.models import (
    JointReview,
    Project,
    ProjectKind,
    ProjectType,
    ResultFeed,
    Stage,
    StageItem,
    StageTemplate,
)
from shenpi.prepared import Param, Prepared
from shenpi.workdays.services import get_calendar

from . import delivery, people, portal
from .catalogue import CITY, CODE_PREFIX, DEPARTMENTS_BY_SLUG

# The demo city's administrative division (its residents' ID numbers start with it).
DIVISION = people.HOME_AREAS[0]
GOV_TYPE = CODE_PREFIX + "GOV-BUILDING"
SIMPLE_TYPE = CODE_PREFIX + "SIMPLE-LOW-RISK"
BUNDLE = CODE_PREFIX + "QIYE-KAIBAN"

CIVIL_AIR_DEFENCE = {"key": "civil_air_defence", "label": "是否需要建设防空地下室"}
SPECIAL_FIRE = {"key": "special_fire", "label": "是否属于特殊建设工程(需消防设计审查、验收)"}


@dataclass(frozen=True)
class StagePlan:
    lead: str  # department slug
    items: tuple[tuple[str, str], ...]  # (item name, condition: a question key or "")
    feeds: tuple[tuple[str, str], ...] = ()  # (earlier item, material name of a later item)
    questions: tuple[dict, ...] = ()


GOV_STAGES = (
    StagePlan("fagai", (("政府投资项目可行性研究报告审批", ""), ("建设项目用地预审与选址意见书核发", ""),
                        ("建设用地规划许可证核发", "")),
              feeds=(("政府投资项目建议书审批", "项目建议书批复文件"),)),
    StagePlan("guihua", (("建设工程规划许可证核发", ""), ("人民防空工程建设审批(防空地下室)", "civil_air_defence")),
              feeds=(("建设用地规划许可证核发", "建设用地规划许可证"),), questions=(CIVIL_AIR_DEFENCE,)),
    StagePlan("zhujian", (("建筑工程施工许可证核发", ""), ("建设工程消防设计审查", "special_fire")),
              feeds=(("建设工程规划许可证核发", "建设工程规划许可证"),
                     ("建设工程规划许可证核发", "依法需要办理建设工程规划许可的，提交建设工程规划许可文件")),
              questions=(SPECIAL_FIRE,)),
    StagePlan("zhujian", (("建设工程规划核实", ""), ("建设工程消防验收", "special_fire"),
                          ("人民防空工程竣工验收备案", "civil_air_defence")),
              feeds=(("建设工程规划许可证核发", "建设工程规划许可证及附图"),),
              questions=(CIVIL_AIR_DEFENCE, SPECIAL_FIRE)),
)
SIMPLE_STAGES = (
    StagePlan("fagai", (("企业投资项目备案", ""), ("建设用地规划许可证核发", ""))),
    StagePlan("guihua", (("建设工程规划许可证核发", ""),), feeds=(("建设用地规划许可证核发", "建设用地规划许可证"),)),
    StagePlan("zhujian", (("建筑工程施工许可证核发", ""),), feeds=(("建设工程规划许可证核发", "建设工程规划许可证"),)),
    StagePlan("zhujian", (("建设工程规划核实", ""), ("房屋建筑和市政基础设施工程竣工验收备案", "")),
              feeds=(("建设工程规划许可证核发", "建设工程规划许可证及附图"),)),
)
# 企业开办 (宜昌: 营业执照、公章、发票、社保 in one window in 2 working days).
BUNDLE_ITEMS = ("企业设立登记", "印章刻制备案", "发票领用", "单位参加社会保险登记")
BUNDLE_DAYS = 2
# The leaders in charge (分管领导, the departments' 审批人) the green channel's SMS goes to.
LEADER_DEPARTMENTS = ("fagai", "guihua", "zhujian", "renfang")

_ACTIVE_STEP = Prepared(CaseStep.objects.filter(case_id=Param("case", BigIntegerField()),
                                                status=CaseStep.Status.ACTIVE).order_by("pk")
                        .values_list("pk", "assignee_id", "department_id", "role_id")[:1])


def drawing_pdf(title: str, owner: str, sheets: tuple[str, ...]) -> bytes:
    """A set of A4 drawings (one sheet a page) with a title block, as a design institute's PDF would be."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from shenpi.fonts import cjk_font_name

    font = cjk_font_name()
    width, height = A4
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=A4)
    drawing.setTitle(title)
    for number, sheet in enumerate(sheets, start=1):
        drawing.rect(36, 36, width - 72, height - 72)
        drawing.setFont(font, 16)
        drawing.drawCentredString(width / 2, height - 80, f"{title} · {sheet}")
        # The buildings and roads of the sheet, drawn as blocks.
        drawing.setLineWidth(1.5)
        drawing.rect(110, 420, 180, 220)
        drawing.rect(330, 470, 150, 170)
        drawing.setDash(6, 3)
        drawing.line(60, 380, width - 60, 380)
        drawing.line(310, 200, 310, height - 120)
        drawing.setDash()
        drawing.setLineWidth(1)
        drawing.rect(width - 236, 36, 200, 70)  # the title block
        drawing.setFont(font, 9)
        drawing.drawString(width - 228, 90, f"建设单位：{owner}")
        drawing.drawString(width - 228, 74, f"图名：{sheet}")
        drawing.drawString(width - 228, 58, f"图号：{number}/{len(sheets)}  比例 1:500")
        drawing.drawString(width - 228, 42, "（演示数据：内容为示意）")
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def demo_reviews():
    return JointReview.objects.filter(stage__template__code__startswith=CODE_PREFIX)


def demo_projects():
    return Project.objects.filter(project_type__code__startswith=CODE_PREFIX)


def demo_stages():
    return Stage.objects.filter(template__code__startswith=CODE_PREFIX)


def summary() -> str:
    """One line for `shenpi demo`: the projects and stages there are, and what is late today."""
    stages = demo_stages()
    today = clock.today()
    projects = demo_projects()
    late = stages.filter(state=Stage.State.OPEN, promised_due__lt=today).count()
    return (f"项目 {projects.count()}（重点项目 {projects.filter(key_project=True).count()}，"
            f"绿色通道 {projects.filter(green_channel=True).count()}），"
            f"并联审批阶段 {stages.filter(project__isnull=False).count()}，"
            f"企业开办 {stages.filter(project__isnull=True).count()}；办理中 "
            f"{stages.filter(state=Stage.State.OPEN).count()}，其中超过承诺时限 {late}")


def joint_cases():
    """The demo's cases of projects and bundles (not part of the year of single cases)."""
    return Case.objects.filter(Q(stage_part__isnull=False) | ~Q(project_code=""),
                               department__code__startswith=CODE_PREFIX)


class ProjectPlayer:
    """Sets up the path and plays the projects, each action at its moment, as the right person."""

    def __init__(self, end: dt.datetime, seed: int, result):
        self.result = result
        self.rng = random.Random(seed + 13)
        self.calendar = get_calendar()
        day = timezone.localdate(end) - dt.timedelta(days=1)
        while not self.calendar.is_workday(day):
            day -= dt.timedelta(days=1)
        self.last_day = day  # the last working day that is wholly past
        self.queue: list[tuple] = []
        self.opened = self.at(200)  # the latest stage's opening: its parts act after it
        self.departments = {slug: Department.objects.get(code=DEPARTMENTS_BY_SLUG[slug].code)
                            for slug in DEPARTMENTS_BY_SLUG}
        demo = User.objects.filter(department__code__startswith=CODE_PREFIX, is_active=True)
        self.users = {u.pk: u for u in demo.order_by("pk").prefetch_related("roles")}
        self.clerk = User.objects.get(username="zhongxin_clerk")
        self.items = {}
        for item in Item.objects.filter(department__code__startswith=CODE_PREFIX).filter(
                ItemVersion.published_through("versions__")).prefetch_related("versions"):
            version = item.current_version()
            self.items.setdefault(version.name, item)

    # -- time ------------------------------------------------------------------------------------
    def day(self, back: int) -> dt.date:
        """The working day `back` working days before the last one (0: the last)."""
        day = self.last_day
        while back > 0:
            day -= dt.timedelta(days=1)
            if self.calendar.is_workday(day):
                back -= 1
        return day

    def at(self, back: int, hour: int = 10, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.day(back), dt.time(hour, minute)))

    def moments(self, first: int, last: int, count: int) -> list[dt.datetime]:
        """`count` moments spread from working day `first` back to `last` back, in order."""
        result, previous = [], None
        for k in range(count):
            back = first - round((first - last) * k / max(1, count - 1))
            moment = self.at(back, 9 + (k * 3) % 7, self.rng.randint(0, 50))
            if moment <= self.opened:  # not before the stage (or case) it belongs to was opened
                moment = self.opened + dt.timedelta(minutes=self.rng.randint(20, 60))
            if previous is not None and moment <= previous:
                moment = previous + dt.timedelta(minutes=25)
            result.append(moment)
            previous = moment
        return result

    # -- people ----------------------------------------------------------------------------------
    def staff(self, department_id: int, role: str) -> User:
        for user in self.users.values():
            if user.department_id == department_id and any(r.code == role for r in user.roles.all()):
                return user
        raise LookupError(f"no {role} in department {department_id}")

    def perform(self, case_id: int, action: str, at: dt.datetime, **params) -> None:
        """Queue an action at its moment: the parts of a stage act in time order, whichever is scripted
        first (ProjectPlayer.flush)."""
        self.queue.append((at, len(self.queue), case_id, action, params))

    def flush(self) -> None:
        """Carry out the queued actions in time order."""
        queue, self.queue = sorted(self.queue), []
        for at, _, case_id, action, params in queue:
            clock.set_now(at)
            department, state = Case.objects.filter(pk=case_id).values_list("department_id", "state").get()
            if action == "pass" and state != State.IN_PROGRESS:
                continue  # the flow was shorter than planned
            if action in ("pass", "suspend", "request_supplement"):
                pk, assignee, step_department, role = _ACTIVE_STEP.first(case=case_id)
                params = {**params, "step": pk}
                actor = self.users.get(assignee) or self.staff(step_department or department, role)
            elif action == "resume":
                actor = self.staff(department, Role.HANDLER)
            else:  # grant, deny, complete: the department's 审批人
                actor = self.staff(department, Role.APPROVER)
            if action == "complete":  # 送达: an e-licence only where the case has one (demo/delivery.py)
                delivery.complete(case_id, actor=actor, params=params, ip="10.20.9.9")
            else:
                cases.perform(case_id, action, actor=actor, params=params, ip="10.20.9.9")
            self.result.actions[action] += 1

    def steps_left(self, case_id: int) -> int:
        """Steps still to pass: the flow's steps less those passed (later steps start when reached)."""
        version = Case.objects.filter(pk=case_id).values_list("version_id", flat=True).get()
        return (FlowStep.objects.filter(version_id=version).count()
                - CaseStep.objects.filter(case_id=case_id, status=CaseStep.Status.DONE).count())

    def drive(self, case_id: int, first: int, last: int, *, stop: str = "complete", passes: int | None = None) -> None:
        """Work a case from working day `first` back to `last` back: its steps, then 准予许可 and 送达办结
        (stop="pass": only `passes` steps; stop="grant": not delivered yet)."""
        steps = self.steps_left(case_id)
        if stop == "pass":
            actions = ["pass"] * min(passes or 1, steps)
        else:
            actions = ["pass"] * steps + ["grant"] + (["complete"] if stop == "complete" else [])
        for action, moment in zip(actions, self.moments(first, last, len(actions)), strict=True):
            if action == "pass":
                self.perform(case_id, "pass", moment, opinion=self.rng.choice(OPINIONS))
            elif action == "grant":
                self.perform(case_id, "grant", moment, opinion="符合法定条件，准予许可。")
            else:
                self.perform(case_id, "complete", moment, delivery=self.rng.choice(("窗口领取", "电子证照推送")))

    # -- the path -------------------------------------------------------------------------------
    def build_path(self) -> None:
        clock.set_now(self.at(120, 9))
        gov, _ = ProjectType.objects.get_or_create(code=GOV_TYPE, defaults={
            "name": "政府投资房屋建筑类", "promised_total": 90,
            "note": "政府投资房屋建筑类项目从立项到竣工验收全流程审批总时限90个工作日。"})
        simple, _ = ProjectType.objects.get_or_create(code=SIMPLE_TYPE, defaults={
            "name": "社会投资简易低风险工程", "promised_total": 15,
            "note": "建筑面积不大于2000平方米、功能单一、技术要求简单的社会投资新建、改扩建项目。"})
        for project_type, plans in ((gov, GOV_STAGES), (simple, SIMPLE_STAGES)):
            templates_reform.create_reform_stages(project_type, self.departments["zhongxin"])
            for template in project_type.stages.order_by("seq"):
                self.configure(template, plans[template.seq - 1])
        bundle, created = StageTemplate.objects.get_or_create(code=BUNDLE, defaults={
            "name": "企业开办", "kind": StageTemplate.Kind.BUNDLE, "lead_department": self.departments["shichang"],
            "promised_total": BUNDLE_DAYS, "audience": "organisation",
            "description": "营业执照、公章刻制、发票领用和社保登记一表申请、一窗受理、并联办理，2个工作日内办结。"})
        if created:
            for seq, name in enumerate(BUNDLE_ITEMS, start=1):
                StageItem.objects.create(template=bundle, item=self.items[name], seq=seq)
        # The leaders in charge carry their mobile numbers (for the green channel's SMS).
        rng = random.Random(7)
        for slug in LEADER_DEPARTMENTS:
            for user in User.objects.filter(department=self.departments[slug], roles__code=Role.APPROVER, mobile=""):
                user.mobile = people.mobile(rng)
                user.save(update_fields=["mobile"])
                self.users[user.pk].mobile = user.mobile

    def configure(self, template: StageTemplate, plan: StagePlan) -> None:
        if template.items.exists():
            return
        template.lead_department = self.departments[plan.lead]
        template.questions = [dict(q) for q in plan.questions]
        template.save(update_fields=["lead_department", "questions"])
        for seq, (name, condition) in enumerate(plan.items, start=1):
            StageItem.objects.create(template=template, item=self.items[name], seq=seq, condition=condition)
        for source, material in plan.feeds:
            ResultFeed.objects.create(template=template, source_item=self.items[source], material_name=material)

    # -- helpers -----------------------------------------------------------------------------------
    def register(self, back: int, *, name, owner, uscc, location, district, investment, kind, industry,
                 project_type, lead, code="", key=False, green=False, answers=None) -> Project:
        clock.set_now(self.at(back, 9, 30))
        project = joint.register_project(actor=self.clerk, data=joint.ProjectInput(
            name=name, owner_name=owner, owner_uscc=uscc, location=location, division=DIVISION,
            total_investment=investment, kind=kind, industry=industry,
            project_type=ProjectType.objects.get(code=project_type), lead_department=self.departments[lead],
            code=code, district=self.departments[district], key_project=key, green_channel=green,
            answers=answers or {}))
        self.result.created["projects"] += 1
        return project

    def applicant(self, name: str, uscc: str) -> cases.ApplicantInput:
        return cases.ApplicantInput(kind=ApplicantKind.ORGANISATION, name=name, id_number=uscc,
                                    contact_name=people.person_name(self.rng), phone=people.mobile(self.rng))

    def scan(self, name: str, owner: str) -> files.StoredFile:
        return files.store(files.inspect(ContentFile(portal.pdf_file(name, owner), name=f"{name}.pdf")))

    def open(self, template: StageTemplate, back: int, applicant: cases.ApplicantInput,
             project: Project | None = None, answers: dict | None = None) -> dict[str, int]:
        """Open the stage at 10:00 of that day (after what was queued before it): every material not
        reused from an earlier result is brought once; returns item name → case id."""
        self.flush()
        clock.set_now(self.at(back, 10, self.rng.randint(0, 40)))
        answers = answers if answers is not None else (project.answers if project else {})
        reusable = joint.reusable_results(template, project, applicant)
        shared = {name: self.scan(name, applicant.name) for name, _ in joint.materials_needed(template, answers)
                  if name not in reusable}
        self.opened = clock.now()
        stage = joint.open_stage(actor=self.clerk, template=template, applicant=applicant, project=project,
                                 answers=answers, shared=shared, form=self.form(template, project, applicant),
                                 ip="10.20.9.8")
        self.result.created["stages"] += 1
        return {part.item.current_version().name: part.case_id
                for part in stage.parts.select_related("item")}

    @staticmethod
    def form(template, project, applicant) -> dict:
        form = {"申请人": applicant.name, "联系人": applicant.contact_name, "联系电话": applicant.phone}
        if project is not None:
            form |= {"项目代码": project.code, "项目名称": project.name, "建设地点": project.location,
                     "总投资(万元)": str(project.total_investment)}
        return form

    def review(self, stage_case_id: int, back: int, title: str, owner: str, *, invited: tuple[str, ...],
               opinions: tuple[tuple[str, int, str, str], ...], mark: tuple[str, int, str] | None = None,
               conclusion: tuple[int, str] | None = None) -> JointReview:
        """网上联审 on the stage of that case, opened by its lead department's handler at 15:00 of day `back`:
        opinions (department slug, day back, verdict, text), a mark on page 1 (slug, day back, comment)
        and the lead's conclusion (day back, text)."""
        stage = Stage.objects.select_related("lead_department", "project").get(parts__case_id=stage_case_id)
        clock.set_now(self.at(back, 15))
        drawings = ContentFile(drawing_pdf(f"{stage.project.name}设计方案", owner,
                                           ("总平面图", "地下室平面图", "立面图")), name="设计方案图纸.pdf")
        review = reviews.open_review(
            self.staff(stage.lead_department_id, Role.HANDLER), stage=stage, title=title,
            departments=[self.departments[slug] for slug in invited], limit_days=5, documents=[drawings])
        for slug, day, verdict, text in opinions:
            clock.set_now(self.at(day, 11, self.rng.randint(0, 50)))
            reviews.post_opinion(self.staff(self.departments[slug].pk, Role.HANDLER), review, verdict, text)
        if mark is not None:
            slug, day, comment = mark
            clock.set_now(self.at(day, 16))
            reviews.annotate(self.staff(self.departments[slug].pk, Role.HANDLER), review.documents.get(), 1,
                             0.42, 0.38, comment)
        if conclusion is not None:
            day, text = conclusion
            clock.set_now(self.at(day, 16, 30))
            review = reviews.conclude(self.staff(stage.lead_department_id, Role.APPROVER), review, text)
        self.result.created["reviews"] += 1
        return review

    def stage_template(self, project_type: str, seq: int) -> StageTemplate:
        return StageTemplate.objects.get(project_type__code=project_type, seq=seq)

    # -- the projects ------------------------------------------------------------------------------
    def play(self) -> None:
        self.build_path()
        for project in (self.hospital, self.apartments, self.school, self.warehouse, self.business_startups):
            project()
            self.flush()

    def hospital(self) -> None:
        """A key project that is late: stage 2 past its total, 规划局's part overdue."""
        owner, uscc = f"{CITY}卫生健康委员会", people.uscc(self.rng, registrar="11")
        project = self.register(
            78, name=f"{CITY}第一人民医院新院区门诊医技综合楼工程", owner=owner, uscc=uscc,
            location=f"{CITY}城东区青山路以南、东湖路以西", district="chengdong", investment="86000",
            kind=ProjectKind.APPROVAL, industry="47", project_type=GOV_TYPE, lead="fagai", key=True,
            answers={"civil_air_defence": True, "special_fire": True})
        applicant = self.applicant(owner, uscc)
        # 项目建议书 before the first stage: its 批复 is reused by the 可研 of stage 1.
        clock.set_now(self.at(76, 10))
        self.opened = clock.now()
        proposal = self.items["政府投资项目建议书审批"]
        version = proposal.current_version()
        case = cases.receive(actor=self.clerk, item=proposal, applicant=applicant,
                             materials={m.pk: {"received": True} for m in version.materials.all()},
                             channel="window", title=project.name, ip="10.20.9.8", project_code=project.code)
        case = cases.perform(case, "accept", actor=self.clerk, ip="10.20.9.8")
        self.drive(case.pk, 75, 67)
        parts = self.open(self.stage_template(GOV_TYPE, 1), 64, applicant, project)
        feasibility = parts["政府投资项目可行性研究报告审批"]
        self.drive(parts["建设项目用地预审与选址意见书核发"], 63, 52)
        self.drive(parts["建设用地规划许可证核发"], 62, 50)
        # The feasibility study goes to experts (特别程序): its own clock stops, the stage's runs on.
        self.perform(feasibility, "pass", self.at(63, 15), opinion="材料齐全，提请专家评审。")
        self.perform(feasibility, "suspend", self.at(62, 11), kind="expert_review",
                     reason="组织专家对可行性研究报告进行评审。", expected_days=6)
        self.perform(feasibility, "resume", self.at(56, 15), comment="专家评审意见已出具，恢复计时。")
        self.drive(feasibility, 55, 46)
        # Stage 2: the 建设用地规划许可证 of stage 1 is received without upload; now late.
        parts = self.open(self.stage_template(GOV_TYPE, 2), 33, applicant, project)
        planning = parts["建设工程规划许可证核发"]
        # The design drawings in the joint review room: 消防救援支队 has not answered, past the deadline.
        self.review(planning, 32, "门诊医技综合楼建设工程设计方案联合审查", owner,
                    invited=("renfang", "zhujian", "xiaofang"),
                    opinions=(("renfang", 30, "conditional",
                               "防空地下室面积应按地面总建筑面积的5%配建，请调整地下二层平面并补充人防专项设计说明。"),
                              ("zhujian", 29, "agree", "")),
                    mark=("zhujian", 29, "消防车道转弯半径不足12米，请核实总平面图东北角的道路布置。"))
        self.drive(parts["人民防空工程建设审批(防空地下室)"], 32, 14)
        self.perform(planning, "pass", self.at(31, 16), opinion="设计方案提请规划委员会专家审查。")
        self.perform(planning, "suspend", self.at(28, 10), kind="expert_review",
                     reason="建设工程设计方案提交专家审查。", expected_days=5)
        self.perform(planning, "resume", self.at(22, 15), comment="专家审查意见已出具，恢复计时。")
        self.drive(planning, 20, 17, stop="pass", passes=2)

    def apartments(self) -> None:
        """A key project in the green channel: halved limits, the leaders told at acceptance."""
        owner, uscc = f"{CITY}城市建设投资集团有限公司", people.uscc(self.rng)
        project = self.register(
            7, name=f"{CITY}滨河新城人才公寓项目", owner=owner, uscc=uscc,
            location=f"{CITY}滨河区滨河新城C-12地块", district="binhe", investment="124500",
            kind=ProjectKind.APPROVAL, industry="47", project_type=GOV_TYPE, lead="fagai", key=True, green=True,
            answers={"civil_air_defence": True, "special_fire": False})
        applicant = self.applicant(owner, uscc)
        parts = self.open(self.stage_template(GOV_TYPE, 1), 5, applicant, project)
        self.drive(parts["建设项目用地预审与选址意见书核发"], 4, 1)
        self.drive(parts["建设用地规划许可证核发"], 4, 2)
        self.drive(parts["政府投资项目可行性研究报告审批"], 4, 2, stop="pass", passes=2)

    def school(self) -> None:
        """Code from the national platform; three stages concluded, each reusing earlier results."""
        owner, uscc = f"{CITY}滨河区教育局", people.uscc(self.rng, registrar="11")
        year = timezone.localdate(self.at(100)).year
        project = self.register(
            100, name=f"{CITY}滨河区第三实验小学新建工程", owner=owner, uscc=uscc,
            location=f"{CITY}滨河区柳林路88号", district="binhe", investment="23800",
            kind=ProjectKind.APPROVAL, industry="47", project_type=GOV_TYPE, lead="fagai",
            code=f"{year}-{DIVISION}-47-01-{self.rng.randint(100, 999999):06d}",
            answers={"civil_air_defence": False, "special_fire": True})
        applicant = self.applicant(owner, uscc)
        parts = self.open(self.stage_template(GOV_TYPE, 1), 98, applicant, project)
        for n, case_id in enumerate(parts.values()):
            self.drive(case_id, 97 - n, 84 - 2 * n)
        parts = self.open(self.stage_template(GOV_TYPE, 2), 76, applicant, project)  # no 人防 asked
        self.drive(parts["建设工程规划许可证核发"], 75, 58)
        parts = self.open(self.stage_template(GOV_TYPE, 3), 50, applicant, project)
        self.review(parts["建筑工程施工许可证核发"], 50, "第三实验小学施工图联合审查", owner,
                    invited=("guihua", "xiaofang"),
                    opinions=(("guihua", 49, "agree", "与建设工程规划许可证及附图一致。"),
                              ("xiaofang", 48, "conditional", "教学楼疏散楼梯净宽应不小于1.4米，请在施工图中落实。")),
                    conclusion=(47, "经联合审查，施工图符合规划许可和消防技术标准，同意按各部门意见修改完善后"
                                    "办理施工许可。消防救援支队关于疏散楼梯净宽的意见须在施工图中落实。"))
        self.drive(parts["建筑工程施工许可证核发"], 49, 47)
        self.drive(parts["建设工程消防设计审查"], 49, 41)
        parts = self.open(self.stage_template(GOV_TYPE, 4), 4, applicant, project)
        self.drive(parts["建设工程规划核实"], 3, 1, stop="grant")
        self.drive(parts["建设工程消防验收"], 3, 2, stop="pass", passes=1)

    def warehouse(self) -> None:
        """A simple low-risk building of the demo developer: its first stage due about now."""
        developer = next(a for a in people.demo_applicants() if a.key == "developer")
        project = self.register(
            6, name=f"{developer.name}临港物流园2号仓库工程", owner=developer.name, uscc=developer.id_number,
            location=f"{CITY}临港产业园纬三路16号", district="chengdong", investment="1850",
            kind=ProjectKind.FILING, industry="59", project_type=SIMPLE_TYPE, lead="fagai")
        applicant = cases.ApplicantInput(kind=ApplicantKind.ORGANISATION, name=developer.name,
                                         id_number=developer.id_number, contact_name=developer.contact_name,
                                         phone=developer.mobile)
        parts = self.open(self.stage_template(SIMPLE_TYPE, 1), 4, applicant, project)
        self.drive(parts["企业投资项目备案"], 4, 4)
        self.drive(parts["建设用地规划许可证核发"], 3, 1, stop="pass", passes=2)

    def business_startups(self) -> None:
        """企业开办: one in a working day, one in two, one under way."""
        bundle = StageTemplate.objects.get(code=BUNDLE)
        for opened, finished in ((21, 20), (9, 7), (0, None)):
            name = people.organisation_name(self.rng, "shichang", CITY)
            applicant = self.applicant(name, people.uscc(self.rng))
            parts = self.open(bundle, opened, applicant)
            for n, case_id in enumerate(parts.values()):
                if finished is None:
                    if n < 2:
                        self.drive(case_id, 0, 0)
                    continue
                # The bundle's items are worked side by side, from the day it opened; an on-the-spot
                # item (即办, e.g. 印章刻制备案) is done that day.
                on_the_spot = not Case.objects.filter(pk=case_id).values_list("promised_limit", flat=True).get()
                self.drive(case_id, opened, opened if on_the_spot else finished)
            self.result.created["bundles"] += 1


OPINIONS = ("材料齐全，符合规定，同意。", "经审查符合要求，拟同意。", "已核查，同意提交下一环节。", "审核通过。")


def play(end: dt.datetime, seed: int, result) -> None:
    if demo_projects().exists():
        return
    ProjectPlayer(end, seed, result).play()
