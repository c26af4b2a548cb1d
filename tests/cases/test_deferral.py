"""容缺受理: accepted on the applicant's commitment, the deferred materials due by a date, brought later,
and 办结 refused (or flagged, per the item's rule) while any is outstanding."""

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services
from shenpi.cases.documents import notice_data, notice_pdf
from shenpi.cases.models import DeferralCommitment, Notice, State
from shenpi.catalog.models import DeferralRule
from shenpi.errors import InvalidInput, TransitionRefused
from tests import factories as f

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture
def org():
    dept = f.department()
    return dept, f.staff(dept), f.item(dept)


def deferred_case(people, it):
    """A case received with the deferrable material (施工图设计文件审查合格书) deferred, the rest in."""
    materials = {m.pk: ({"deferred": True} if m.deferrable else {"received": True})
                 for m in it.current_version().materials.all()}
    return f.receive(people["clerk"], it, materials=materials)


def to_decided(case, people):
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role])
    return services.perform(case, "grant", actor=people["approver"])


def test_acceptance_with_a_deferred_material_needs_the_commitment_and_changes_nothing_without(org):
    _, people, it = org
    case = deferred_case(people, it)
    with pytest.raises(InvalidInput) as refused:
        services.perform(case, "accept", actor=people["clerk"])
    assert "commitment" in refused.value.fields
    assert "施工图设计文件审查合格书" in refused.value.message
    case.refresh_from_db()
    assert case.state == State.RECEIVED and not case.notices.exists() and not case.commitments.exists()


def test_the_commitment_and_the_due_date_in_working_days_are_recorded_and_printed(org):
    _, people, it = org
    version = it.current_version()
    version.deferral_days = 5
    version.save()
    clock.set_now(at(2026, 9, 28))  # the Monday before 国庆
    case = deferred_case(people, it)
    case = services.perform(case, "accept", actor=people["clerk"],
                            params={"commitment": True, "commitment_signer": "李四（委托代理人）"})
    assert case.state == State.IN_PROGRESS
    material = case.materials.get(deferred=True)
    # Five working days after 28 September 2026: 29, 30 September, 8, 9 and 10 October (调休 Saturday).
    assert material.due_on == dt.date(2026, 10, 10)
    [commitment] = DeferralCommitment.objects.filter(case=case)
    assert commitment.signer == "李四（委托代理人）" and commitment.due_on == material.due_on
    assert commitment.materials == ["施工图设计文件审查合格书"] and commitment.recorded_by == people["clerk"]
    assert "施工图设计文件审查合格书" in commitment.text
    event = case.events.get(action="accept")
    assert event.data["deferred"]["due_on"] == material.due_on.isoformat()

    notice = case.notices.get(kind=Notice.Kind.ACCEPTANCE)
    details = notice_data(notice).details
    assert [m["name"] for m in details["deferred"]] == ["施工图设计文件审查合格书"]
    assert details["deferred"][0]["due"] == material.due_on
    assert "施工图设计文件审查合格书" not in [m["name"] for m in details["materials"]]
    _, pdf = notice_pdf(notice)
    assert pdf.startswith(b"%PDF")


def test_the_acceptance_notice_does_not_say_complete_when_something_is_deferred():
    from shenpi.cases.notices import Body, NoticeData, Styles

    base = dict(kind="acceptance", number="N-01", centre_name="示范市政务服务中心", department_name="住建局",
                case_number="20261001ABCDEFGH", query_code="123456", applicant_name="张三",
                item_name="建筑工程施工许可证核发", issued_at=at(2026, 10, 9), public_base_url="http://x")
    dates = dict(accepted_on=dt.date(2026, 10, 9), promised_due=dt.date(2026, 10, 23),
                 statutory_due=dt.date(2026, 11, 6))

    def text(details):
        flow = Body(NoticeData(**base, details=details), Styles("Helvetica")).flowables()
        return "".join(getattr(x, "text", "") for x in flow) + "".join(
            getattr(p, "text", "") for x in flow for p in getattr(x, "_content", []))

    plain = text(dates)
    assert "申请材料齐全" in plain
    deferred = text({**dates, "deferred": [{"name": "施工图设计文件审查合格书", "due": dt.date(2026, 10, 16)}]})
    assert "申请材料齐全、符合法定形式" not in deferred.replace("主要申请材料齐全、符合法定形式", "")
    assert "容缺" in deferred and "2026年10月16日" in deferred and "不予办结" in deferred


