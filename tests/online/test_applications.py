"""The applicant's side of 网上申报: which items, drafts, uploads, submission and its pre-review due date."""

from pathlib import Path

import pytest
from django.conf import settings

from shenpi import clock
from shenpi.catalog.models import ItemVersion
from shenpi.crypto import sm3_hex
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.online import services
from shenpi.online.models import ApplicationEvent, OnlineApplication, Upload
from tests import factories as f

from .conftest import EXE, PNG, at, filled, pdf, submitted, upload

Status = OnlineApplication.Status


def _stored(row: Upload) -> Path:
    return Path(settings.MEDIA_ROOT) / row.file.name


def test_only_items_applied_for_online_are_offered(world):
    offline = f.item(world.dept, name="户外广告设置许可")
    ItemVersion.objects.filter(item=offline).update(online_depth=ItemVersion.OnlineDepth.DOWNLOAD)
    full = f.item(world.dept, name="企业名称登记")
    ItemVersion.objects.filter(item=full).update(online_depth=ItemVersion.OnlineDepth.FULL)
    unpublished = f.item(world.dept, name="未发布事项", publish=False)
    offered = set(services.applyable_items().values_list("pk", flat=True))
    assert offered == {world.item.pk, full.pk}
    assert list(services.applyable_items("施工许可").values_list("pk", flat=True)) == [world.item.pk]
    with pytest.raises(InvalidInput, match="该事项暂不支持网上申报"):
        services.start(world.applicant, offline)
    with pytest.raises(InvalidInput, match="该事项暂不支持网上申报"):
        services.start(world.applicant, unpublished)


def test_a_draft_takes_the_applicant_and_item_facts(world):
    clock.set_now(at(2026, 3, 2))
    app = services.start(world.organisation, world.item)
    assert app.status == Status.DRAFT and app.number.startswith("WS20260302") and len(app.number) == 18
    assert app.version == world.item.current_version() and app.department == world.dept
    assert app.data == {"contact_name": "王五", "description": ""}
    assert app.submitted_at is None and app.prereview_due is None
    assert [e.action for e in app.events.all()] == ["create"]


def test_items_for_one_audience_refuse_the_other(world):
    ItemVersion.objects.filter(item=world.item).update(audience=ItemVersion.Audience.PERSON)
    with pytest.raises(InvalidInput, match="仅限个人申请，法人和其他组织不能申请。请使用个人账号申报"):
        services.start(world.organisation, world.item)
    assert services.start(world.applicant, world.item).status == Status.DRAFT


def test_company_only_items_are_not_offered_to_individuals_and_refused_to_them(world):
    ItemVersion.objects.filter(item=world.item).update(audience=ItemVersion.Audience.ORGANISATION)
    both = f.item(world.dept, name="房屋建筑工程竣工验收备案")
    assert set(services.applyable_items(applicant=world.applicant).values_list("pk", flat=True)) == {both.pk}
    assert set(services.applyable_items(applicant=world.organisation).values_list("pk", flat=True)) == {
        world.item.pk, both.pk}
    with pytest.raises(InvalidInput) as refused:
        services.start(world.applicant, world.item)
    assert refused.value.fields["item"] == [
        "“建筑工程施工许可证核发”仅限法人和其他组织申请，个人不能申请。请使用法人账号申报。"]
    assert not OnlineApplication.objects.filter(applicant=world.applicant).exists()


def test_a_draft_whose_item_became_company_only_is_not_submitted_by_an_individual(world):
    app = filled(world)
    ItemVersion.objects.filter(item=world.item).update(audience=ItemVersion.Audience.ORGANISATION)
    with pytest.raises(InvalidInput, match="仅限法人和其他组织申请"):
        services.submit(world.applicant, app)
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_a_draft_is_saved_as_typed_and_checked_on_submission(world):
    app = services.start(world.applicant, world.item)
    app = services.save_draft(world.applicant, app, title="", description="第一次保存")
    assert app.data["description"] == "第一次保存" and app.data["contact_name"] == "李四"
    with pytest.raises(InvalidInput) as refused:
        services.submit(world.applicant, app)
    fields = refused.value.fields
    assert fields["title"] == ["请填写申请事项/项目名称。"]
    assert fields["materials"] == ["请上传以下必需材料：建筑工程施工许可申请表、建设工程规划许可证。"]
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.submitted_at is None
    with pytest.raises(InvalidInput) as refused:
        services.save_draft(world.applicant, app, title="项" * 201)
    assert refused.value.fields["title"] == ["申请事项/项目名称不能超过200个字。"]


