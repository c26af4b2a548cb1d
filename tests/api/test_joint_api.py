"""Projects, stages, bundles and joint reviews through /api/v1/: the one-call project page, who sees
what, registering a project and opening a stage with its shared materials."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shenpi import clock
from shenpi.api.pagination import INVALID_CURSOR
from shenpi.cases import services as cases
from shenpi.cases.models import State
from shenpi.joint import services
from shenpi.joint.models import (
    JointReview,
    ResultFeed,
    ReviewDocument,
    ReviewInvitation,
    Stage,
    StageItem,
    StageTemplate,
)
from shenpi.workdays.services import get_calendar
from tests import factories as f
from tests.joint import conftest as joint_fixtures
from tests.joint.conftest import ONE_STEP

from .conftest import at, token_client

PROJECTS, STAGES, REVIEWS, TEMPLATES = ("/api/v1/projects/", "/api/v1/stages/", "/api/v1/joint-reviews/",
                                        "/api/v1/stage-templates/")
CODE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")
world = joint_fixtures.world  # three departments, their items and a three-item stage template


@pytest.fixture(autouse=True)
def _monday():
    clock.set_now(at(2026, 9, 21, 9))
    yield
    clock.set_now(None)


def _review(world, stage, *, posted=True) -> JointReview:
    """A joint review on the stage: the planning bureau has answered, the environment bureau is late."""
    lead = world.people[0]["handler"]
    review = JointReview.objects.create(
        number="LS20260921A1", stage=stage, title="方案联审", lead_department=world.departments[0], opened_by=lead,
        opened_at=clock.now(), limit_days=3, due_on=dt.date(2026, 9, 24))
    ReviewInvitation.objects.create(review=review, department=world.departments[1], verdict="conditional",
                                    opinion="退让红线需调整", posted_at=clock.now() if posted else None,
                                    posted_by=world.people[1]["handler"] if posted else None)
    ReviewInvitation.objects.create(review=review, department=world.departments[2])
    ReviewDocument.objects.create(review=review, name="总平面图", file="reviews/x.pdf", content_hash="ab" * 32,
                                  size=1234, pages=2, added_by=lead, added_at=clock.now())
    return review


def _later_stage(world) -> StageTemplate:
    """A second stage whose item takes the first stage's 发改 decision as a material (审批结果共享)."""
    item = f.item(world.departments[1], name="建设工程规划许可证核发", promised=10, statutory=20, steps=ONE_STEP,
                  materials=(("项目申请表", True, False), ("政府投资项目审批决定书", True, False)))
    template = StageTemplate.objects.create(code="gov-building-2", name="工程建设许可阶段",
                                            project_type=world.project_type, seq=2,
                                            lead_department=world.departments[1], promised_total=15)
    StageItem.objects.create(template=template, item=item, seq=1)
    ResultFeed.objects.create(template=template, source_item=world.items[0], material_name="政府投资项目审批决定书")
    return template


def _grant(world, index, case):
    case = cases.perform(case, "pass", actor=world.people[index]["handler"])
    return cases.perform(case, "grant", actor=world.people[index]["approver"])


