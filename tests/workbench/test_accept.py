"""The acceptance screen: choose an item, check the applicant and the materials, decide at the window."""

import pytest

from shenpi.accounts.models import Role
from shenpi.cases.models import Case, CaseEvent, Notice, State
from tests import factories as f

pytestmark = pytest.mark.django_db

# 91350100M000100Y43 with its check character changed: the shape is legal, the check fails.
PILOT_CODE = "91350100M000100Y44"


def html(response) -> str:
    return response.content.decode()


def application(item, *, received=None, deferred=(), **fields) -> dict:
    """The POST of the acceptance form: applicant fields and the materials checklist."""
    specs = list(item.current_version().materials.all())
    received = [s.pk for s in specs] if received is None else received
    data = {"item": item.code, "applicant_kind": "person", "applicant_name": "张三", "id_number": f.PERSON_ID,
            "contact_name": "张三", "phone": "13812341234", "title": "示范小区3号楼"}
    for spec in specs:
        if spec.pk in received:
            data[f"m{spec.pk}-received"] = "1"
            data[f"m{spec.pk}-copies"] = "2"
        if spec.pk in deferred:
            data[f"m{spec.pk}-deferred"] = "1"
    data.update(fields)
    return data


def test_the_clerk_chooses_among_their_departments_published_items(org):
    draft = f.item(org.dept, name="起草中的事项", publish=False)
    body = html(org.client("clerk").get("/workbench/accept/"))
    assert "建筑工程施工许可证核发" in body and org.item.code in body
    assert "食品经营许可" not in body and draft.code not in body


def test_the_comprehensive_window_may_receive_for_every_department(org):
    client = org.client_for(org.window_clerk)
    body = html(client.get("/workbench/accept/"))
    assert "建筑工程施工许可证核发" in body and "食品经营许可" in body
    found = html(client.get("/workbench/accept/?q=食品"))
    assert "食品经营许可" in found and "建筑工程施工许可证核发" not in found
    assert client.get(f"/workbench/accept/?item={org.other_item.code}").status_code == 200


def test_another_departments_item_cannot_be_opened(org):
    assert org.client("clerk").get(f"/workbench/accept/?item={org.other_item.code}").status_code == 404


def test_the_form_lists_the_items_materials_with_deferral_only_where_allowed(org):
    body = html(org.client("clerk").get(f"/workbench/accept/?item={org.item.code}"))
    specs = {s.name: s for s in org.item.current_version().materials.all()}
    for name, spec in specs.items():
        assert name in body
        assert (f'name="m{spec.pk}-deferred"' in body) == spec.deferrable
    assert 'value="on_the_spot"' not in body  # not a 即办件
    assert 'value="accept"' in body and 'value="correct"' in body and 'value="refuse"' in body


@pytest.mark.clocks
def test_acceptance_with_all_materials_opens_the_case_with_a_print_link(org):
    client = org.client("clerk")
    response = client.post("/workbench/accept/", application(org.item, decision="accept"))
    case = Case.objects.get()
    notice = case.notices.get()
    assert response.status_code == 302
    assert response["Location"] == f"/workbench/cases/{case.number}/?notice={notice.pk}"
    assert case.state == State.IN_PROGRESS and case.title == "示范小区3号楼"
    assert case.received_by == org.people["clerk"] and case.window == org.people["clerk"].window
    assert set(case.materials.values_list("copies", flat=True)) == {2}
    page = html(client.get(response["Location"]))
    assert f"已受理，办件编号 {case.number}" in page
    assert f"/workbench/cases/{case.number}/notices/{notice.pk}.pdf" in page and "打印受理通知书" in page
    assert [e.ip for e in case.events.all()] == ["127.0.0.1", "127.0.0.1"]


