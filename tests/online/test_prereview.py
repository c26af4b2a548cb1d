"""预审 by the window: the queue, who may decide, accept into a case, one correction notice, refuse."""

import pytest

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.applicants.services import my_cases
from shenpi.cases.models import Case, Channel, Notice, State
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.notifications.models import Notification
from shenpi.online import services
from shenpi.online.models import CorrectionNotice, OnlineApplication
from tests import factories as f

from .conftest import PNG, at, filled, pdf, submitted, upload

Status = OnlineApplication.Status


def _messages(template):
    return list(Notification.objects.filter(template=template).order_by("pk"))


# -- the queue -------------------------------------------------------------------------------------

def test_the_queue_is_oldest_first_and_limited_to_the_department(world):
    clock.set_now(at(2026, 3, 3, 9))
    late = submitted(world, world.organisation)
    clock.set_now(at(2026, 3, 2, 9))
    early = submitted(world)
    clock.set_now(at(2026, 3, 4, 9))
    filled(world)  # a draft is not the window's business
    clerk = world.people["clerk"]
    assert list(services.prereview_queue(clerk)) == [early, late]
    assert [a.prereview_due.isoformat() for a in services.prereview_queue(clerk)] == ["2026-03-04", "2026-03-05"]
    assert services.queue_counts(clerk) == {"submitted": 2, "correcting": 0, "accepted": 0, "refused": 0}
    assert list(services.prereview_queue(world.window_clerk)) == [early, late]  # 综合受理 sees every department
    assert list(services.prereview_queue(world.others["clerk"])) == []
    assert list(services.prereview_queue(world.people["handler"])) == []


# -- accept ----------------------------------------------------------------------------------------

@pytest.mark.clocks
def test_accepting_creates_an_online_case_with_the_uploads_attached(world):
    clock.set_now(at(2026, 3, 2, 9))
    app = submitted(world, world.organisation)
    clock.set_now(at(2026, 3, 3, 10))
    clerk = world.people["clerk"]
    case = services.accept(app, clerk, ip="10.0.0.8")
    app.refresh_from_db()
    assert (app.status, app.case, app.decided_by, app.decided_at) == (Status.ACCEPTED, case, clerk, at(2026, 3, 3, 10))
    case = Case.objects.get(pk=case.pk)
    assert case.channel == Channel.ONLINE and case.state == State.IN_PROGRESS
    assert case.title == "示范大厦工程" and case.received_by == clerk and case.accepted_at == at(2026, 3, 3, 10)
    # Received when submitted (art. 32): the pre-review day after does not move the clock's start.
    assert case.received_at == at(2026, 3, 2, 9) and case.accept_date.isoformat() == "2026-03-02"
    assert case.events.first().at == case.received_at  # the trail says when the application came in
    assert (case.applicant_kind, case.applicant_name, case.applicant_id) == (
        "organisation", "示范科技有限公司", world.organisation.id_number)
    assert case.applicant_id_index == world.organisation.id_index
    assert (case.contact_name, case.contact_phone) == ("王五", "13800138000")
    assert case.notices.filter(kind=Notice.Kind.ACCEPTANCE).exists()
    uploads = services.current_uploads(app)
    materials = {m.spec_id: m for m in case.materials.all()}
    for spec in world.specs():
        material = materials[spec.pk]
        if spec.pk in uploads:
            upload_row = uploads[spec.pk]
            assert material.received and material.file.name == upload_row.file.name
            assert (material.content_hash, material.content_type, material.size) == (
                upload_row.digest, "application/pdf", upload_row.size)
            assert material.file.read() == upload_row.file.read()
        elif spec.required:
            assert material.deferred and not material.received  # 容缺: brought after acceptance
            assert material.due_on is not None
        else:
            assert not material.received and not material.file
    # The commitment the applicant ticked when submitting is on record with the case.
    [commitment] = case.commitments.all()
    assert commitment.signer == "示范科技有限公司" and commitment.materials == [
        s.name for s in world.specs() if s.required and s.deferrable]
    assert [e.action for e in app.events.all()][-1] == "accept"
    [sms] = _messages("case_accepted")
    assert sms.address == "13800138000" and sms.case == case
    assert case.number in sms.body
    assert list(my_cases(world.organisation)) == [case]


