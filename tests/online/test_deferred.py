"""容缺 materials uploaded online after acceptance (网上补交容缺材料): from 我的办件, each file checked by content,
counted at once with its SM3 digest through the applicant's own action; 办结 and supervision follow."""

import pytest

from shenpi import clock
from shenpi.cases import lifecycle, trail
from shenpi.cases import services as case_services
from shenpi.cases.documents import notice_data
from shenpi.cases.models import CaseEvent, Notice, State
from shenpi.crypto import sm3_hex
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.online import services
from shenpi.supervision.models import Alert
from shenpi.supervision.scan import scan
from tests import factories as f
from tests.applicants.helpers import client_for, real_named

from .conftest import EXE, PNG, at, pdf, submitted, upload

pytestmark = pytest.mark.django_db

DEFERRED = "施工图设计文件审查合格书"


def accepted_online(world):
    clock.set_now(at(2026, 11, 2, 9))  # Monday
    return services.accept(submitted(world), world.people["clerk"])


def to_decided(case, people):
    for role in ("handler", "reviewer", "approver"):
        case = case_services.perform(case, "pass", actor=people[role], params={"opinion": "同意"})
    return case_services.perform(case, "grant", actor=people["approver"])


def open_alerts(case):
    return set(Alert.objects.filter(rule__code="proc.deferred_overdue", status=Alert.Status.OPEN,
                                    case=case).values_list("level", flat=True))


def test_the_applicant_uploads_a_deferred_material_and_the_case_can_be_completed(world):
    case = accepted_online(world)
    material = case.materials.get(deferred=True)
    assert material.name == DEFERRED and not material.received and material.due_on is not None

    # The 受理通知书 tells an online applicant they may upload it under 我的办件.
    notice = case.notices.get(kind=Notice.Kind.ACCEPTANCE)
    assert notice_data(notice).details["deferral_online"] is True

    owner = client_for(world.applicant)
    home = owner.get("/account/").content.decode()
    assert f"/apply/cases/{case.number}/deferred/" in home
    page = owner.get(f"/account/cases/{case.number}/").content.decode()
    assert "容缺材料待补交" in page and "在线补交容缺材料" in page and DEFERRED in page

    # The material is past its date: supervision raises its card.
    clock.set_now(at(2026, 11, 17, 9))
    scan(full=True)
    assert open_alerts(case)

    url = f"/apply/cases/{case.number}/deferred/"
    assert "提交容缺材料" in owner.get(url).content.decode()
    refused = owner.post(url, {f"file-{material.pk}": upload("合格书.pdf", EXE)})
    assert refused.status_code == 400 and "不是PDF、JPG、PNG文件" in refused.content.decode()
    material.refresh_from_db()
    assert not material.received and not material.file

    clock.set_now(at(2026, 11, 17, 10))
    scan_file = pdf(2)
    done = owner.post(url, {f"file-{material.pk}": upload("合格书.pdf", scan_file), "comment": "原件已签章"})
    assert done.status_code == 302 and done["Location"] == f"/account/cases/{case.number}/"
    material.refresh_from_db()
    assert material.received and material.deferred and material.received_at == at(2026, 11, 17, 10)
    assert material.content_hash == sm3_hex(scan_file) and material.file.read() == scan_file
    assert material.content_type == "application/pdf" and material.pages == 2 and material.file_name == "合格书.pdf"
    assert material.note.startswith("网上补交容缺材料") and material.source_label == "申请人网上补交"

    event = CaseEvent.objects.filter(case=case).order_by("-pk").first()
    assert event.action == "supply_deferred" and event.actor_id == world.applicant.user_id
    assert event.comment == "原件已签章" and event.to_state == State.IN_PROGRESS
    assert event.data["materials"] == [DEFERRED] and event.data["late"] == [DEFERRED]
    assert [one["digest"] for one in event.data["files"]] == [sm3_hex(scan_file)]
    assert not trail.verify(case_number=case.number).breaks

    # The alert closes as for a window receipt; nothing more to upload; 办结 is no longer refused.
    clock.set_now(at(2026, 11, 17, 11))
    scan()
    assert not open_alerts(case)
    assert "没有待补交的容缺材料" in owner.get(url).content.decode()
    assert "在线补交容缺材料" not in owner.get(f"/account/cases/{case.number}/").content.decode()

    # Staff open the file on the case page.
    handler = world.client("handler")
    staff_page = handler.get(f"/workbench/cases/{case.number}/").content.decode()
    assert f"/workbench/cases/{case.number}/materials/{material.pk}/" in staff_page
    preview = handler.get(f"/workbench/cases/{case.number}/materials/{material.pk}/").content.decode()
    assert "申请人网上补交" in preview
    case = case_services.perform(to_decided(case, world.people), "complete", actor=world.people["clerk"])
    assert case.state == State.COMPLETED


