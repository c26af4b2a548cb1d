"""一件事一次办 online: one form and one material list, pre-reviewed by the comprehensive window, opened as one
stage (one case per item, all at once, channel 网上申报), followed by the applicant as one progress."""

import time

import pytest
from django.conf import settings
from django.test import Client

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases.models import Case, Channel, State
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.joint import services as joint
from shenpi.joint.models import ProjectKind, SharedMaterial, Stage, StageItem, StageTemplate
from shenpi.notifications.models import Notification
from shenpi.online import stage_services as services
from shenpi.online.models import StageApplication
from tests import factories as f
from tests.applicants.helpers import client_for, real_named, verified
from tests.concurrency import race

from .bundles import APPLICATION_FORM, ARTICLES, INVOICE, build, project_type
from .conftest import EXE, at, pdf, upload

Status = StageApplication.Status


@pytest.fixture
def bundle(db):
    return build()


def _filled(bundle, applicant=None, *, invoice=False, skip=()):
    applicant = applicant or bundle.founder
    app = services.start(applicant, bundle.template)
    services.save_draft(applicant, app, title="杭州示范餐饮有限公司", answers={"need_invoice": invoice})
    for name in bundle.needed(invoice):
        if name not in skip:
            services.add_upload(applicant, app, name, upload(f"{name}.pdf", pdf(2)))
    return app


def _submitted(bundle, **kw):
    app = _filled(bundle, **kw)
    return services.submit(app.applicant, app)


# -- the applicant's draft ---------------------------------------------------------------------------

def test_only_a_real_name_verified_account_may_apply_for_a_bundle(bundle):
    with pytest.raises(Forbidden, match="实名认证"):
        services.start(bundle.registered, bundle.template)
    real_named(bundle.registered)
    app = services.start(bundle.registered, bundle.template)
    assert app.status == Status.DRAFT and app.number.startswith("YJ")


def test_the_answers_decide_the_items_and_the_one_material_list(bundle):
    app = services.start(bundle.founder, bundle.template)
    assert [si.item for si in services.included(app)] == [bundle.items[0], bundle.items[1], bundle.items[3]]
    # Each material once, though several items list it (企业开办申请表 by three departments).
    assert [row["name"] for row in services.material_rows(app)] == bundle.needed()
    services.save_draft(bundle.founder, app, title="示范餐饮", answers={"need_invoice": True})
    app.refresh_from_db()
    assert app.answers == {"need_invoice": True}
    assert len(services.included(app)) == 4
    assert [row["name"] for row in services.material_rows(app)] == bundle.needed(invoice=True)


def test_a_draft_is_saved_files_are_checked_and_submission_names_what_is_missing(bundle):
    clock.set_now(at(2026, 3, 2, 9))
    app = _filled(bundle, skip=(ARTICLES,))
    with pytest.raises(InvalidInput) as refused:
        services.add_upload(bundle.founder, app, ARTICLES, upload("章程.pdf", EXE))
    assert "file" in refused.value.fields
    with pytest.raises(InvalidInput, match="不在本次申报的材料清单"):
        services.add_upload(bundle.founder, app, INVOICE, upload("发票.pdf", pdf()))  # not asked for: no invoice
    with pytest.raises(InvalidInput) as refused:
        services.submit(bundle.founder, app)
    assert refused.value.fields["materials"] == [f"请上传以下必需材料：{ARTICLES}。"]
    first = services.add_upload(bundle.founder, app, ARTICLES, upload("章程.png", f.PNG_SCAN))
    again = services.add_upload(bundle.founder, app, ARTICLES, upload("章程.pdf", pdf(3)))
    assert list(app.uploads.filter(material=ARTICLES)) == [again]  # replaced before submission: gone
    assert first.pk != again.pk and again.pages == 3 and len(again.digest) == 64
    app = services.submit(bundle.founder, app)
    assert app.status == Status.SUBMITTED
    assert app.prereview_due.isoformat() == "2026-03-04"
    with pytest.raises(TransitionRefused):
        services.add_upload(bundle.founder, app, ARTICLES, upload("章程.pdf", pdf()))


