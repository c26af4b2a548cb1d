"""Electronic materials: the window scans the paper at receipt, and everyone who may see the case opens
its files in the page, each opening recorded (who, when, which file, from where)."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from shenpi.cases import files, materials
from shenpi.cases.models import Case, CaseMaterial, CaseStep, MaterialAccess
from shenpi.crypto import sm3_hex
from shenpi.errors import InvalidInput
from tests import factories as f
from tests.online.conftest import EXE, PNG, pdf

from .conftest import accepted
from .test_accept import application, html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def scan(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def specs(item):
    return list(item.current_version().materials.all())


def scanned_case(org, content: bytes = None, name: str = "申请表扫描.pdf") -> tuple[Case, CaseMaterial, bytes]:
    """A case accepted at the window with the first material scanned (a two-page PDF by default)."""
    content = pdf(2) if content is None else content
    first = specs(org.item)[0]
    data = application(org.item, decision="accept", **{f"m{first.pk}-file": scan(name, content)})
    response = org.client("clerk").post("/workbench/accept/", data)
    assert response.status_code == 302, html(response)
    case = Case.objects.get()
    return case, case.materials.get(spec=first), content


# -- at the window ------------------------------------------------------------------------------

def test_the_receipt_form_takes_a_scan_per_material(org):
    body = html(org.client("clerk").get(f"/workbench/accept/?item={org.item.code}"))
    assert 'enctype="multipart/form-data"' in body
    for spec in specs(org.item):
        assert f'name="m{spec.pk}-file"' in body


def test_a_scan_is_checked_hashed_and_kept_with_the_case(org):
    case, material, content = scanned_case(org)
    assert material.received and material.file.name.startswith("materials/")
    assert material.file_name == "申请表扫描.pdf" and material.content_type == "application/pdf"
    assert (material.size, material.pages, material.content_hash) == (len(content), 2, sm3_hex(content))
    with default_storage.open(material.file.name, "rb") as stored:
        assert stored.read() == content
    # Nothing of the applicant's file name reaches the disk.
    assert "申请表" not in material.file.name
    others = case.materials.exclude(pk=material.pk)
    assert not any(m.file for m in others)


def test_a_scan_is_encrypted_on_disk_and_staff_get_the_original_bytes(org, settings):
    first = specs(org.item)[0]
    data = application(org.item, decision="accept", **{f"m{first.pk}-file": scan("身份证.png", PNG, "image/png")})
    assert org.client("clerk").post("/workbench/accept/", data).status_code == 302
    case = Case.objects.get()
    material = case.materials.get(spec=first)
    on_disk = (settings.MEDIA_ROOT / material.file.name).read_bytes()
    assert not on_disk.startswith(b"\x89PNG") and b"IHDR" not in on_disk and PNG[16:] not in on_disk
    assert material.content_hash == sm3_hex(PNG) and material.size == len(PNG)  # of the plain content
    handler, url = org.client("handler"), f"/workbench/cases/{case.number}/materials/{material.pk}/"
    assert handler.get(url).status_code == 200
    response = handler.get(url + "file")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    # A file stored in clear before files were encrypted is still served as it is.
    (settings.MEDIA_ROOT / material.file.name).write_bytes(PNG)
    assert handler.get(url).status_code == 200
    response = handler.get(url + "file")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG


def test_a_scan_means_the_paper_was_received_even_unticked(org):
    second = specs(org.item)[1]
    data = application(org.item, decision="accept", received=[s.pk for s in specs(org.item) if s != second])
    data[f"m{second.pk}-file"] = scan("规划许可证.png", PNG, "image/png")
    response = org.client("clerk").post("/workbench/accept/", data)
    assert response.status_code == 302
    material = Case.objects.get().materials.get(spec=second)
    assert material.received and material.content_type == "image/png" and material.pages is None


def test_an_executable_named_pdf_is_refused_and_nothing_is_registered(org):
    first, second = specs(org.item)[:2]
    data = application(org.item, decision="accept", **{
        f"m{first.pk}-file": scan("申请表.pdf", EXE), f"m{second.pk}-file": scan("规划许可证.pdf", pdf(1))})
    response = org.client("clerk").post("/workbench/accept/", data)
    body = html(response)
    assert response.status_code == 400 and not Case.objects.exists()
    assert "“申请表.pdf”不是PDF、JPG、PNG文件" in body and "本次未登记任何办件" in body
    # The good scan is kept for the next press: the clerk does not scan it again.
    assert "已上传：规划许可证.pdf" in body and f'name="m{second.pk}-scan"' in body


def test_a_kept_scan_goes_with_the_case_when_the_form_is_sent_again(org):
    first, second = specs(org.item)[:2]
    client = org.client("clerk")
    content = pdf(1)
    refused = client.post("/workbench/accept/", application(org.item, decision="accept", applicant_name="", **{
        f"m{second.pk}-file": scan("规划许可证.pdf", content)}))
    assert refused.status_code == 400 and not Case.objects.exists()
    ticket = _hidden(html(refused), f"m{second.pk}-scan")
    sent = client.post("/workbench/accept/", application(org.item, decision="accept", **{f"m{second.pk}-scan": ticket}))
    assert sent.status_code == 302
    material = Case.objects.get().materials.get(spec=second)
    assert material.content_hash == sm3_hex(content) and material.file_name == "规划许可证.pdf"


def test_a_kept_scan_is_the_clerks_own(org):
    second = specs(org.item)[1]
    refused = org.client("clerk").post("/workbench/accept/", application(org.item, decision="accept",
                                                                         applicant_name="", **{
        f"m{second.pk}-file": scan("规划许可证.pdf", pdf(1))}))
    ticket = _hidden(html(refused), f"m{second.pk}-scan")
    other_clerk = f.user(org.dept, "clerk", full_name="另一窗口")
    response = org.client_for(other_clerk).post("/workbench/accept/", application(org.item, decision="accept", **{
        f"m{second.pk}-scan": ticket}))
    assert response.status_code == 400 and not Case.objects.exists()
    assert "扫描件已失效，请重新选择文件。" in html(response)


def test_the_case_services_take_only_checked_files(org):
    spec = specs(org.item)[0]
    with pytest.raises(InvalidInput):
        f.receive(org.people["clerk"], org.item, materials={spec.pk: {"received": True, "file": "online/x.pdf"}})
    assert not Case.objects.exists()


def _hidden(body: str, name: str) -> str:
    start = body.index(f'name="{name}" value="') + len(f'name="{name}" value="')
    return body[start:body.index('"', start)]


# -- opening the files --------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["handler", "reviewer", "approver", "clerk", "liaison", "supervisor", "admin"])
def test_everyone_who_may_see_the_case_opens_its_file_in_the_page(org, role):
    case, material, content = scanned_case(org)
    client = org.client(role)
    page = html(client.get(f"/workbench/cases/{case.number}/"))
    url = f"/workbench/cases/{case.number}/materials/{material.pk}/"
    assert url in page and "申请表扫描.pdf" in page
    preview = client.get(url)
    assert preview.status_code == 200
    assert f'<iframe class="material-frame" src="{url}file"' in html(preview)
    assert sm3_hex(content) in html(preview)
    response = client.get(url + "file", REMOTE_ADDR="10.20.0.9")
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    # Framed by the platform's own page only, and never kept in a cache.
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    access = MaterialAccess.objects.get()
    assert (access.case, access.material, access.viewer, access.ip, access.inline) == (
        case, material, org.people[role], "10.20.0.9", True)
    assert access.reference == case.number and access.file_name == "申请表扫描.pdf"
    assert access.digest == sm3_hex(content)


def test_a_picture_is_shown_as_an_image_and_a_download_is_recorded_as_such(org):
    case, material, _ = scanned_case(org, PNG, "身份证.png")
    client = org.client("handler")
    url = f"/workbench/cases/{case.number}/materials/{material.pk}/"
    assert f'<img class="material-image" src="{url}file"' in html(client.get(url))
    download = client.get(url + "file?download=1")
    assert download["Content-Disposition"].startswith("attachment") and download["Content-Type"] == "image/png"
    assert list(MaterialAccess.objects.values_list("inline", flat=True)) == [False]
    # The page lists who opened the file.
    assert "下载" in html(client.get(url)) and org.people["handler"].full_name in html(client.get(url))


def test_a_file_of_another_type_is_only_downloaded(org):
    case, material, _ = scanned_case(org)
    CaseMaterial.objects.filter(pk=material.pk).update(content_type="application/zip", file_name="图纸.zip")
    client = org.client("handler")
    url = f"/workbench/cases/{case.number}/materials/{material.pk}/"
    page = html(client.get(url))
    assert "不能在页面内预览" in page and "<iframe" not in page and "<img" not in page
    assert client.get(url + "file")["Content-Disposition"].startswith("attachment")


def test_another_departments_staff_neither_open_it_nor_leave_a_record(org):
    case, material, _ = scanned_case(org)
    client = org.client_for(org.others["handler"])
    url = f"/workbench/cases/{case.number}/materials/{material.pk}/"
    assert client.get(url).status_code == 404
    assert client.get(url + "file").status_code == 404
    assert not MaterialAccess.objects.exists()


def test_a_partner_department_working_a_part_opens_the_files(org):
    case, material, content = scanned_case(org)
    step = case.steps.get(status=CaseStep.Status.ACTIVE)
    CaseStep.objects.filter(pk=step.pk).update(department=org.other, cross_department=True)
    response = org.client_for(org.others["handler"]).get(
        f"/workbench/cases/{case.number}/materials/{material.pk}/file")
    assert response.status_code == 200 and b"".join(response.streaming_content) == content


def test_a_material_without_a_file_or_of_another_case_is_not_found(org):
    case, material, _ = scanned_case(org)
    paper_only = case.materials.exclude(pk=material.pk).first()
    other = accepted(org)
    client = org.client("handler")
    assert client.get(f"/workbench/cases/{case.number}/materials/{paper_only.pk}/file").status_code == 404
    assert client.get(f"/workbench/cases/{other.number}/materials/{material.pk}/file").status_code == 404
    assert not MaterialAccess.objects.exists()


def test_signed_out_nobody_gets_the_file(org):
    case, material, _ = scanned_case(org)
    from django.test import Client

    response = Client().get(f"/workbench/cases/{case.number}/materials/{material.pk}/file")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not MaterialAccess.objects.exists()


def test_the_services_say_the_same_as_the_pages(org):
    case, material, _ = scanned_case(org)
    opened, inline = materials.open_material(org.people["approver"], case.number, material.pk, ip=None)
    assert opened == material and inline
    with pytest.raises(CaseMaterial.DoesNotExist):
        materials.open_material(org.others["approver"], case.number, material.pk, ip=None)
    assert MaterialAccess.objects.count() == 1
    assert {"application/pdf", "image/jpeg", "image/png"} == files.INLINE_TYPES
