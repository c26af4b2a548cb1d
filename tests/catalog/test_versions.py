"""Item versioning: a change is a new draft, publishing retires the old version, cases keep theirs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services as cases
from shenpi.cases.models import Case, CaseStep, State
from shenpi.catalog import services
from shenpi.catalog.models import (
    Department,
    FeeStandard,
    FlowStep,
    ItemProcedure,
    ItemVersion,
    MaterialSpec,
    ProcedureKind,
)
from shenpi.errors import InvalidInput
from tests import factories as f

pytestmark = pytest.mark.django_db

Status = ItemVersion.Status


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def rich_version(it, dept):
    """The factory's v1 plus everything a version can carry: a fee, a template, a second department."""
    v1 = it.current_version()
    ItemVersion.objects.filter(pk=v1.pk).update(
        free_of_charge=False, fee_basis="《建筑法》及省物价局收费文件", joint_handling=True, extension_limit=15,
        conditions="取得建设工程规划许可证", where="市民中心三楼", max_visits=0)
    v1.refresh_from_db()
    FeeStandard.objects.create(version=v1, name="工本费", standard="每证10元", amount=Decimal("10.00"),
                               basis="省物价局〔2020〕1号")
    form = v1.materials.get(seq=1)
    form.form, form.copies, form.note = MaterialSpec.Form.BOTH, 2, "加盖公章"
    form.template.save("shenqingbiao.docx", ContentFile(b"template bytes v1"), save=True)
    other = f.department(name="消防救援支队")
    FlowStep.objects.create(version=v1, seq=2, name="消防意见", role_id=Role.HANDLER, department=other,
                            limit=3, limit_unit=FlowStep.LimitUnit.DAYS)
    ItemProcedure.objects.create(version=v1, kind=ProcedureKind.objects.get(code="hearing"), limit_days=20)
    return v1


def rows(queryset, *fields):
    return sorted(queryset.values_list(*fields))


def test_new_version_copies_the_version_and_everything_it_carries(org):
    dept, people, it = org
    v1 = rich_version(it, dept)
    v2 = services.new_version(v1, actor=people["admin"])

    assert (v2.number, v2.status, v2.published_at) == (2, Status.DRAFT, None)
    assert v2.pk != v1.pk and v2.item_id == v1.item_id
    content = ["name", "type", "audience", "legal_basis", "conditions", "statutory_limit", "promised_limit",
               "extension_limit", "joint_handling", "fee_basis", "free_of_charge", "result_name", "where",
               "office_hours", "how_to_apply", "online_depth", "max_visits", "contact_phone"]
    assert {n: getattr(v2, n) for n in content} == {n: getattr(v1, n) for n in content}

    material_fields = ("seq", "name", "required", "form", "copies", "deferrable", "note")
    assert rows(v2.materials, *material_fields) == rows(v1.materials, *material_fields)
    assert len(rows(v2.materials, "pk")) == 4
    assert rows(v2.fees, "name", "standard", "amount", "basis") == rows(v1.fees, "name", "standard", "amount", "basis")
    step_fields = ("seq", "name", "role", "department", "limit", "limit_unit")
    assert rows(v2.steps, *step_fields) == rows(v1.steps, *step_fields)
    assert len(rows(v2.steps, "pk")) == 4
    assert rows(ItemProcedure.objects.filter(version=v2), "kind__code", "limit_days") == [
        ("expert_review", 15), ("hearing", 20)]
    # The template is the draft's own file, with the same content.
    old, new = v1.materials.get(seq=1).template, v2.materials.get(seq=1).template
    assert new.name != old.name
    assert new.read() == b"template bytes v1"
    # The source is untouched and still in force.
    v1.refresh_from_db()
    assert v1.status == Status.PUBLISHED
    assert it.current_version() == v1
    assert LogEntry.objects.filter(object_id=str(v2.pk), user=people["admin"]).exists()


def test_editing_the_draft_leaves_the_published_version_alone(org):
    dept, people, it = org
    v1 = rich_version(it, dept)
    v2 = services.new_version(v1)
    draft_form = v2.materials.get(seq=1)
    draft_form.template.save("new.docx", ContentFile(b"template bytes v2"), save=True)
    draft_form.name = "新申请表"
    draft_form.save()
    v2.steps.filter(name="消防意见").delete()
    services.edit_draft(v2, name="建筑工程施工许可证核发（2026版）", promised_limit=5)

    v1.refresh_from_db()
    assert v1.name == "建筑工程施工许可证核发"
    assert v1.promised_limit == 10
    assert v1.materials.get(seq=1).name == "建筑工程施工许可申请表"
    assert v1.materials.get(seq=1).template.read() == b"template bytes v1"
    assert v1.steps.filter(name="消防意见").exists()