def test_the_applicants_pages_save_and_submit(bundle):
    client = client_for(bundle.founder)
    response = client.get("/apply/bundles/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "企业开办" in page and "2个工作日" in page and "在线申报" in page and APPLICATION_FORM in page
    response = client.post(f"/apply/bundles/{bundle.template.code}/start/")
    app = StageApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/apply/stages/{app.number}/"
    response = client.post(f"/apply/stages/{app.number}/save/", {"title": "示范餐饮", "answer-need_invoice": "1"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.answers == {"need_invoice": True} and app.title == "示范餐饮"
    page = client.get(f"/apply/stages/{app.number}/").content.decode()
    assert "发票领用" in page and INVOICE in page
    for name in bundle.needed(invoice=True):
        response = client.post(f"/apply/stages/{app.number}/upload/",
                               {"material": name, "file": upload(f"{name}.pdf", pdf())})
        assert response.status_code == 302
    response = client.post(f"/apply/stages/{app.number}/save/", {"title": "示范餐饮", "answer-need_invoice": "1",
                                                                "submit": "1"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


# -- pre-review by the comprehensive window -----------------------------------------------------------

@pytest.mark.clocks
def test_accepting_opens_every_case_at_once_online_with_the_uploads_shared(bundle):
    clock.set_now(at(2026, 3, 2, 9))
    app = _submitted(bundle, invoice=True)
    clock.set_now(at(2026, 3, 3, 10))
    stage = services.accept(app, bundle.clerk, ip="10.0.0.8")
    app.refresh_from_db()
    assert (app.status, app.stage, app.decided_by) == (Status.ACCEPTED, stage, bundle.clerk)
    assert stage.online_application == app and stage.project is None and stage.state == Stage.State.OPEN
    # Counted from the submission (2 March), when the organ received it (art. 32), not from the acceptance.
    assert stage.accept_date.isoformat() == "2026-03-02"
    assert stage.promised_total == 2 and stage.promised_due.isoformat() == "2026-03-04"
    assert stage.form["application"] == app.number
    cases = [part.case for part in stage.parts.select_related("case").order_by("pk")]
    assert [c.item for c in cases] == bundle.items
    assert {c.channel for c in cases} == {Channel.ONLINE} and {c.state for c in cases} == {State.IN_PROGRESS}
    assert {c.title for c in cases} == {"企业开办"}
    assert {c.department for c in cases} == set(bundle.departments)
    uploads = services.current_uploads(app)
    form = uploads[APPLICATION_FORM]
    # The one 企业开办申请表 uploaded once is received by the three cases that list it: the same stored file.
    received = Case.objects.filter(pk__in=[c.pk for c in cases]).values_list(
        "materials__name", "materials__received", "materials__content_hash", "materials__file")
    rows = [r for r in received if r[0] == APPLICATION_FORM]
    assert len(rows) == 3 and {r[1:] for r in rows} == {(True, form.digest, form.file.name)}
    assert all(r[1] for r in received)
    assert set(SharedMaterial.objects.filter(stage=stage).values_list("name", flat=True)) == set(
        bundle.needed(invoice=True))
    assert Notification.objects.filter(template="case_accepted").count() == 4
    with pytest.raises(TransitionRefused):
        services.accept(app, bundle.clerk)


def test_only_the_comprehensive_window_pre_reviews_a_bundle(bundle):
    app = _submitted(bundle)
    department_clerk = bundle.people[0]["clerk"]
    with pytest.raises(Forbidden):
        services.accept(app, department_clerk)
    assert list(services.prereview_queue(department_clerk)) == []
    assert list(services.prereview_queue(bundle.clerk)) == [app]
    assert services.queue_counts(bundle.clerk)["submitted"] == 1
    assert Case.objects.count() == 0


def test_one_correction_notice_lists_the_materials_and_only_those_are_replaced(bundle):
    app = _submitted(bundle)
    notice = services.request_correction(app, bundle.clerk, [{"name": ARTICLES, "problem": "未签字"},
                                                             {"name": APPLICATION_FORM, "problem": ""}],
                                         note="请法定代表人签字后上传")
    app.refresh_from_db()
    assert app.status == Status.CORRECTING
    assert [(e["name"], e["problem"]) for e in notice.items] == [(APPLICATION_FORM, "材料不符合要求"),
                                                                (ARTICLES, "未签字")]
    sms = Notification.objects.get(template="correction_requested", channel=Notification.Channel.SMS)
    assert "企业开办" in sms.body and ARTICLES in sms.body
    with pytest.raises(InvalidInput, match="只能重新上传补正告知所列"):
        services.add_upload(bundle.founder, app, "公章样式", upload("公章.pdf", pdf()))
    services.add_upload(bundle.founder, app, ARTICLES, upload("章程-签字.pdf", pdf()))
    with pytest.raises(InvalidInput) as refused:
        services.submit(bundle.founder, app)
    assert f"请按补正告知重新上传：{APPLICATION_FORM}。" in refused.value.fields["materials"]
    with pytest.raises(TransitionRefused, match="情形"):
        services.save_draft(bundle.founder, app, title="示范餐饮", answers={"need_invoice": True})
    services.add_upload(bundle.founder, app, APPLICATION_FORM, upload("申请表-新.pdf", pdf()))
    app = services.submit(bundle.founder, app)
    assert app.status == Status.SUBMITTED
    assert app.uploads.filter(superseded_at__isnull=False).count() == 2  # what the window saw stays on file
    with pytest.raises(TransitionRefused, match="一次性告知"):
        services.request_correction(app, bundle.clerk, [{"name": ARTICLES}])
    stage = services.accept(app, bundle.clerk)
    articles = Case.objects.get(stage_part__stage=stage, item=bundle.items[0]).materials.get(name=ARTICLES)
    assert articles.file_name == "章程-签字.pdf"


def test_the_window_pages_accept_and_correct(bundle):
    app = _submitted(bundle)
    window = Client()
    f.login_staff(window, bundle.clerk)
    queue = window.get("/workbench/prereview/")
    assert "一件事/阶段申报（1件待预审）" in queue.content.decode()
    page = window.get("/workbench/prereview/stages/")
    assert page.status_code == 200 and app.number in page.content.decode()
    detail = window.get(f"/workbench/prereview/stages/{app.number}/").content.decode()
    assert "同时受理" in detail and "市场监督管理局" in detail
    department = Client()
    f.login_staff(department, bundle.people[0]["clerk"])
    assert department.get(f"/workbench/prereview/stages/{app.number}/").status_code == 403
    response = window.post(f"/workbench/prereview/stages/{app.number}/accept/")
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.ACCEPTED and app.stage.parts.count() == 3
    second = _submitted(bundle, applicant=bundle.other)
    response = window.post(f"/workbench/prereview/stages/{second.number}/correct/",
                           {"item-1": "1", "problem-1": "章程缺页"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.CORRECTING and second.correction_notice.items[0]["name"] == ARTICLES


# -- one progress ----------------------------------------------------------------------------------

def _work(bundle, case, verdict="grant"):
    people = bundle.people[bundle.departments.index(case.department)]
    from shenpi.cases import services as cases

    case = cases.perform(case, "pass", actor=people["handler"], params={"opinion": "符合条件"})
    return cases.perform(case, verdict, actor=people["approver"], params={"opinion": "同意"})


def test_the_applicant_follows_the_bundle_as_one_progress(bundle):
    clock.set_now(at(2026, 3, 2, 9))
    app = _submitted(bundle)
    stage = services.accept(app, bundle.clerk)
    cases = [p.case for p in stage.parts.select_related("case").order_by("pk")]
    clock.set_now(at(2026, 3, 3, 9))
    _work(bundle, cases[0])
    client = client_for(bundle.founder)
    home = client.get("/account/").content.decode()
    assert stage.number in home and "查看整体进度" in home
    assert all(c.number in home for c in cases)  # each case still listed on its own (my_cases unchanged)
    page = client.get(f"/account/stages/{stage.number}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "企业开办" in text and "2个工作日" in text and "办理中" in text and "1/3项已作出决定" in text
    for case in cases:
        assert case.number in text and str(case.department) in text
        assert client.get(f"/account/cases/{case.number}/").status_code == 200
    assert "查看整体进度" in client.get(f"/account/cases/{cases[1].number}/").content.decode()
    application = client.get(f"/apply/stages/{app.number}/").content.decode()
    assert f"/account/stages/{stage.number}/" in application
    for case in cases[1:]:
        _work(bundle, case)
    stage.refresh_from_db()
    assert stage.state == Stage.State.CONCLUDED
    text = client.get(f"/account/stages/{stage.number}/").content.decode()
    assert "已办结" in text and stage.outcome in text and "3/3项已作出决定" in text


def test_another_applicant_sees_nothing_of_it(bundle):
    app = _submitted(bundle)
    stage = services.accept(app, bundle.clerk)
    other = client_for(bundle.other)
    assert other.get(f"/apply/stages/{app.number}/").status_code == 404
    assert other.get(f"/account/stages/{stage.number}/").status_code == 404
    assert other.get(f"/account/cases/{stage.parts.first().case.number}/").status_code == 404
    assert stage.number not in other.get("/account/").content.decode()
    upload_id = app.uploads.first().pk
    assert other.get(f"/apply/stages/{app.number}/files/{upload_id}/").status_code == 404
    with pytest.raises(Forbidden):
        services.add_upload(bundle.other, app, ARTICLES, upload("x.pdf", pdf()))


# -- a project stage, by the project's owner --------------------------------------------------------

def test_a_project_stage_is_applied_for_by_the_projects_owner_only(bundle):
    kind = project_type()
    template = StageTemplate.objects.create(code="social-1", name="立项用地规划许可阶段", project_type=kind,
                                            lead_department=bundle.departments[0], promised_total=15)
    StageItem.objects.create(template=template, item=bundle.items[0], seq=1)
    owner = real_named(verified(kind="organisation", name="杭州示范置业有限公司", id_number=f.ORG_USCC,
                                mobile="13600136000", contact_name="王经理"))
    project = joint.register_project(actor=bundle.clerk, data=joint.ProjectInput(
        name="城西科创中心", owner_name="杭州示范置业有限公司", owner_uscc=f.ORG_USCC, location="杭州市西湖区",
        division="330106", total_investment="52000", kind=ProjectKind.APPROVAL, industry="47",
        project_type=kind, lead_department=bundle.departments[0]))
    with pytest.raises(Forbidden, match="项目单位"):
        services.start(bundle.founder, template, project=project)
    client = client_for(owner)
    page = client.get(f"/apply/stages/?code={project.code}").content.decode()
    assert "立项用地规划许可阶段" in page
    assert client_for(bundle.founder).get(f"/apply/stages/?code={project.code}").status_code == 400
    client.post("/apply/stages/start/", {"code": project.code, "template": template.pk})
    app = StageApplication.objects.get(project=project)
    assert app.title == "城西科创中心"
    for name in (APPLICATION_FORM, ARTICLES, "股东、法定代表人身份证明"):
        services.add_upload(owner, app, name, upload(f"{name}.pdf", pdf()))
    services.save_draft(owner, app, title=app.title, contact_name="王经理")
    services.submit(owner, app)
    stage = services.accept(app, bundle.clerk)
    case = stage.parts.get().case
    assert stage.project == project and case.project_code == project.code and case.channel == Channel.ONLINE


def test_the_guide_asks_a_registered_account_for_real_name_first(bundle):
    client = client_for(bundle.registered)
    page = client.get("/apply/bundles/").content.decode()
    assert "须先" in page and "/account/real-name/" in page
    response = client.post(f"/apply/bundles/{bundle.template.code}/start/", follow=True)
    assert "实名认证" in response.content.decode() and not StageApplication.objects.exists()
    assert "real-name-needed" not in client_for(bundle.founder).get("/apply/bundles/").content.decode()


# -- two window clerks at the same moment (PostgreSQL row locks) ------------------------------------

@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="SQLite serialises writers by its file lock; row locks are tested on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_accepting_at_once_open_one_stage(monkeypatch):
    bundle = build()
    app = _submitted(bundle)
    second = f.user(bundle.window, Role.CLERK, full_name="综合窗口二")
    locking = services._lock

    def slow_lock(target):
        locked = locking(target)
        time.sleep(0.4)  # both would read 待预审 without the row lock
        return locked

    monkeypatch.setattr(services, "_lock", slow_lock)
    results = race(lambda: services.accept(app.pk, bundle.clerk), lambda: services.accept(app.pk, second))
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], TransitionRefused), results
    assert Stage.objects.count() == 1 and Case.objects.count() == 3