def test_one_call_shows_the_whole_project_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    project = world.project(key=True)
    stage = world.open(project)
    parts = list(stage.parts.select_related("case").order_by("pk"))
    _grant(world, 0, parts[0].case)
    cases.perform(parts[1].case, "request_supplement", actor=world.people[1]["handler"],
                  params={"reason": "补充规划意见", "expected_days": 5})
    _review(world, stage)
    clerk = token_client(world.clerk, departments=[world.centre, *world.departments])
    get_calendar()

    with CaptureQueriesContext(connection) as one_stage:
        body = clerk.get(f"{PROJECTS}{project.code}/").json()

    assert body["code"] == project.code and body["key_project"] is True and body["kind_label"] == "审批"
    assert body["project_type"] == {"code": "gov-building", "name": "政府投资房屋建筑类", "promised_total": 90}
    (shown,) = body["stages"]
    assert shown["number"] == stage.number and shown["state"] == "open"
    assert shown["clock"]["promised_total"] == 20
    assert shown["clock"]["promised_due"] == get_calendar().add(stage.accept_date, 20).isoformat()
    assert shown["clock"]["used_days"] == 0 and shown["clock"]["days_left"] == 20
    assert shown["clock"]["stopped"] is False  # one part suspended, the others run
    assert [(p["case"], p["department"]["name"], p["state"]) for p in shown["parts"]] == [
        (parts[0].case.number, "发展和改革局", State.DECIDED),
        (parts[1].case.number, "自然资源和规划局", State.SUSPENDED),
        (parts[2].case.number, "生态环境局", State.IN_PROGRESS)]
    assert shown["parts"][1]["clock_stopped"] is True and shown["parts"][0]["decision"] == "grant"
    assert shown["parts"][2]["item"] == {"code": world.items[2].code, "name": "建设项目环境影响评价审批"}
    assert {m["name"] for m in shown["shared_materials"]} >= {"项目申请表"}
    assert all(len(m["content_hash"]) == 64 and "file" not in m for m in shown["shared_materials"])
    (review,) = body["reviews"]
    assert review["stage"] == stage.number and review["documents"][0]["name"] == "总平面图"
    assert [(i["department"]["name"], i["verdict"], i["late"]) for i in review["invitations"]] == [
        ("自然资源和规划局", "conditional", False), ("生态环境局", "", False)]

    # A later stage reusing the first stage's decision, a second review: the same number of queries.
    later = _later_stage(world)
    needed = {name for name, _ in services.materials_needed(later, {})} - {"政府投资项目审批决定书"}
    second = services.open_stage(actor=world.clerk, template=later, applicant=world.applicant(), project=project,
                                 shared={name: f.stored_scan(name) for name in needed})
    JointReview.objects.create(number="LS20260921A2", case=second.parts.get().case, title="图审",
                               lead_department=world.departments[1], opened_by=world.people[1]["handler"],
                               opened_at=clock.now(), limit_days=3, due_on=dt.date(2026, 9, 24))
    lone = cases.receive(actor=world.clerk, item=world.items[2], applicant=world.applicant(), materials={},
                         channel="window", title="单独申报", project_code=project.code)
    clock.set_now(at(2026, 9, 28, 9))  # past the first review's due day
    with django_assert_max_num_queries(len(one_stage.captured_queries)):
        body = clerk.get(f"{PROJECTS}{project.code}/").json()
    assert [s["name"] for s in body["stages"]] == ["立项用地规划许可阶段", "工程建设许可阶段"]
    assert [r["number"] for r in body["reviews"]] == ["LS20260921A1", "LS20260921A2"]
    assert [i["late"] for i in body["reviews"][0]["invitations"]] == [False, True]
    (reused,) = body["reused_results"]
    assert reused["material"] == "政府投资项目审批决定书" and reused["source_case"] == parts[0].case.number
    assert reused["case"] == second.parts.get().case.number
    assert [(c["number"], c["state"]) for c in body["other_cases"]] == [(lone.number, State.RECEIVED)]
    assert len(one_stage.captured_queries) <= 12


def test_a_token_sees_projects_and_stages_only_through_its_departments_and_items(world):
    project = world.project()
    stage = world.open(project)
    _review(world, stage)
    stranger_department = f.department("教育局")
    stranger = f.staff(stranger_department)["handler"]
    eco = world.people[2]["handler"]

    for client in (token_client(eco, act=False), token_client(world.people[0]["reviewer"])):
        assert client.get(f"{PROJECTS}{project.code}/").status_code == 200
        assert [p["code"] for p in client.get(PROJECTS).json()["results"]] == [project.code]
        assert client.get(f"{STAGES}{stage.number}/").status_code == 200
        assert client.get(f"{REVIEWS}LS20260921A1/").status_code == 200
    # Scoped to an item that is not part of the project: nothing of it.
    other_item = f.item(world.departments[2], name="排污许可", steps=ONE_STEP)
    narrowed = token_client(eco, items=[other_item])
    outsider = token_client(stranger)
    for client in (narrowed, outsider):
        assert client.get(f"{PROJECTS}{project.code}/").status_code == 404
        assert client.get(PROJECTS).json()["results"] == []
        assert client.get(f"{STAGES}{stage.number}/").json()["code"] == "not_found"
        assert client.get(STAGES).json()["results"] == []
        assert client.get(f"{REVIEWS}LS20260921A1/").status_code == 404
    # The lead department sees a project registered before any stage; filters narrow the list.
    fresh = world.project(key=True, green=True)
    lead = token_client(world.people[0]["handler"])
    assert lead.get(f"{PROJECTS}{fresh.code}/").json()["stages"] == []
    assert token_client(eco).get(f"{PROJECTS}{fresh.code}/").status_code == 404
    assert [p["code"] for p in lead.get(PROJECTS, {"key_project": "true"}).json()["results"]] == [fresh.code]
    assert [p["code"] for p in lead.get(PROJECTS, {"green_channel": "false"}).json()["results"]] == [project.code]
    assert len(lead.get(PROJECTS, {"lead_department": world.departments[0].code, "q": "科创"}).json()["results"]) == 2
    assert lead.get(PROJECTS, {"lead_department": "NOPE"}).json()["fields"] == {
        "lead_department": ["部门编码“NOPE”不存在。"]}
    assert lead.get(PROJECTS, {"industry": "4"}).status_code == 400
    assert [s["number"] for s in lead.get(STAGES, {"project": project.code}).json()["results"]] == [stage.number]
    assert lead.get(STAGES, {"kind": "bundle"}).json()["results"] == []
    # Reviews: the invited department sees who is late; the filter by department.
    listed = token_client(world.people[1]["handler"]).get(REVIEWS, {"department": world.departments[2].code}).json()
    assert [r["number"] for r in listed["results"]] == ["LS20260921A1"]