def test_a_bad_or_missing_file_changes_nothing(world):
    case = accepted_online(world)
    material = case.materials.get(deferred=True)
    with pytest.raises(InvalidInput, match="请至少为一项容缺材料选择文件"):
        services.supply_deferred(world.applicant, case, {material.pk: None})
    with pytest.raises(InvalidInput) as refused:
        services.supply_deferred(world.applicant, case, {material.pk: upload("a.pdf", b"")})
    assert f"file-{material.pk}" in refused.value.fields
    other = case.materials.filter(received=True).first()
    with pytest.raises(InvalidInput, match="不是本件待补交的容缺材料"):
        services.supply_deferred(world.applicant, case, {other.pk: upload("a.png", PNG)})
    case.refresh_from_db()
    assert not case.events.filter(action="supply_deferred").exists()
    assert case.materials.get(pk=material.pk).outstanding
    assert case.materials.get(pk=other.pk).content_hash != sm3_hex(PNG)


def test_only_the_applicant_of_the_case_may_upload_and_staff_cannot_act_for_them(world):
    case = accepted_online(world)
    material = case.materials.get(deferred=True)
    intruder = client_for(world.organisation)
    url = f"/apply/cases/{case.number}/deferred/"
    assert intruder.get(url).status_code == 404
    assert intruder.post(url, {f"file-{material.pk}": upload("a.pdf", pdf(1))}).status_code == 404
    with pytest.raises(Forbidden):
        services.supply_deferred(world.organisation, case, {material.pk: upload("a.pdf", pdf(1))})
    with pytest.raises(InvalidInput, match="未知的操作"):
        case_services.perform(case, "supply_deferred", actor=world.people["clerk"])
    assert case.materials.get(pk=material.pk).outstanding


def test_a_forged_file_reference_is_refused(world):
    """The action takes only files checked and stored by the platform, never a path sent along."""
    case = accepted_online(world)
    material = case.materials.get(deferred=True)
    forged = {material.pk: {"file": "materials/2026/11/elsewhere.pdf", "name": "x.pdf", "digest": "0" * 64,
                            "content_type": "application/pdf", "size": 10}}
    with pytest.raises(InvalidInput, match="电子材料须先经内容校验"):
        case_services.perform_as_applicant(case, "supply_deferred", user=world.applicant.user,
                                           id_index=world.applicant.id_index, params={"files": forged})
    with pytest.raises(InvalidInput, match="电子材料须先经内容校验"):
        case_services.perform(case, "receive_deferred", actor=world.people["clerk"], params={"files": forged})
    assert case.materials.get(pk=material.pk).outstanding


def test_a_window_case_of_an_account_holder_is_offered_the_upload_and_told_so(world):
    clock.set_now(at(2026, 11, 2, 9))
    version = world.item.current_version()
    materials = {m.pk: ({"deferred": True} if m.deferrable else {"received": True}) for m in version.materials.all()}
    # Received at the window under the account holder's own ID number.
    case = f.receive(world.people["clerk"], world.item, materials=materials, name="李四",
                     id_number=world.applicant.id_number, phone="13912345678")
    real_named(world.applicant)  # a window case shows under 我的办件 once the account is real-name verified
    owner = client_for(world.applicant)
    # Not accepted yet: nothing to upload.
    assert f"/apply/cases/{case.number}/deferred/" not in owner.get("/account/").content.decode()
    case = case_services.perform(case, "accept", actor=world.people["clerk"], params={"commitment": True})
    assert f"/apply/cases/{case.number}/deferred/" in owner.get("/account/").content.decode()
    assert notice_data(case.notices.get(kind=Notice.Kind.ACCEPTANCE)).details["deferral_online"] is True
    material = case.materials.get(deferred=True)
    services.supply_deferred(world.applicant, case, {material.pk: upload("合格书.jpg", PNG)})
    material.refresh_from_db()
    assert material.received and material.content_type == "image/png" and material.file_name == "合格书.png"


def test_the_upload_is_refused_once_nothing_is_outstanding_or_the_case_was_withdrawn(world):
    case = accepted_online(world)
    material = case.materials.get(deferred=True)
    case = case_services.perform(case, "receive_deferred", actor=world.people["clerk"],
                                 params={"materials": [material.pk]})
    with pytest.raises(TransitionRefused, match="没有待补交的容缺材料"):
        services.supply_deferred(world.applicant, case, {material.pk: upload("a.pdf", pdf(1))})
    second = accepted_online(world)
    second = case_services.perform(second, "withdraw", actor=world.people["clerk"],
                                   params={"reason": "申请人撤回", "request_file": f.withdrawal_request()})
    assert lifecycle.deferred_to_upload(second) == []
    page = client_for(world.applicant).get(f"/apply/cases/{second.number}/deferred/").content.decode()
    assert "没有待补交的容缺材料" in page