def test_only_clerks_of_the_items_department_or_the_comprehensive_window_accept(world):
    app = submitted(world)
    for person in (world.others["clerk"], world.people["handler"], world.people["supervisor"],
                   world.applicant.user):
        with pytest.raises(Forbidden):
            services.accept(app, person)
    with pytest.raises(Forbidden, match="其他部门"):
        services.request_correction(app, world.others["clerk"], [{"spec": world.specs()[0].pk}])
    with pytest.raises(Forbidden, match="窗口人员"):
        services.refuse(app, world.people["approver"], "不符合条件")
    assert Case.objects.count() == 0 and Notification.objects.filter(template="case_accepted").count() == 0
    case = services.accept(app, world.window_clerk)
    assert case.received_by == world.window_clerk


def test_an_application_is_accepted_once(world):
    app = submitted(world)
    services.accept(app, world.people["clerk"])
    with pytest.raises(TransitionRefused, match="申请当前为“已受理”，不能受理。"):
        services.accept(app, world.window_clerk)
    with pytest.raises(TransitionRefused):
        services.refuse(app, world.people["clerk"], "重复")
    assert Case.objects.count() == 1


def test_a_failed_acceptance_changes_nothing(world):
    no_flow = f.item(world.dept, name="没有流程的事项", steps=())
    app = services.start(world.applicant, no_flow)
    services.save_draft(world.applicant, app, title="测试")
    for spec in world.specs(no_flow):
        services.add_upload(world.applicant, app, spec.pk, upload("材料.pdf", pdf(1)))
    app = services.submit(world.applicant, app)
    with pytest.raises(TransitionRefused, match="没有配置办理流程"):
        services.accept(app, world.people["clerk"])
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.case is None
    assert Case.objects.count() == 0 and not _messages("case_accepted")


# -- 一次性告知 ------------------------------------------------------------------------------------

def _correct(world, app):
    specs = world.specs()
    return services.request_correction(app, world.people["clerk"], [
        {"spec": specs[1].pk, "problem": "未加盖公章"},
        {"spec": specs[2].pk},
        {"spec": str(specs[1].pk), "problem": "未加盖公章"},  # listed twice: once in the notice
    ], note="请于10个工作日内补正")


def test_one_notice_lists_every_missing_or_wrong_material(world):
    app = submitted(world)
    notice = _correct(world, app)
    app.refresh_from_db()
    specs = world.specs()
    assert app.status == Status.CORRECTING
    seen = services.current_uploads(app)[specs[1].pk].pk
    assert notice.items == [
        {"spec": specs[1].pk, "name": "建设工程规划许可证", "problem": "未加盖公章", "upload": seen},
        {"spec": specs[2].pk, "name": "施工图设计文件审查合格书", "problem": "未提交", "upload": None},
    ]
    [sms] = _messages("correction_requested")
    assert sms.address == "13912345678" and sms.case is None and sms.topic == f"online:{app.pk}"
    assert app.number in sms.body
    assert "1. 建设工程规划许可证（未加盖公章）\n2. 施工图设计文件审查合格书（未提交）" in sms.body
    assert "说明：请于10个工作日内补正" in sms.body
    event = app.events.last()
    assert event.action == "request_correction" and "建设工程规划许可证：未加盖公章" in event.comment


def test_a_notice_must_list_something_of_this_item(world):
    app = submitted(world)
    with pytest.raises(InvalidInput, match="请列出全部需要补正的材料"):
        services.request_correction(app, world.people["clerk"], [])
    foreign = f.item(world.other).current_version().materials.first()
    with pytest.raises(InvalidInput, match="所列材料不属于该事项"):
        services.request_correction(app, world.people["clerk"], [{"spec": foreign.pk}])
    assert not CorrectionNotice.objects.exists()