PROJECT = {"name": "城东物流园", "owner_name": "杭州示范置业有限公司", "owner_uscc": f.ORG_USCC,
           "location": "杭州市上城区", "division": "330102", "total_investment": "18000.50", "kind": "03",
           "industry": "59", "project_type": "gov-building"}


def test_registering_a_project_issues_a_code_or_checks_the_one_given(world):
    clerk = token_client(world.clerk, departments=[world.centre, *world.departments])
    body = {**PROJECT, "lead_department": world.departments[0].code, "key_project": True}
    created = clerk.post(PROJECTS, body, format="json")
    assert created.status_code == 201, created.json()
    issued = created.json()
    assert CODE.match(issued["code"]) and issued["code"].startswith("2026-330102-59-03-")
    assert issued["issued_here"] is True and issued["stages"] == [] and issued["total_investment"] == "18000.50"
    assert created["Location"].endswith(f"{PROJECTS}{issued['code']}/")

    entered = clerk.post(PROJECTS, {**body, "code": "2025-330102-59-03-000777"}, format="json").json()
    assert entered["code"] == "2025-330102-59-03-000777" and entered["issued_here"] is False
    again = clerk.post(PROJECTS, {**body, "code": "2025-330102-59-03-000777"}, format="json")
    assert again.status_code == 400 and "code" in again.json()["fields"]

    refusals = {
        "code": {**body, "code": "2026-330102-59-01-000001"},  # kind 01 in the code, 03 declared
        "owner_uscc": {**body, "owner_uscc": "91330100XXXXXXXXXX"},
        "division": {**body, "division": "990000"},
        "lead_department": {**body, "lead_department": "NOPE"},
        "name": {**body, "name": ""},
    }
    for field, wrong in refusals.items():
        response = clerk.post(PROJECTS, wrong, format="json")
        assert response.status_code == 400, field
        assert field in response.json()["fields"], (field, response.json())

    assert token_client(world.clerk, act=False, departments=[world.centre]).post(
        PROJECTS, body, format="json").json()["code"] == "forbidden"
    handler = token_client(world.people[0]["handler"]).post(PROJECTS, body, format="json")
    assert handler.status_code == 403  # registering is the window's or the administrator's


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.png", f.PNG_SCAN, content_type="image/png")