def test_a_case_keeps_the_version_it_was_accepted_under(org):
    dept, people, it = org
    clock.set_now(at(2026, 3, 2))
    v1 = it.current_version()
    old_case = cases.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    assert old_case.version == v1
    old_due = old_case.promised_due

    v2 = services.new_version(v1)
    v2.steps.filter(name="审核").delete()  # v2 drops the review step
    services.edit_draft(v2, promised_limit=5, name="建筑工程施工许可证核发（简化）")
    clock.set_now(at(2026, 3, 3))
    services.publish(v2)

    old_case = Case.objects.get(pk=old_case.pk)
    assert old_case.version_id == v1.pk
    assert (old_case.promised_limit, old_case.promised_due) == (10, old_due)
    # The old case still runs v1's flow: handler, then the reviewer step v2 no longer has.
    old_case = cases.perform(old_case, "pass", actor=people["handler"], params={"opinion": "同意"})
    assert old_case.steps.get(status=CaseStep.Status.ACTIVE).name == "审核"
    old_case = cases.perform(old_case, "pass", actor=people["reviewer"], params={"opinion": "同意"})
    old_case = cases.perform(old_case, "pass", actor=people["approver"], params={"opinion": "同意"})
    assert old_case.state == State.DECIDING

    new_case = f.receive(people["clerk"], it)
    assert new_case.version_id == v2.pk
    assert new_case.promised_limit == 5
    assert [m.spec.version_id for m in new_case.materials.all()] == [v2.pk] * 4


def test_publishing_retires_the_previous_version_at_the_clock_time(org):
    dept, people, it = org
    v1 = it.current_version()
    v2 = services.new_version(v1)
    moment = at(2026, 5, 6, 15, 30)
    with clock.frozen(moment):
        published = services.publish(v2, actor=people["admin"])
    assert published.status == Status.PUBLISHED and v2.status == Status.PUBLISHED
    assert published.published_at == moment
    v1.refresh_from_db()
    assert v1.status == Status.RETIRED
    assert it.current_version() == published
    assert list(it.versions.filter(status=Status.PUBLISHED)) == [published]
    v3 = services.new_version(v1)  # a retired version can be the source, too
    assert v3.number == 3
    assert "第1版停用" in LogEntry.objects.get(object_id=str(v2.pk)).change_message


def test_published_and_retired_versions_cannot_be_edited(org):
    dept, people, it = org
    v1 = it.current_version()
    with pytest.raises(services.VersionLocked, match="已发布"):
        services.edit_draft(v1, name="改名")
    assert ItemVersion.objects.get(pk=v1.pk).name == "建筑工程施工许可证核发"
    services.publish(services.new_version(v1))
    v1.refresh_from_db()
    with pytest.raises(services.VersionLocked, match="已停用"):
        services.edit_draft(v1, promised_limit=1)
    # A stale in-memory object that still says "draft" does not get past the stored status.
    v1.status = Status.DRAFT
    with pytest.raises(services.VersionLocked):
        services.edit_draft(v1, promised_limit=1)
    assert ItemVersion.objects.get(pk=v1.pk).promised_limit == 10


def test_draft_bookkeeping_fields_are_not_editable(org):
    dept, people, it = org
    v2 = services.new_version(it.current_version())
    with pytest.raises(services.CatalogError):
        services.edit_draft(v2, status=Status.PUBLISHED)
    assert ItemVersion.objects.get(pk=v2.pk).status == Status.DRAFT


def test_one_draft_at_a_time_and_drafts_are_not_copied(org):
    dept, people, it = org
    v1 = it.current_version()
    v2 = services.new_version(v1)
    with pytest.raises(services.CatalogError, match="已有草稿（第2版）"):
        services.new_version(v1)
    with pytest.raises(services.CatalogError, match="草稿"):
        services.new_version(v2)
    assert it.versions.count() == 2
    with pytest.raises(services.CatalogError, match="已有草稿"):
        services.add_draft(ItemVersion(item=it, name="另一稿", legal_basis="x"))


def test_first_version_of_a_new_item(org):
    dept, people, it = org
    blank = f.item(dept, name="临时占用道路许可", publish=False)
    assert blank.current_version() is None
    services.publish(blank.versions.get())
    assert blank.current_version().number == 1
    case = f.receive(people["clerk"], blank)
    assert case.version.number == 1


def draft_of(it, **changes):
    draft = services.new_version(it.current_version())
    ItemVersion.objects.filter(pk=draft.pk).update(**changes)
    draft.refresh_from_db()
    return draft