def test_the_applicant_corrects_what_was_listed_and_resubmits(world):
    clock.set_now(at(2026, 3, 2, 9))
    app = submitted(world)
    clock.set_now(at(2026, 3, 3, 9))
    _correct(world, app)
    specs = world.specs()
    applicant = world.applicant
    with pytest.raises(InvalidInput, match="只能重新上传补正告知所列的材料"):
        services.add_upload(applicant, app, specs[0].pk, upload("申请表.pdf", pdf(1)))
    with pytest.raises(TransitionRefused, match="申请提交后不能删除材料"):
        services.remove_upload(applicant, app, app.uploads.first().pk)
    clock.set_now(at(2026, 3, 4, 9))
    old = services.current_uploads(app)[specs[1].pk]
    services.add_upload(applicant, app, specs[1].pk, upload("规划许可证（盖章）.png", PNG, "image/png"))
    with pytest.raises(InvalidInput) as refused:
        services.submit(applicant, app)
    assert refused.value.fields["materials"] == ["请按补正告知重新上传：施工图设计文件审查合格书。"]
    services.add_upload(applicant, app, specs[2].pk, upload("审查合格书.pdf", pdf(3)))
    clock.set_now(at(2026, 3, 5, 15))
    app = services.submit(applicant, app)
    assert app.status == Status.SUBMITTED
    assert app.first_submitted_at == at(2026, 3, 2, 9) and app.submitted_at == at(2026, 3, 5, 15)
    assert app.prereview_due.isoformat() == "2026-03-09"
    assert [e.action for e in app.events.all()] == ["create", "submit", "request_correction", "resubmit"]
    # The file the window first saw is kept aside, not lost.
    old.refresh_from_db()
    assert old.superseded_at == at(2026, 3, 4, 9) and old.file.read()
    # 一次性告知: no second notice on the same application.
    with pytest.raises(TransitionRefused, match="一次性告知：本申请已出具过补正告知，不能再次要求补正。"):
        services.request_correction(app, world.people["clerk"], [{"spec": specs[0].pk}])
    case = services.accept(app, world.people["clerk"])
    # A timely correction notice: the application counts as received when it came back complete.
    assert case.received_at == at(2026, 3, 5, 15)
    material = case.materials.get(spec=specs[1])
    assert material.content_type == "image/png" and material.file.name == services.current_uploads(app)[
        specs[1].pk].file.name
    assert case.materials.get(spec=specs[2]).received


def test_while_correcting_the_window_cannot_accept_but_may_refuse(world):
    app = submitted(world)
    _correct(world, app)
    with pytest.raises(TransitionRefused, match="申请当前为“待补正”，不能受理。"):
        services.accept(app, world.people["clerk"])
    services.refuse(app, world.people["clerk"], "逾期未补正")
    app.refresh_from_db()
    assert app.status == Status.REFUSED


# -- 不予受理 --------------------------------------------------------------------------------------

def test_refusal_needs_a_reason_and_tells_the_applicant(world):
    app = submitted(world)
    with pytest.raises(InvalidInput, match="不予受理必须写明理由。"):
        services.refuse(app, world.people["clerk"], "  ")
    app = services.refuse(app, world.people["clerk"], "申请事项不属于本机关职权范围")
    assert app.status == Status.REFUSED and app.refusal_reason == "申请事项不属于本机关职权范围"
    assert app.decided_by == world.people["clerk"]
    [sms] = _messages("case_refused")
    assert sms.address == "13912345678" and "理由：申请事项不属于本机关职权范围" in sms.body and app.number in sms.body
    with pytest.raises(TransitionRefused):
        services.save_draft(world.applicant, app, title="再试")
    with pytest.raises(TransitionRefused):
        services.submit(world.applicant, app)
    assert Case.objects.count() == 0


def test_people_of_staff_roles_outside_the_window_see_no_queue(world):
    assert not services.may_prereview(world.people["handler"])
    assert services.may_prereview(world.people["clerk"]) and services.may_prereview(world.window_clerk)
    liaison = f.user(world.dept, Role.LIAISON)
    assert services.prereview_scope(liaison).count() == 0
