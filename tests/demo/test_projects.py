"""The demo's construction-project path and 企业开办, as the key-project board and the window show them."""

import math

import pytest

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases.models import Case, CaseMaterial, ClockStop, Decision, State
from shenpi.demo import projects
from shenpi.joint import pages, reviews
from shenpi.joint.models import (
    Annotation,
    JointReview,
    Project,
    ProjectType,
    ResultFeed,
    ReviewInvitation,
    Stage,
    StageItem,
    StageTemplate,
)
from shenpi.notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.clocks(per_test=False)]


def test_the_reform_path_and_the_bundle_are_defined(demo):
    result, _ = demo
    assert result.failures == []
    for code, total in ((projects.GOV_TYPE, 90), (projects.SIMPLE_TYPE, 15)):
        project_type = ProjectType.objects.get(code=code)
        stages = list(project_type.stages.order_by("seq"))
        assert [s.name for s in stages] == ["立项用地规划许可阶段", "工程建设许可阶段", "施工许可阶段", "竣工验收阶段"]
        assert sum(s.promised_total for s in stages) == project_type.promised_total == total
        assert all(s.items.exists() for s in stages)
    civil = StageItem.objects.get(template__code=f"{projects.GOV_TYPE}-2", condition="civil_air_defence")
    assert civil.item.current_version().name == "人民防空工程建设审批(防空地下室)"
    assert ResultFeed.objects.filter(template__code=f"{projects.GOV_TYPE}-2", material_name="建设用地规划许可证",
                                     source_item__versions__name="建设用地规划许可证核发").exists()
    bundle = StageTemplate.objects.get(code=projects.BUNDLE)
    assert bundle.kind == StageTemplate.Kind.BUNDLE and bundle.promised_total == 2
    assert bundle.items.values("item__department").distinct().count() == 4


def test_a_key_project_is_late_and_names_the_department_behind(demo):
    today = clock.today()
    late = Stage.objects.filter(project__key_project=True, state=Stage.State.OPEN, promised_due__lt=today)
    assert late.count() == 1
    stage = late.get()
    overdue = stage.parts.filter(case__state=State.IN_PROGRESS, case__promised_due__lt=today)
    assert overdue.count() == 1 and overdue.get().department.short_name == "规划局"
    # That department's own expert review stopped its case's clock, not the stage's: 人防 worked on.
    assert ClockStop.objects.filter(case=overdue.get().case, stopped_days__gt=0).exists()
    assert stage.stopped_days == 0
    assert stage.project.stages.filter(state=Stage.State.CONCLUDED).exists()


def test_a_green_channel_project_runs_on_halved_limits_and_its_leaders_heard_by_sms(demo):
    project = Project.objects.get(green_channel=True)
    assert project.key_project
    stage = project.stages.get()
    assert stage.green and stage.promised_total == math.ceil(stage.template.promised_total / 2)
    for part in stage.parts.select_related("case__version"):
        version = part.case.version
        assert part.case.promised_limit == max(math.ceil(version.promised_limit / 2), version.shortest_limit, 1)
    sms = Notification.objects.filter(template="green_channel_accepted", case__stage_part__stage=stage)
    assert sms.count() >= stage.parts.count()
    assert all(n.recipient.mobile and n.recipient.has_role(Role.APPROVER) for n in sms.select_related("recipient"))


def test_an_earlier_result_was_received_as_a_material_of_a_later_stage(demo):
    reused = CaseMaterial.objects.filter(source_case__isnull=False, case__in=projects.joint_cases())
    names = set(reused.values_list("name", flat=True))
    assert {"建设用地规划许可证", "建设工程规划许可证", "项目建议书批复文件"} <= names
    for material in reused.select_related("case", "source_case"):
        assert material.source_case.decision == Decision.GRANT
        assert material.source_case.project_code == material.case.project_code != ""
        assert material.source_document and not material.file
    # The stage it came from was concluded before the later one opened.
    material = reused.filter(name="建设用地规划许可证").select_related("case", "source_case").first()
    earlier = material.source_case.stage_part.stage
    assert earlier.state == Stage.State.CONCLUDED and earlier.concluded_at <= material.case.received_at


