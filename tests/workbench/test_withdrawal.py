"""申请人撤回 at the window: only with the applicant's signed 撤回申请书, scanned, checked and kept with the event."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shenpi import clock
from shenpi.cases import services, trail
from shenpi.cases.models import CaseEvent, CaseMaterial, State
from shenpi.crypto import sm3_hex
from shenpi.errors import InvalidInput
from tests import factories as f

from .conftest import accepted, at

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def snapshot(case):
    case.refresh_from_db()
    return (case.state, case.row_version, CaseEvent.objects.filter(case=case).count(),
            CaseMaterial.objects.filter(case=case).count())


def withdraw(client, case, **fields):
    data = {"action": "withdraw", "row_version": case.row_version}
    data.update({f"withdraw-{k}": v for k, v in fields.items()})
    return client.post(f"/workbench/cases/{case.number}/act/", data)


def test_the_service_refuses_a_withdrawal_without_the_signed_request(org):
    clock.set_now(at(2026, 11, 2))
    case = accepted(org)
    before = snapshot(case)
    for params in ({"reason": "申请人不再办理"},
                   {"reason": "申请人不再办理", "request_file": SimpleUploadedFile("a.png", f.PNG_SCAN)},
                   {"reason": "申请人不再办理", "request_file": "materials/2026/11/forged.pdf"}):
        with pytest.raises(InvalidInput) as refused:
            services.perform(case, "withdraw", actor=org.people["clerk"], params=params)
        assert "撤回申请书" in refused.value.fields["request_file"][0]
    assert snapshot(case) == before


def test_the_window_records_a_withdrawal_with_the_scanned_request(org):
    clock.set_now(at(2026, 11, 2))
    case = accepted(org)
    client = org.client("clerk")
    before = snapshot(case)

    missing = withdraw(client, case, reason="申请人书面申请撤回")
    assert missing.status_code == 400 and "请上传申请人签字（盖章）的撤回申请书扫描件" in missing.content.decode()
    not_a_scan = withdraw(client, case, reason="申请人书面申请撤回",
                          request_file=SimpleUploadedFile("撤回申请书.pdf", EXE, content_type="application/pdf"))
    assert not_a_scan.status_code == 400 and "不是PDF、JPG、PNG文件" in not_a_scan.content.decode()
    assert snapshot(case) == before

    clock.set_now(at(2026, 11, 3))
    done = withdraw(client, case, reason="申请人书面申请撤回",
                    request_file=SimpleUploadedFile("撤回申请书.png", f.PNG_SCAN, content_type="image/png"))
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN and case.closing_reason == "申请人书面申请撤回"
    scan = CaseMaterial.objects.get(case=case, name="撤回申请书")
    assert scan.received and scan.content_hash == sm3_hex(f.PNG_SCAN) and scan.file.read() == f.PNG_SCAN
    assert scan.source_label == "窗口扫描上传" and not scan.required
    event = CaseEvent.objects.filter(case=case).order_by("pk").last()
    assert event.action == "withdraw" and event.data["request"] == {
        "name": "撤回申请书", "file": "撤回申请书.png", "digest": sm3_hex(f.PNG_SCAN), "size": len(f.PNG_SCAN)}
    assert trail.verify(case_number=case.number).breaks == []
    assert "撤回申请书" in client.get(f"/workbench/cases/{case.number}/").content.decode()