def test_opening_a_stage_with_its_shared_materials_in_one_multipart_call(world):
    project = world.project(green=True)
    needed = [name for name, _ in services.materials_needed(world.template, {})]
    clerk = token_client(world.clerk, departments=[world.centre, *world.departments])
    templates = clerk.get(TEMPLATES).json()
    assert [t["code"] for t in templates] == ["gov-building-1"]
    assert [m["name"] for m in templates[0]["materials_needed"]] == needed
    assert [i["department"]["name"] for i in templates[0]["items"]] == [
        "发展和改革局", "自然资源和规划局", "生态环境局"]

    form = {"template": "gov-building-1", "project": project.code, "contact_name": "王经理",
            "material_names": needed, "material_files": [_upload(n) for n in needed]}
    # A token without one of the items' departments opens nothing.
    partial = token_client(world.clerk, departments=[world.centre, *world.departments[:2]])
    refused = partial.post(STAGES, form, format="multipart")
    assert refused.status_code == 403 and world.items[2].code in refused.json()["detail"]
    missing = clerk.post(STAGES, {**form, "material_names": needed[1:],
                                  "material_files": [_upload(n) for n in needed[1:]]}, format="multipart")
    assert missing.status_code == 400 and "项目申请表" in missing.json()["fields"]["material_names"][0]
    not_a_scan = clerk.post(STAGES, {**form, "material_files": [
        SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf"), *[_upload(n) for n in needed[1:]]]}, format="multipart")
    assert not_a_scan.status_code == 400 and "material_files.0" in not_a_scan.json()["fields"]
    assert not Stage.objects.exists()

    created = clerk.post(STAGES, {**form, "material_files": [_upload(n) for n in needed]}, format="multipart")
    assert created.status_code == 201, created.json()
    stage = created.json()
    assert stage["project"] == project.code and stage["green"] is True and stage["clock"]["promised_total"] == 10
    assert [p["state"] for p in stage["parts"]] == [State.IN_PROGRESS] * 3
    assert [m["name"] for m in stage["shared_materials"]] == needed
    assert stage["applicant_name"] == "杭州示范置业有限公司"  # the project's owner by default
    assert clerk.get(f"{STAGES}{stage['number']}/").json() == stage
    for part in stage["parts"]:
        case = clerk.get(f"/api/v1/cases/{part['case']}/").json()
        assert all(m["received"] for m in case["materials"])
    again = clerk.post(STAGES, {**form, "material_files": [_upload(n) for n in needed]}, format="multipart")
    assert again.status_code == 409  # one open stage of a template per project


def test_a_bundle_is_opened_for_a_person_with_the_applicant_given(world):
    bundle = StageTemplate.objects.create(code="open-shop", name="我要开便利店", kind=StageTemplate.Kind.BUNDLE,
                                          lead_department=world.departments[0], promised_total=5, audience="person",
                                          questions=[{"key": "food", "label": "是否经营食品"}])
    StageItem.objects.create(template=bundle, item=world.items[0], seq=1)
    StageItem.objects.create(template=bundle, item=world.items[2], seq=2, condition="food")
    clerk = token_client(world.clerk, departments=[world.centre, *world.departments])
    needed = [name for name, _ in services.materials_needed(bundle, {"food": True})]
    def form():
        return {"template": "open-shop", "material_names": needed, "material_files": [_upload(n) for n in needed]}

    nameless = clerk.post(STAGES, form(), format="multipart")
    assert nameless.status_code == 400 and set(nameless.json()["fields"]) == {
        "applicant_kind", "applicant_name", "applicant_id_number"}
    person = {"applicant_kind": "person", "applicant_name": "张三", "applicant_id_number": f.PERSON_ID,
              "phone": "13812341234", "yes": ["food"]}
    created = clerk.post(STAGES, {**form(), **person}, format="multipart")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["project"] is None and body["template"]["kind"] == "bundle" and body["answers"] == {"food": True}
    assert len(body["parts"]) == 2
    assert [s["number"] for s in clerk.get(STAGES, {"kind": "bundle"}).json()["results"]] == [body["number"]]
    wrong_id = clerk.post(STAGES, {**form(), **person, "applicant_id_number": "110101199001011230"},
                          format="multipart")
    assert wrong_id.status_code == 400 and "applicant_id_number" in wrong_id.json()["fields"]


def test_unknown_codes_and_bad_parameters_answer_in_the_api_error_format(world):
    clerk = token_client(world.clerk, departments=[world.centre, *world.departments])
    assert clerk.get(f"{PROJECTS}2026-330100-47-01-000001/").json()["code"] == "not_found"
    assert clerk.get(f"{STAGES}JD%00/").status_code == 404
    assert clerk.get(REVIEWS, {"state": "nope"}).status_code == 400
    assert clerk.get(PROJECTS, {"cursor": "forged"}).json()["fields"] == {"cursor": [INVALID_CURSOR]}


def test_an_invited_department_posts_and_revises_its_opinion_through_the_api(world):
    stage = world.open(world.project())
    review = _review(world, stage)
    opinions = f"{REVIEWS}{review.number}/opinions/"
    eco = token_client(world.people[2]["handler"])

    unexplained = eco.post(opinions, {"verdict": "conditional", "opinion": " "}, format="json")
    assert unexplained.status_code == 400 and "opinion" in unexplained.json()["fields"]
    assert eco.post(opinions, {"verdict": "maybe"}, format="json").json()["fields"].keys() == {"verdict"}
    posted = eco.post(opinions, {"verdict": "conditional", "opinion": "需补充排水方案"}, format="json")
    assert posted.status_code == 200, posted.json()
    assert [(i["department"]["name"], i["verdict"], i["opinion"], i["late"]) for i in posted.json()["invitations"]
            ] == [("自然资源和规划局", "conditional", "退让红线需调整", False),
                  ("生态环境局", "conditional", "需补充排水方案", False)]
    clock.set_now(at(2026, 9, 28, 9))  # revised after the due day: lateness is judged by the first posting
    revised = eco.post(opinions, {"verdict": "agree"}, format="json").json()["invitations"][1]
    assert (revised["verdict"], revised["opinion"], revised["late"]) == ("agree", "同意。", False)
    invitation = ReviewInvitation.objects.get(review=review, department=world.departments[2])
    assert invitation.revised_at is not None and invitation.posted_by == world.people[2]["handler"]

    # The lead department is not invited; a read-only token acts not; one scoped away from the caller's
    # department does not even see the review.
    lead = token_client(world.people[0]["handler"]).post(opinions, {"verdict": "agree"}, format="json")
    assert lead.status_code == 403 and lead.json()["code"] == "forbidden"
    assert token_client(world.people[2]["handler"], act=False).post(
        opinions, {"verdict": "agree"}, format="json").status_code == 403
    assert token_client(world.people[2]["handler"], departments=[world.departments[0]]).post(
        opinions, {"verdict": "agree"}, format="json").status_code == 404
    stranger = token_client(f.staff(f.department("教育局"))["handler"])
    assert stranger.post(opinions, {"verdict": "agree"}, format="json").json()["code"] == "not_found"
    assert eco.post(f"{REVIEWS}LS000/opinions/", {"verdict": "agree"}, format="json").status_code == 404

    JointReview.objects.filter(pk=review.pk).update(state=JointReview.State.CONCLUDED, conclusion="同意")
    closed = eco.post(opinions, {"verdict": "disagree", "opinion": "不同意"}, format="json")
    assert closed.status_code == 409
    assert ReviewInvitation.objects.get(pk=invitation.pk).verdict == "agree"


def test_departments_of_the_room_mark_a_page_of_a_drawing_through_the_api(world):
    stage = world.open(world.project())
    review = _review(world, stage)
    marks = f"{REVIEWS}{review.number}/annotations/"
    planning = token_client(world.people[1]["handler"])
    document = planning.get(f"{REVIEWS}{review.number}/").json()["documents"][0]["id"]
    mark = {"document": document, "page": 2, "x": 0.25, "y": 0.5, "comment": "消防车道宽度不足"}

    created = planning.post(marks, mark, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["review"], body["document"], body["page"], body["x"], body["y"]) == (
        review.number, document, 2, 0.25, 0.5)
    assert body["department"]["name"] == "自然资源和规划局" and body["comment"] == "消防车道宽度不足"
    lead = token_client(world.people[0]["handler"]).post(marks, {**mark, "page": 1}, format="json")
    assert lead.status_code == 201 and lead.json()["department"]["name"] == "发展和改革局"

    assert planning.post(marks, {**mark, "page": 3}, format="json").json()["fields"].keys() == {"page"}
    assert planning.post(marks, {**mark, "x": 1.5}, format="json").json()["fields"].keys() == {"x"}
    assert planning.post(marks, {**mark, "comment": ""}, format="json").status_code == 400
    assert planning.post(marks, {**mark, "document": document + 999}, format="json").json()["fields"] == {
        "document": ["该图纸材料不属于本次联审。"]}
    assert token_client(world.people[1]["handler"], act=False).post(marks, mark, format="json").status_code == 403
    stranger = token_client(f.staff(f.department("教育局"))["handler"])
    assert stranger.post(marks, mark, format="json").status_code == 404
    # Every department of the room (and whoever sees the review) reads the marks on the drawing.
    (shown,) = token_client(world.people[2]["handler"], act=False).get(f"{REVIEWS}{review.number}/").json()[
        "documents"]
    assert [(m["department"]["name"], m["page"], m["comment"]) for m in shown["annotations"]] == [
        ("自然资源和规划局", 2, "消防车道宽度不足"), ("发展和改革局", 1, "消防车道宽度不足")]