def test_a_bad_id_number_is_named_precisely_and_nothing_is_created(org):
    response = org.client("clerk").post("/workbench/accept/", application(
        org.item, decision="accept", id_number="110105194912310021"))
    assert response.status_code == 400
    body = html(response)
    assert "身份证号码校验位不正确，请核对。" in body
    assert 'value="110105194912310021"' in body and 'value="示范小区3号楼"' in body  # what was typed stays
    assert "校验不通过但合法的理由" not in body  # only organisation codes have that way out
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_an_organisation_code_failing_its_check_may_be_accepted_with_a_recorded_reason(org):
    client = org.client("clerk")
    data = application(org.item, decision="accept", applicant_kind="organisation", applicant_name="示范建设有限公司",
                       id_number=PILOT_CODE)
    refused = client.post("/workbench/accept/", data)
    assert refused.status_code == 400
    body = html(refused)
    assert "统一社会信用代码校验位不正确，请核对。" in body and "校验不通过但合法的理由" in body
    assert not Case.objects.exists()

    reason = "早期试点地区赋码，经核对营业执照原件无误"
    response = client.post("/workbench/accept/", {**data, "id_note": reason})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.applicant_id == PILOT_CODE and case.applicant_id_note == reason
    assert case.events.get(action="receive").comment == reason


def test_a_missing_material_refuses_acceptance_and_undoes_the_registration(org):
    """收件 and 受理 are one transaction: a refused acceptance leaves no half-registered case."""
    first = org.item.current_version().materials.order_by("seq").first()
    others = [s.pk for s in org.item.current_version().materials.exclude(pk=first.pk)]
    response = org.client("clerk").post("/workbench/accept/", application(org.item, decision="accept",
                                                                           received=others))
    assert response.status_code == 409
    body = html(response)
    assert f"申请材料不齐全，不能受理：缺少{first.name}" in body and "本次未登记任何办件" in body
    assert not Case.objects.exists() and not Notice.objects.exists()


def test_deferral_where_the_list_allows_it_lets_the_case_be_accepted(org):
    specs = list(org.item.current_version().materials.order_by("seq"))
    deferrable = next(s for s in specs if s.deferrable)
    received = [s.pk for s in specs if s != deferrable]
    form = application(org.item, decision="accept", received=received, deferred=[deferrable.pk])
    response = org.client("clerk").post("/workbench/accept/", form)
    assert response.status_code == 400 and not Case.objects.exists()
    assert "容缺受理须申请人书面承诺限期补交施工图设计文件审查合格书" in response.content.decode()
    response = org.client("clerk").post("/workbench/accept/", {**form, "commitment": "on"})
    assert response.status_code == 302
    material = Case.objects.get().materials.get(spec=deferrable)
    assert material.deferred and not material.received and material.due_on is not None
    assert Case.objects.get().commitments.get().materials == [deferrable.name]


def test_a_deferral_not_allowed_by_the_list_is_not_taken(org):
    specs = list(org.item.current_version().materials.order_by("seq"))
    strict = specs[0]
    assert not strict.deferrable
    response = org.client("clerk").post("/workbench/accept/", application(
        org.item, decision="accept", received=[s.pk for s in specs[1:]], deferred=[strict.pk]))
    assert response.status_code == 409 and not Case.objects.exists()


