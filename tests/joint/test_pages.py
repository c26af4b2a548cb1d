"""Staff pages of projects and stages: register (赋码 or an entered code), the one stage form, who may
see and do what, and the project page with its stages and cases in one place."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shenpi.cases import services as cases
from shenpi.cases.models import State
from shenpi.joint import services
from shenpi.joint.models import Project, ResultFeed, Stage, StageItem, StageTemplate
from shenpi.joint.views_pages import _material_key
from tests import factories as f


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _project_post(world, **over):
    data = {"code": "", "name": "城东物流园", "owner_name": "杭州示范置业有限公司", "owner_uscc": f.ORG_USCC,
            "location": "杭州市上城区", "division": "330102", "district": "", "total_investment": "12000",
            "kind": "01", "industry": "47", "project_type": world.project_type.pk,
            "lead_department": world.departments[0].pk}
    data.update(over)
    return data


def test_a_bad_code_is_shown_next_to_the_field_and_registers_nothing(client, world):
    f.login_staff(client, world.clerk)
    response = client.post(reverse("joint:project_new"), _project_post(world, code="2026-330102-47-01-0123"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "格式" in errors["code"][0]
    assert "项目代码格式" in response.content.decode()
    assert response.context["form"]["name"].value() == "城东物流园"  # what was typed is kept
    assert not Project.objects.exists()

    # a code whose kind disagrees with the form's kind
    response = client.post(reverse("joint:project_new"), _project_post(world, code="2026-330102-47-02-000123"))
    assert "类型" in response.context["form"].errors["code"][0]


def test_a_blank_code_is_issued_here_and_the_clerk_cannot_flag(client, world):
    f.login_staff(client, world.clerk)
    response = client.post(reverse("joint:project_new"), _project_post(world, green_channel="on"))
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("joint:project", args=[project.code])
    assert project.issued_here and project.code.startswith("2026-330102-47-01-")
    assert not project.green_channel  # clerks register; the centre's administrator flags

    f.login_staff(client, world.admin)
    client.post(reverse("joint:project_flags", args=[project.code]), {"green_channel": "1", "key_project": "1"})
    project.refresh_from_db()
    assert project.green_channel and project.key_project


def test_only_window_clerks_and_admins_register_and_open(client, world):
    handler = world.people[1]["handler"]
    f.login_staff(client, handler)
    assert client.get(reverse("joint:project_new")).status_code == 403
    assert client.get(reverse("joint:stage_new")).status_code == 403
    # a clerk of a department that does not lead the project's template
    f.login_staff(client, world.people[1]["clerk"])
    response = client.post(reverse("joint:project_new"), _project_post(world))
    assert response.status_code == 400
    assert response.context["form"].errors["lead_department"]
    assert client.get(reverse("joint:stage_new"), {"template": world.template.pk}).status_code == 403
    # the lead department's clerk may
    f.login_staff(client, world.people[0]["clerk"])
    assert client.get(reverse("joint:stage_new"), {"template": world.template.pk}).status_code == 200


def _stage_post(world, project, **over):
    data = {"template": world.template.pk, "project": project.code, "answered": "1", "contact_name": "王经理",
            "phone": "13812341234"}
    for name, _ in services.materials_needed(world.template, {}):
        data[_material_key(name)] = SimpleUploadedFile(f"{name}.png", f.PNG_SCAN, content_type="image/png")
    data.update(over)
    return data


def test_the_stage_form_opens_one_case_per_item_and_names_them(client, world):
    project = world.project()
    f.login_staff(client, world.clerk)
    page = client.get(reverse("joint:stage_new"), {"template": world.template.pk, "project": project.code})
    assert [name for name, _ in services.materials_needed(world.template, {})] == [
        r["name"] for r in page.context["rows"]]
    response = client.post(reverse("joint:stage_new"), _stage_post(world, project), follow=True)
    stage = Stage.objects.get()
    assert response.redirect_chain[-1][0] == reverse("joint:stage", args=[stage.number])
    parts = list(stage.parts.select_related("case"))
    assert len(parts) == 3 and {p.case.state for p in parts} == {State.IN_PROGRESS}
    shown = response.content.decode()
    for part in parts:
        assert part.case.number in shown
    assert "同步开出3件办件" in shown
    # every part received the shared materials brought once
    assert all(m.received and m.file for p in parts for m in p.case.materials.all())


def test_a_missing_material_keeps_what_was_typed_and_the_uploads(client, world):
    project = world.project()
    f.login_staff(client, world.clerk)
    data = _stage_post(world, project)
    names = [name for name, _ in services.materials_needed(world.template, {})]
    del data[_material_key(names[-1])]
    response = client.post(reverse("joint:stage_new"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "以下材料尚未提交" in body and names[-1] in body
    assert response.context["applicant_form"]["contact_name"].value() == "王经理"
    kept = {r["name"]: r["ticket"] for r in response.context["rows"]}
    assert kept[names[0]] and not kept[names[-1]]
    assert not Stage.objects.exists()
    # submitting again with only the last file: the earlier uploads come back through their tickets
    again = {k: v for k, v in _stage_post(world, project).items() if not k.startswith("f")}
    again.update({f"{_material_key(n)}-ticket": t for n, t in kept.items() if t})
    again[_material_key(names[-1])] = SimpleUploadedFile("x.png", f.PNG_SCAN, content_type="image/png")
    assert client.post(reverse("joint:stage_new"), again).status_code == 302
    assert Stage.objects.count() == 1


def test_a_conditional_item_follows_the_answer(client, world):
    world.template.questions = [{"key": "eia", "label": "是否需要环评"}]
    world.template.save()
    StageItem.objects.filter(template=world.template, item=world.items[2]).update(condition="eia")
    project = world.project()
    f.login_staff(client, world.clerk)
    url = reverse("joint:stage_new")
    off = client.get(url, {"template": world.template.pk, "project": project.code, "answered": "1"})
    assert len(off.context["items"]) == 2
    on = client.get(url, {"template": world.template.pk, "project": project.code, "answered": "1", "q-eia": "1"},
                    HTTP_HX_REQUEST="true")
    assert len(on.context["items"]) == 3
    assert on.templates[0].name == "joint/_stage_items.html"


def test_a_bundle_takes_an_applicant_instead_of_a_project(client, world):
    bundle = StageTemplate.objects.create(code="start-company", name="企业开办", kind=StageTemplate.Kind.BUNDLE,
                                          lead_department=world.departments[0], promised_total=3)
    for seq, item in enumerate(world.items[:2], start=1):
        StageItem.objects.create(template=bundle, item=item, seq=seq)
    f.login_staff(client, world.clerk)
    data = {"template": bundle.pk, "answered": "1", "applicant_kind": "organisation",
            "applicant_name": "示范科技有限公司", "id_number": f.ORG_USCC, "contact_name": "李四",
            "phone": "13812341234"}
    for name, _ in services.materials_needed(bundle, {}):
        data[_material_key(name)] = SimpleUploadedFile("a.png", f.PNG_SCAN, content_type="image/png")
    response = client.post(reverse("joint:stage_new"), data)
    assert response.status_code == 302
    stage = Stage.objects.get()
    assert stage.project is None and stage.applicant_name == "示范科技有限公司" and stage.parts.count() == 2


def test_the_project_page_shows_stages_cases_and_opinions_in_few_queries(client, world):
    project = world.project()
    stage = world.open(project)
    parts = list(stage.parts.select_related("case"))
    cases.perform(parts[0].case, "pass", actor=world.people[0]["handler"], params={"opinion": "符合产业政策"})
    f.login_staff(client, world.people[2]["handler"])  # a department with a part
    url = reverse("joint:project", args=[project.code])
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert stage.name in body and stage.number in body
    for part in parts:
        assert part.case.number in body
    assert "符合产业政策" in body
    # adding a stage does not add queries per case (benchmarked at scale)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    second_stage = Stage.objects.create(**{**{k: getattr(stage, k) for k in (
        "template_id", "project_id", "name", "lead_department_id", "applicant_name", "applicant_id_index",
        "opened_at", "accept_date", "promised_total", "statutory_limit", "promised_due", "statutory_due")},
        "number": "JD20260101ZZZZZZ", "state": Stage.State.CONCLUDED})
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert second_stage.number in client.get(url).content.decode()
    assert len(again.captured_queries) == len(first.captured_queries)


def test_staff_of_other_departments_do_not_see_the_project(client, world):
    project = world.project()
    stage = world.open(project)
    outsider = f.staff(f.department("市场监督管理局"))
    f.login_staff(client, outsider["handler"])
    assert client.get(reverse("joint:project", args=[project.code])).status_code == 404
    assert client.get(reverse("joint:stage", args=[stage.number])).status_code == 404
    assert project.code not in client.get(reverse("joint:projects")).content.decode()
    f.login_staff(client, outsider["supervisor"])
    assert client.get(reverse("joint:project", args=[project.code])).status_code == 200
    assert project.code in client.get(reverse("joint:projects"), {"q": project.code[:11]}).content.decode()


def test_a_department_with_a_part_opens_every_stage_its_project_page_lists(client, world):
    from shenpi.joint.models import StageItem, StageTemplate

    project = world.project()
    first = world.open(project)
    # A later stage without the environment bureau's item: still on the project page it sees.
    later = StageTemplate.objects.create(code="gov-building-2", name="工程建设许可阶段",
                                         project_type=world.project_type, seq=2,
                                         lead_department=world.departments[0], promised_total=15)
    StageItem.objects.create(template=later, item=world.items[1], seq=1)
    second = services.open_stage(actor=world.clerk, template=later, applicant=world.applicant(), project=project,
                                 shared={n: f.stored_scan(n) for n, _ in services.materials_needed(later, {})})
    f.login_staff(client, world.people[2]["handler"])
    page = client.get(reverse("joint:project", args=[project.code])).content.decode()
    assert first.number in page and second.number in page
    assert client.get(reverse("joint:stage", args=[second.number])).status_code == 200


def test_the_lead_approver_extends_the_stage_and_others_cannot(client, world):
    stage = world.open()
    url = reverse("joint:stage_extend", args=[stage.number])
    f.login_staff(client, world.people[1]["approver"])
    assert client.post(url, {"days": 5, "reason": "需补充论证"}).status_code == 403
    f.login_staff(client, world.people[0]["approver"])
    page = client.get(reverse("joint:stage", args=[stage.number]))
    assert "批准延长" in page.content.decode()
    too_many = client.post(url, {"days": 20, "reason": "需补充论证"})
    assert too_many.status_code == 400 and "延长天数" in too_many.content.decode()
    assert client.post(url, {"days": 5, "reason": "需补充论证"}).status_code == 302
    stage.refresh_from_db()
    assert stage.extension_days == 5


def test_the_case_page_names_its_project_and_stage(client, world):
    project = world.project()
    stage = world.open(project)
    case = stage.parts.select_related("case").first().case
    f.login_staff(client, world.people[0]["handler"])
    body = client.get(reverse("workbench:case", args=[case.number])).content.decode()
    assert "所属项目/阶段" in body
    assert reverse("joint:project", args=[project.code]) in body
    assert reverse("joint:stage", args=[stage.number]) in body


def test_a_reused_result_shows_where_it_came_from(client, world):
    project = world.project()
    first = world.open(project)
    source = first.parts.select_related("case").first().case
    cases.perform(source, "pass", actor=world.people[0]["handler"])
    cases.perform(source, "grant", actor=world.people[0]["approver"])
    later = StageTemplate.objects.create(code="gov-building-2", name="工程建设许可阶段",
                                         project_type=world.project_type, seq=2,
                                         lead_department=world.departments[1], promised_total=15)
    StageItem.objects.create(template=later, item=world.items[1], seq=1)
    fed = next(name for name, _ in services.materials_needed(later, {}) if name != "项目申请表")
    ResultFeed.objects.create(template=later, source_item=world.items[0], material_name=fed)
    second = services.open_stage(actor=world.clerk, template=later, applicant=world.applicant(), project=project,
                                 shared={"项目申请表": f.stored_scan("项目申请表")})
    case = second.parts.select_related("case").get().case
    f.login_staff(client, world.people[1]["handler"])
    body = client.get(reverse("workbench:case", args=[case.number])).content.decode()
    assert "审批结果共享" in body
    assert reverse("workbench:case", args=[source.number]) in body
    project_page = client.get(reverse("joint:project", args=[project.code])).content.decode()
    assert f"取自 <a class=\"mono\" href=\"{reverse('workbench:case', args=[source.number])}\">" in project_page
