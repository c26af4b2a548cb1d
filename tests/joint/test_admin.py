"""Stage templates as the centre's administrator defines them: the reform's four stages and their split
of the promised total, the form's questions, and the read-only rows the services write."""

import pytest
from django.urls import reverse

from shenpi.joint import templates_reform
from shenpi.joint.models import JointSettings, ProjectType, StageItem, StageTemplate


def url(model, view="changelist", *args):
    return reverse(f"admin:joint_{model}_{view}", args=args)


@pytest.mark.parametrize("total", [0, 1, 3, 4, 7, 15, 33, 45, 90, 100, 120, 121, 999])
def test_the_reform_split_always_adds_up_to_the_promised_total(total):
    parts = templates_reform.reform_totals(total)
    assert len(parts) == 4 and sum(parts) == total
    assert all(p >= 0 for p in parts)
    if total >= 4:
        assert all(p >= 1 for p in parts)


def test_the_default_split_follows_the_documented_shares():
    assert templates_reform.reform_totals(90) == [36, 27, 18, 9]
    assert templates_reform.reform_totals(100) == [40, 30, 20, 10]
    # 15 days: 6, 4.5, 3, 1.5: the half days go to the earlier of the tied stages.
    assert templates_reform.reform_totals(15) == [6, 5, 3, 1]
    assert templates_reform.split_total(10, [1, 1, 1]) == [4, 3, 3]
    assert templates_reform.split_total(5, [97, 1, 1, 1]) == [2, 1, 1, 1]
    with pytest.raises(ValueError):
        templates_reform.split_total(10, [0, 0])


def test_the_admin_action_creates_the_four_stages_once(admin_client, world):
    world.centre.refresh_from_db()
    project_type = ProjectType.objects.create(code="social-simple", name="社会投资简易低风险", promised_total=15)
    data = {"action": "generate_reform_stages", "_selected_action": [project_type.pk]}
    response = admin_client.post(url("projecttype"), data, follow=True)
    assert response.status_code == 200
    stages = list(project_type.stages.order_by("seq"))
    assert [s.name for s in stages] == ["立项用地规划许可阶段", "工程建设许可阶段", "施工许可阶段", "竣工验收阶段"]
    assert [s.promised_total for s in stages] == [6, 5, 3, 1]
    assert {s.lead_department for s in stages} == {world.centre}
    assert "已生成" in response.text
    admin_client.post(url("projecttype"), data, follow=True)
    assert project_type.stages.count() == 4
    listing = admin_client.get(url("projecttype")).text
    assert "= 15" in listing


def test_questions_must_be_a_list_of_keys_and_labels_and_conditions_name_one(admin_client, world):
    template = world.template
    page = admin_client.get(url("stagetemplate", "change", template.pk))
    assert page.status_code == 200
    base = {
        "code": template.code, "name": template.name, "kind": "stage", "project_type": world.project_type.pk,
        "seq": 1, "lead_department": world.departments[0].pk, "promised_total": 20, "audience": "organisation",
        "active": "on", "description": "",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000", "items-0-seq": "4", "items-0-item": world.items[0].pk,
        "items-0-required": "on", "items-0-condition": "civil_air_defence",
        "feeds-TOTAL_FORMS": "0", "feeds-INITIAL_FORMS": "0", "feeds-MIN_NUM_FORMS": "0",
        "feeds-MAX_NUM_FORMS": "1000",
    }
    # The existing items are not posted: the inline sees only the new row, so its item must be new.
    StageItem.objects.filter(template=template, item=world.items[0]).delete()
    bad = admin_client.post(url("stagetemplate", "change", template.pk), base | {"questions": '{"a": 1}'})
    assert bad.status_code == 200 and "情形问题应为列表" in bad.text
    bad = admin_client.post(url("stagetemplate", "change", template.pk),
                            base | {"questions": '[{"key": "Civil", "label": "x"}]'})
    assert "小写字母开头" in bad.text
    unknown = admin_client.post(url("stagetemplate", "change", template.pk),
                                base | {"questions": '[{"key": "fire", "label": "是否为特殊建设工程"}]'})
    assert "不是本阶段的情形问题" in unknown.text
    question = '[{"key": "civil_air_defence", "label": " 是否需要建设防空地下室 "}]'
    good = admin_client.post(url("stagetemplate", "change", template.pk), base | {"questions": question})
    assert good.status_code == 302, good.text
    template.refresh_from_db()
    assert template.questions == [{"key": "civil_air_defence", "label": "是否需要建设防空地下室"}]
    assert template.items.get(item=world.items[0]).condition == "civil_air_defence"


def test_settings_are_one_row_and_stages_are_read_only(admin_client, world):
    assert admin_client.get(url("jointsettings", "add")).status_code == 200
    JointSettings.objects.create()
    assert admin_client.get(url("jointsettings", "add")).status_code == 403
    stage = world.open()
    for page in (url("stage"), url("stage", "change", stage.pk), url("project"),
                 url("project", "change", stage.project.pk), url("jointreview"), url("stagetemplate"),
                 url("stagetemplate", "add"), url("projecttype")):
        assert admin_client.get(page).status_code == 200, page
    response = admin_client.post(url("stage", "change", stage.pk), {"name": "改名"})
    assert response.status_code == 403
    assert admin_client.get(url("project", "add")).status_code == 403
    assert StageTemplate.objects.filter(kind="bundle").count() == 0