def test_completion_is_refused_while_a_deferred_material_is_outstanding_then_allowed(org):
    _, people, it = org
    clock.set_now(at(2026, 11, 2))
    case = services.perform(deferred_case(people, it), "accept", actor=people["clerk"], params={"commitment": True})
    case = to_decided(case, people)
    with pytest.raises(TransitionRefused) as refused:
        services.perform(case, "complete", actor=people["clerk"])
    assert "施工图设计文件审查合格书" in refused.value.message and "不予办结" in refused.value.message
    case.refresh_from_db()
    assert case.state == State.DECIDED

    material = case.materials.get(deferred=True)
    clock.set_now(at(2026, 11, 4, 15))
    case = services.perform(case, "receive_deferred", actor=people["clerk"], params={"materials": [material.pk]})
    assert case.state == State.DECIDED
    material.refresh_from_db()
    assert material.received and material.deferred and material.received_at == at(2026, 11, 4, 15)
    event = case.events.get(action="receive_deferred")
    assert event.data == {"materials": ["施工图设计文件审查合格书"], "late": [], "remaining": []}
    case = services.perform(case, "complete", actor=people["clerk"])
    assert case.state == State.COMPLETED


def test_late_receipt_is_recorded_as_late_and_only_outstanding_materials_can_be_received(org):
    _, people, it = org
    clock.set_now(at(2026, 11, 2))
    case = services.perform(deferred_case(people, it), "accept", actor=people["clerk"], params={"commitment": True})
    received = case.materials.filter(received=True).first()
    with pytest.raises(InvalidInput):
        services.perform(case, "receive_deferred", actor=people["clerk"], params={"materials": [received.pk]})
    with pytest.raises(InvalidInput):
        services.perform(case, "receive_deferred", actor=people["clerk"], params={"materials": []})
    material = case.materials.get(deferred=True)
    clock.set_now(at(2026, 11, 30))
    case = services.perform(case, "receive_deferred", actor=people["clerk"], params={"materials": [material.pk]})
    assert case.events.get(action="receive_deferred").data["late"] == ["施工图设计文件审查合格书"]
    with pytest.raises(TransitionRefused, match="没有待补交的容缺材料"):
        services.perform(case, "receive_deferred", actor=people["clerk"], params={"materials": [material.pk]})


def test_an_item_that_allows_completion_flags_it_and_the_material_may_still_come(org):
    _, people, it = org
    version = it.current_version()
    version.deferral_rule = DeferralRule.FLAG
    version.save()
    clock.set_now(at(2026, 11, 2))
    case = services.perform(deferred_case(people, it), "accept", actor=people["clerk"], params={"commitment": True})
    case = services.perform(to_decided(case, people), "complete", actor=people["clerk"])
    assert case.state == State.COMPLETED
    assert case.events.get(action="complete").data["deferred_outstanding"] == ["施工图设计文件审查合格书"]
    material = case.materials.get(deferred=True)
    case = services.perform(case, "receive_deferred", actor=people["clerk"], params={"materials": [material.pk]})
    assert case.state == State.COMPLETED and case.materials.get(pk=material.pk).received


def test_a_reprinted_acceptance_notice_says_what_it_said_when_issued(org):
    _, people, it = org
    clock.set_now(at(2026, 11, 2))
    case = services.perform(deferred_case(people, it), "accept", actor=people["clerk"], params={"commitment": True})
    notice = case.notices.get(kind=Notice.Kind.ACCEPTANCE)
    before = notice_data(notice).details
    material = case.materials.get(deferred=True)
    clock.set_now(at(2026, 11, 3))
    services.perform(case, "receive_deferred", actor=people["clerk"], params={"materials": [material.pk]})
    after = notice_data(Notice.objects.get(pk=notice.pk)).details
    assert after == before
    assert material.name not in [m["name"] for m in after["materials"]]