@pytest.mark.clocks
def test_one_time_correction_lists_every_missing_material_then_issues_one_notice(org):
    specs = list(org.item.current_version().materials.order_by("seq"))
    required_missing = specs[:2]
    received = [s.pk for s in specs[2:]]
    client = org.client("clerk")

    first = client.post("/workbench/accept/", application(org.item, decision="correct", received=received))
    assert first.status_code == 200
    body = html(first)
    for index, spec in enumerate(required_missing):
        assert f'name="missing-{index}-name" value="{spec.name}"' in body
    assert 'name="missing-count" value="4"' in body  # two missing, two blank rows for anything else
    assert not Case.objects.exists()

    data = application(org.item, decision="correct", received=received, **{
        "missing-count": "4",
        "missing-0-include": "1", "missing-0-name": specs[0].name, "missing-0-problem": "未提交",
        "missing-1-include": "1", "missing-1-name": specs[1].name, "missing-1-problem": "已过有效期",
        "missing-2-include": "1", "missing-2-name": "法定代表人身份证明", "missing-2-problem": "未盖公章",
        "missing-3-include": "1", "missing-3-name": "", "missing-3-problem": "",
        "correction_comment": "请于5个工作日内补正",
    })
    response = client.post("/workbench/accept/", data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.state == State.CORRECTING
    notice = case.notices.get()
    assert notice.kind == Notice.Kind.CORRECTION
    assert notice.body["missing"] == [
        {"name": specs[0].name, "problem": "未提交"}, {"name": specs[1].name, "problem": "已过有效期"},
        {"name": "法定代表人身份证明", "problem": "未盖公章"}]
    assert response["Location"].endswith(f"?notice={notice.pk}")


def test_an_empty_correction_list_is_refused(org):
    data = application(org.item, decision="correct", **{"missing-count": "1", "missing-0-name": ""})
    response = org.client("clerk").post("/workbench/accept/", data)
    assert response.status_code == 400
    assert "请列出全部需要补正的材料及原因。" in html(response)
    assert not Case.objects.exists()


def test_refusal_needs_a_reason(org):
    client = org.client("clerk")
    response = client.post("/workbench/accept/", application(org.item, decision="refuse"))
    assert response.status_code == 400 and "不予受理必须写明理由。" in html(response)
    assert not Case.objects.exists()
    response = client.post("/workbench/accept/", application(
        org.item, decision="refuse", refuse_reason="该事项不属于本机关职权范围"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.state == State.REFUSED and case.closing_reason == "该事项不属于本机关职权范围"
    assert case.notices.get().kind == Notice.Kind.REFUSAL


@pytest.mark.clocks
def test_an_on_the_spot_item_is_completed_at_the_window(org):
    spot = f.item(org.dept, name="建筑业企业资质证书遗失补办", promised=0, statutory=20,
                  steps=(("审查", Role.HANDLER, None),))
    client = org.client("clerk")
    assert 'value="on_the_spot"' in html(client.get(f"/workbench/accept/?item={spot.code}"))
    response = client.post("/workbench/accept/", application(spot, decision="on_the_spot", opinion="当场核发"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.state == State.COMPLETED and case.decision_reason == "当场核发"
    assert "即办件已当场办结" in html(client.get(response["Location"]))


def test_a_handler_cannot_post_an_application(org):
    response = org.client("handler").post("/workbench/accept/", application(org.item, decision="accept"))
    assert response.status_code == 403 and not Case.objects.exists()


def test_without_a_decision_nothing_is_created(org):
    response = org.client("clerk").post("/workbench/accept/", application(org.item))
    assert response.status_code == 400 and "请选择办理结果" in html(response)
    assert not Case.objects.exists()


def test_an_individual_is_refused_for_a_company_only_item_with_a_clear_message_and_nothing_is_registered(org):
    from shenpi.catalog.models import ItemVersion

    ItemVersion.objects.filter(item=org.item).update(audience=ItemVersion.Audience.ORGANISATION,
                                                      name="商品房预售许可")
    client = org.client("clerk")
    form = html(client.get(f"/workbench/accept/?item={org.item.code}"))
    assert "仅限法人和其他组织" in form
    assert 'value="organisation" required id="id_applicant_kind_1" checked' in form
    response = client.post("/workbench/accept/", application(org.item, decision="accept"))
    body = html(response)
    assert response.status_code == 400
    assert "“商品房预售许可”仅限法人和其他组织申请，个人不能申请。" in body
    assert "本次未登记任何办件" in body
    assert not Case.objects.filter(item=org.item).exists()
    taken = client.post("/workbench/accept/", application(
        org.item, decision="accept", applicant_kind="organisation", applicant_name="示范置业有限公司",
        id_number=f.ORG_USCC))
    assert taken.status_code == 302
    assert Case.objects.get(item=org.item).applicant_kind == "organisation"