def test_an_upload_is_stored_with_its_digest_and_replaced_in_a_draft(world, django_capture_on_commit_callbacks):
    app = services.start(world.applicant, world.item)
    spec = world.specs()[0]
    content = pdf(2)
    first = services.add_upload(world.applicant, app, spec.pk, upload("申请表.pdf", content))
    assert (first.content_type, first.pages, first.size, first.digest) == (
        "application/pdf", 2, len(content), sm3_hex(content))
    assert first.file.name.startswith("online/") and first.file.name.endswith(".pdf")
    assert "申请表" not in first.file.name  # stored under a random name
    # Encrypted on disk (nothing of the PDF readable), the original bytes when read through the storage.
    assert not _stored(first).read_bytes().startswith(b"%PDF") and content[:64] not in _stored(first).read_bytes()
    with first.file.open("rb") as handle:
        assert handle.read() == content
    with django_capture_on_commit_callbacks(execute=True):
        second = services.add_upload(world.applicant, app, spec.pk, upload("申请表（新）.pdf", PNG))
    assert second.content_type == "image/png" and second.name == "申请表（新）.png"
    # Before the first submission the replaced file is simply gone.
    assert list(app.uploads.values_list("pk", flat=True)) == [second.pk]
    assert not _stored(first).exists()


def test_a_refused_upload_changes_nothing(world):
    app = services.start(world.applicant, world.item)
    spec = world.specs()[0]
    kept = services.add_upload(world.applicant, app, spec.pk, upload("申请表.pdf", pdf(1)))
    with pytest.raises(InvalidInput, match="不是PDF、JPG、PNG文件"):
        services.add_upload(world.applicant, app, spec.pk, upload("申请表.pdf", EXE))
    assert list(app.uploads.all()) == [kept]
    with pytest.raises(InvalidInput, match="所选材料不属于该事项"):
        services.add_upload(world.applicant, app, f.item(world.other).current_version().materials.first().pk,
                            upload("x.pdf", pdf(1)))


def test_nobody_else_touches_my_application(world):
    app = filled(world)
    spec = world.specs()[0]
    with pytest.raises(Forbidden):
        services.save_draft(world.organisation, app, title="改")
    with pytest.raises(Forbidden):
        services.add_upload(world.organisation, app, spec.pk, upload("x.pdf", pdf(1)))
    with pytest.raises(Forbidden):
        services.submit(world.organisation, app)
    with pytest.raises(Forbidden):
        services.discard(world.organisation, app)
    assert services.applications_of(world.organisation).count() == 0


def test_submission_goes_to_pre_review_due_in_two_working_days(world):
    # Tuesday 29 September 2026: the 30th counts, then 国庆 runs from 1 to 7 October, so the window has until the 8th.
    clock.set_now(at(2026, 9, 29, 16, 30))
    app = submitted(world)
    assert app.status == Status.SUBMITTED
    assert app.submitted_at == app.first_submitted_at == at(2026, 9, 29, 16, 30)
    assert app.prereview_due.isoformat() == "2026-10-08"
    assert [e.action for e in app.events.all()] == ["create", "submit"]
    event = app.events.last()
    assert (event.from_status, event.to_status, event.actor) == ("draft", "submitted", world.applicant.user)


def test_submitted_on_a_friday_is_due_on_tuesday(world):
    clock.set_now(at(2026, 3, 6, 18, 0))
    assert submitted(world).prereview_due.isoformat() == "2026-03-10"


def test_a_submitted_application_can_no_longer_be_changed(world):
    app = submitted(world)
    spec = world.specs()[0]
    with pytest.raises(TransitionRefused, match="申请当前为“待预审”，不能修改。"):
        services.save_draft(world.applicant, app, title="改名")
    with pytest.raises(TransitionRefused, match="不能修改"):
        services.add_upload(world.applicant, app, spec.pk, upload("x.pdf", pdf(1)))
    with pytest.raises(TransitionRefused):
        services.submit(world.applicant, app)
    with pytest.raises(TransitionRefused, match="只能删除未提交的草稿"):
        services.discard(world.applicant, app)


def test_a_draft_can_be_discarded_with_its_files(world, django_capture_on_commit_callbacks):
    app = filled(world)
    stored = [_stored(u) for u in app.uploads.all()]
    assert stored and all(p.exists() for p in stored)
    with django_capture_on_commit_callbacks(execute=True):
        services.discard(world.applicant, app)
    assert not OnlineApplication.objects.filter(pk=app.pk).exists()
    assert not ApplicationEvent.objects.filter(application_id=app.pk).exists()
    assert not any(p.exists() for p in stored)


def test_a_new_item_version_stops_an_old_draft(world):
    app = filled(world)
    old = world.item.current_version()
    old.status = ItemVersion.Status.RETIRED
    old.save()
    ItemVersion.objects.create(item=world.item, number=2, status=ItemVersion.Status.PUBLISHED, name=old.name,
                               legal_basis=old.legal_basis)
    with pytest.raises(TransitionRefused, match="办事指南已更新"):
        services.submit(world.applicant, app)