def test_business_startups_one_done_in_a_working_day_one_under_way(demo):
    bundles = Stage.objects.filter(template__code=projects.BUNDLE)
    assert bundles.count() == 3 and not bundles.filter(project__isnull=False).exists()
    done = bundles.filter(state=Stage.State.CONCLUDED)
    assert sorted(done.values_list("used_days", flat=True)) == [1, 2]
    assert bundles.filter(state=Stage.State.OPEN).count() == 1
    for stage in bundles:
        assert stage.parts.count() == 4


def test_every_project_case_carries_its_code_and_was_opened_at_the_comprehensive_window(demo):
    for project in projects.demo_projects():
        cases = Case.objects.filter(project_code=project.code)
        assert cases.exists()
        assert set(cases.values_list("received_by__department__comprehensive", flat=True)) == {True}
        stage_cases = set(Case.objects.filter(stage_part__stage__project=project).values_list("pk", flat=True))
        assert stage_cases <= set(cases.values_list("pk", flat=True))
    assert Project.objects.filter(issued_here=False).count() == 1
    assert projects.demo_projects().filter(key_project=True).count() == 2


def test_the_green_channel_project_is_on_time_and_the_command_says_what_is_late(demo):
    today = clock.today()
    green = Stage.objects.get(project__green_channel=True)
    assert green.promised_due >= today
    assert not green.parts.filter(case__state=State.IN_PROGRESS, case__promised_due__lt=today).exists()
    line = projects.summary()
    assert line.startswith("项目 4（重点项目 2，绿色通道 1）") and line.endswith("其中超过承诺时限 1")


def test_the_late_key_project_has_a_joint_review_with_a_silent_department_and_a_mark(demo):
    today = clock.today()
    stage = Stage.objects.get(project__key_project=True, state=Stage.State.OPEN, promised_due__lt=today)
    review = stage.reviews.get()
    assert review.state == JointReview.State.OPEN and review.lead_department == stage.lead_department
    assert review.due_on < today and review.opened_at >= stage.opened_at
    answered = {i.department.short_name: i for i in review.invitations.select_related("department")}
    assert set(answered) == {"人防办", "住建局", "消防救援支队"}
    assert answered["人防办"].verdict == ReviewInvitation.Verdict.CONDITIONAL and "防空地下室" in answered[
        "人防办"].opinion
    assert answered["住建局"].verdict == ReviewInvitation.Verdict.AGREE
    assert answered["消防救援支队"].posted_at is None
    assert [d.short_name for d in reviews.late_departments(review, today)] == ["消防救援支队"]
    document = review.documents.get()
    assert document.pages == 3 and document.content_hash
    with document.file.open("rb") as handle:  # the drawings are a real PDF the room can lay out
        assert len(pages.page_sizes(handle.read())) == 3
    (mark,) = Annotation.objects.filter(document__review=review).select_related("department")
    assert mark.page == 1 and mark.department.short_name == "住建局" and 0 < mark.x < 1 and 0 < mark.y < 1
    assert Notification.objects.filter(template="joint_review_invited", topic=f"review:{review.number}").exists()


def test_a_concluded_stage_kept_its_concluded_joint_review(demo):
    concluded = projects.demo_reviews().filter(state=JointReview.State.CONCLUDED)
    assert concluded.count() == 1
    review = concluded.select_related("stage", "concluded_by").get()
    assert review.stage.state == Stage.State.CONCLUDED and "施工图" in review.conclusion
    assert review.concluded_by.has_role(Role.APPROVER) and review.concluded_by.department == review.lead_department
    assert review.concluded_at <= review.stage.concluded_at
    assert not review.invitations.filter(posted_at__isnull=True).exists()
    assert reviews.late_departments(review) == []
    assert projects.demo_reviews().count() == 2