@pytest.mark.parametrize(("changes", "message"), [
    ({"promised_limit": 25}, "承诺时限不能长于法定时限"),
    ({"extension_limit": 11}, "最多延长10个工作日"),
    ({"extension_limit": 16, "joint_handling": True}, "最多延长15个工作日"),
    ({"free_of_charge": False, "fee_basis": "物价文件"}, "至少应列明一项收费标准"),
    ({"free_of_charge": False, "fee_basis": ""}, "收费依据"),
])
def test_publish_refuses_versions_that_break_the_rules(org, changes, message):
    dept, people, it = org
    draft = draft_of(it, **changes)
    with pytest.raises(services.NotPublishable, match=message):
        services.publish(draft)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert it.current_version().number == 1


def test_publish_refuses_a_flow_that_cannot_be_worked(org):
    dept, people, it = org
    draft = draft_of(it)
    draft.steps.all().delete()
    with pytest.raises(services.NotPublishable, match="至少需要一个环节"):
        services.publish(draft)
    FlowStep.objects.create(version=draft, seq=1, name="监察", role_id=Role.SUPERVISOR)
    with pytest.raises(services.NotPublishable, match="不办理办件"):
        services.publish(draft)
    draft.steps.all().delete()
    FlowStep.objects.create(version=draft, seq=1, name="审查", role_id=Role.HANDLER, limit=6)
    # Parallel steps cost the slower of the two; 6 + 5 = 11 > 10 promised days.
    FlowStep.objects.create(version=draft, seq=2, name="审核", role_id=Role.REVIEWER, limit=5)
    FlowStep.objects.create(version=draft, seq=2, name="会签", role_id=Role.REVIEWER, limit=2)
    with pytest.raises(services.NotPublishable, match="合计11个工作日"):
        services.publish(draft)
    draft.steps.filter(name="审核").update(limit=4)
    assert services.publish(draft).status == Status.PUBLISHED


def test_fees_listed_on_a_free_item_are_refused(org):
    dept, people, it = org
    draft = draft_of(it)
    FeeStandard.objects.create(version=draft, name="工本费", standard="10元", basis="文件")
    with pytest.raises(services.NotPublishable, match="不收费"):
        services.publish(draft)


def test_on_the_spot_and_joint_items_publish(org):
    dept, people, it = org
    spot = f.item(dept, name="户外广告设置备案", promised=0, statutory=0, steps=(("办理", "clerk", None),),
                  publish=False)
    assert services.publish(spot.versions.get()).on_the_spot
    joint = draft_of(it, joint_handling=True, statutory_limit=45, extension_limit=15)
    assert services.publish(joint).status == Status.PUBLISHED
    assert services.publication_warnings(joint) == []


def test_published_version_cannot_be_published_again(org):
    dept, people, it = org
    with pytest.raises(services.NotPublishable, match="只有草稿可以发布"):
        services.publish(it.current_version())


def test_warnings_name_long_licence_limits_and_unstaffed_steps(org):
    dept, people, it = org
    draft = draft_of(it, statutory_limit=30)
    FlowStep.objects.create(version=draft, seq=4, name="专家会审", role_id=Role.HANDLER,
                            department=f.department(name="无人部门"))
    warnings = services.publication_warnings(draft)
    assert any("长于行政许可法第四十二条规定的20个" in w for w in warnings)
    assert any("专家会审" in w and "无人部门" in w for w in warnings)
    assert services.publish(draft).status == Status.PUBLISHED  # warnings never block


def test_retiring_stops_new_cases_but_not_accepted_ones(org):
    dept, people, it = org
    case = cases.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    services.retire(it.current_version())
    assert it.current_version() is None
    with pytest.raises(InvalidInput, match="没有已发布的版本"):
        f.receive(people["clerk"], it, materials={})
    case = cases.perform(case, "pass", actor=people["handler"], params={"opinion": "同意"})
    assert case.steps.get(status=CaseStep.Status.ACTIVE).name == "审核"


def test_department_tree_rejects_a_cycle():
    city = f.department(name="市人民政府", level=Department.Level.CITY)
    district = f.department(name="区人民政府", parent=city, level=Department.Level.DISTRICT)
    town = f.department(name="某某街道", parent=district, level=Department.Level.TOWN)
    city.parent = town
    with pytest.raises(Exception, match="循环") as raised:
        city.full_clean()
    assert "parent" in raised.value.message_dict
    city.parent = city
    with pytest.raises(Exception, match="循环"):
        city.full_clean()
    city.parent = None
    city.full_clean()
    assert town.subtree_ids() == {town.pk}
    assert city.subtree_ids() == {city.pk, district.pk, town.pk}