def test_the_item_rule_is_checked_and_kept_by_a_new_version(org):
    from django.core.exceptions import ValidationError

    from shenpi.catalog import services as catalog

    _, people, it = org
    version = it.current_version()
    version.deferral_days = 0
    with pytest.raises(ValidationError) as invalid:
        version.full_clean()
    assert "deferral_days" in invalid.value.message_dict
    version.deferral_days, version.deferral_rule = 7, DeferralRule.FLAG
    version.save()
    draft = catalog.new_version(version, people["admin"])
    assert (draft.deferral_days, draft.deferral_rule) == (7, DeferralRule.FLAG)


def test_the_window_receives_a_deferred_material_with_its_scan(org, settings, tmp_path):
    from shenpi.cases import files
    from shenpi.crypto import sm3_hex
    from tests.online.conftest import pdf, upload

    settings.MEDIA_ROOT = tmp_path / "media"
    _, people, it = org
    clock.set_now(at(2026, 11, 2))
    case = services.perform(deferred_case(people, it), "accept", actor=people["clerk"], params={"commitment": True})
    material = case.materials.get(deferred=True)
    content = pdf(3)
    stored = files.store(files.inspect(upload("合格书扫描.pdf", content)))
    clock.set_now(at(2026, 11, 3, 9))
    # A scan alone says the material was brought (like a scan at receipt).
    case = services.perform(case, "receive_deferred", actor=people["clerk"], params={"files": {material.pk: stored}})
    material.refresh_from_db()
    assert material.received and material.deferred and material.received_at == at(2026, 11, 3, 9)
    assert material.content_hash == sm3_hex(content) and material.pages == 3 and material.file.read() == content
    assert material.note.startswith("窗口扫描电子材料") and material.source_label == "窗口扫描上传"
    event = case.events.get(action="receive_deferred")
    assert event.data["materials"] == ["施工图设计文件审查合格书"]
    assert event.data["files"] == [{"name": "施工图设计文件审查合格书", "file": "合格书扫描.pdf",
                                    "digest": sm3_hex(content), "size": len(content)}]


def test_a_scan_must_be_checked_and_belong_to_an_outstanding_material(org):
    _, people, it = org
    clock.set_now(at(2026, 11, 2))
    case = services.perform(deferred_case(people, it), "accept", actor=people["clerk"], params={"commitment": True})
    material = case.materials.get(deferred=True)
    with pytest.raises(InvalidInput, match="电子材料须先经内容校验"):
        services.perform(case, "receive_deferred", actor=people["clerk"],
                         params={"materials": [material.pk], "files": {material.pk: "materials/x.pdf"}})
    assert case.materials.get(pk=material.pk).outstanding


def test_the_acceptance_notice_offers_the_upload_only_to_who_can_use_it(org):
    from shenpi.cases.notices import Body, Styles

    _, people, it = org
    clock.set_now(at(2026, 11, 2))
    # Received at the window from someone without an account: the window only.
    case = services.perform(deferred_case(people, it), "accept", actor=people["clerk"], params={"commitment": True})
    notice = case.notices.get(kind=Notice.Kind.ACCEPTANCE)
    assert notice.body["deferral_online"] is False
    assert notice_data(notice).details["deferral_online"] is False
    assert case.events.get(action="accept").data.get("deferral_online") is None

    def terms(online: bool) -> str:
        data = notice_data(notice)
        data = dataclasses.replace(data, details={**data.details, "deferral_online": online})
        return Body(data, Styles("Helvetica")).deferral_terms(data.details["deferred"])

    assert "受理窗口补交" in terms(False) and "我的办件" not in terms(False)
    assert "受理窗口补交上述材料，或登录网上办事大厅在“我的办件”中上传。" in terms(True)
