"""容缺材料补交 at the window with the scan of the paper: checked by content like the scans at receipt, stored
with its SM3 digest, previewed from the case page; a refused file changes nothing and leaves no file behind."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from shenpi import clock
from shenpi.cases import services
from shenpi.cases.models import Case, MaterialAccess
from shenpi.crypto import sm3_hex
from tests import factories as f
from tests.online.conftest import EXE, pdf

from .conftest import at


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def deferred_case(org) -> Case:
    clock.set_now(at(2026, 11, 2))
    materials = {m.pk: ({"deferred": True} if m.deferrable else {"received": True})
                 for m in org.item.current_version().materials.all()}
    case = f.receive(org.people["clerk"], org.item, materials=materials)
    return services.perform(case, "accept", actor=org.people["clerk"], params={"commitment": True})


def post_scan(client, case: Case, material, content: bytes, name: str = "合格书.pdf"):
    case.refresh_from_db()
    return client.post(f"/workbench/cases/{case.number}/act/", {
        "action": "receive_deferred", "row_version": case.row_version,
        f"receive_deferred-file_{material.pk}": SimpleUploadedFile(name, content, content_type="application/pdf"),
    })


def stored_files() -> list[str]:
    try:
        months = default_storage.listdir("materials")[0]
    except FileNotFoundError:
        return []
    return [f"{y}/{m}/{name}" for y in months for m in default_storage.listdir(f"materials/{y}")[0]
            for name in default_storage.listdir(f"materials/{y}/{m}")[1]]


def test_the_clerk_receives_a_deferred_material_with_its_scan_and_the_handler_previews_it(org):
    case = deferred_case(org)
    material = case.materials.get(deferred=True)
    clerk = org.client("clerk")
    page = clerk.get(f"/workbench/cases/{case.number}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and f"receive_deferred-file_{material.pk}" in page

    content = pdf(2)
    answer = post_scan(clerk, case, material, content)
    assert answer.status_code == 302
    material.refresh_from_db()
    assert material.received and material.deferred and material.content_hash == sm3_hex(content)
    assert material.file.read() == content and material.pages == 2 and material.file_name == "合格书.pdf"
    assert case.events.get(action="receive_deferred").data["files"][0]["digest"] == sm3_hex(content)

    handler = org.client("handler")
    assert f"/workbench/cases/{case.number}/materials/{material.pk}/" in handler.get(
        f"/workbench/cases/{case.number}/").content.decode()
    preview = handler.get(f"/workbench/cases/{case.number}/materials/{material.pk}/")
    assert preview.status_code == 200 and "窗口扫描上传" in preview.content.decode()
    opened = handler.get(f"/workbench/cases/{case.number}/materials/{material.pk}/file")
    assert b"".join(opened.streaming_content) == content
    assert MaterialAccess.objects.filter(material=material, viewer=org.people["handler"]).exists()


def test_a_bad_scan_refuses_the_receipt_and_nothing_is_kept(org):
    case = deferred_case(org)
    material = case.materials.get(deferred=True)
    answer = post_scan(org.client("clerk"), case, material, EXE)
    assert answer.status_code == 400 and "不是PDF、JPG、PNG文件" in answer.content.decode()
    assert case.materials.get(pk=material.pk).outstanding
    assert not case.events.filter(action="receive_deferred").exists()
    assert stored_files() == []


def test_a_refused_action_deletes_the_scan_it_stored(org):
    case = deferred_case(org)
    material = case.materials.get(deferred=True)
    clerk = org.client("clerk")
    case.refresh_from_db()
    stale = case.row_version
    # Someone else acted meanwhile: the page's version is stale, the action is refused (409).
    services.perform(case, "pass", actor=org.people["handler"], params={"opinion": "同意"})
    answer = clerk.post(f"/workbench/cases/{case.number}/act/", {
        "action": "receive_deferred", "row_version": stale,
        f"receive_deferred-file_{material.pk}": SimpleUploadedFile("a.pdf", pdf(1), content_type="application/pdf"),
    })
    assert answer.status_code == 409
    assert case.materials.get(pk=material.pk).outstanding
    assert stored_files() == []


def test_a_supplement_brought_to_the_window_is_resumed_with_its_scans(org):
    case = deferred_case(org)
    case = services.perform(case, "pass", actor=org.people["handler"], params={"opinion": "同意"})
    permit = case.materials.filter(received=True).first()
    case = services.perform(case, "request_supplement", actor=org.people["reviewer"], params={
        "reason": "复印件不清晰，另需消防意见", "materials": [{"material": permit.pk}, {"name": "消防设计审查意见书"}]})
    assert case.state == "suspended"
    clerk = org.client("clerk")
    page = clerk.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "resume-file_0" in page and "resume-file_1" in page
    content = pdf(1)
    case.refresh_from_db()
    answer = clerk.post(f"/workbench/cases/{case.number}/act/", {
        "action": "resume", "row_version": case.row_version, "resume-comment": "申请人到窗口补交",
        "resume-file_1": SimpleUploadedFile("消防意见.pdf", content, content_type="application/pdf")})
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.state == "in_progress"
    added = case.materials.get(name="消防设计审查意见书（补交）")
    assert added.received and added.content_hash == sm3_hex(content) and added.note.startswith("窗口扫描电子材料")
    assert case.events.get(action="resume").data["files"][0]["digest"] == sm3_hex(content)
    assert f"/workbench/cases/{case.number}/materials/{added.pk}/" in org.client("handler").get(
        f"/workbench/cases/{case.number}/").content.decode()
