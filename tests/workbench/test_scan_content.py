"""The window's scans pass the same content checks as online uploads: active content, polyglots, viruses."""

import io

import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from shenpi.cases.models import Case
from shenpi.crypto import sm3_hex
from tests.fake_clamd import EICAR
from tests.online import malicious as m

from .test_accept import application, html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _accept(org, content: bytes, name="申请表扫描.pdf"):
    first = org.item.current_version().materials.first()
    data = application(org.item, decision="accept", **{f"m{first.pk}-file": SimpleUploadedFile(name, content)})
    return org.client("clerk").post("/workbench/accept/", data), first


@pytest.mark.parametrize("build", [m.launch_action, m.embedded_file, m.rich_media, m.xfa_form,
                                   lambda: m.POLYGLOTS["exe_after_pdf_eof"], lambda: m.POLYGLOTS["html_after_pdf"],
                                   lambda: m.POLYGLOTS["zip_after_png"]])
def test_a_scan_carrying_more_than_a_document_registers_nothing(org, build, tmp_path):
    response, _ = _accept(org, build())
    body = html(response)
    assert response.status_code == 400 and not Case.objects.exists()
    assert "“申请表扫描.pdf”" in body and "本次未登记任何办件" in body
    assert not any((tmp_path / "media").rglob("*.*"))


def test_a_scan_is_kept_without_its_script(org):
    response, first = _accept(org, m.js_open_action())
    assert response.status_code == 302
    material = Case.objects.get().materials.get(spec=first)
    with default_storage.open(material.file.name, "rb") as stored:
        kept = stored.read()
    assert material.content_hash == sm3_hex(kept) and material.pages == 1
    with pikepdf.open(io.BytesIO(kept)) as doc:
        assert "/OpenAction" not in doc.Root


def test_an_infected_scan_registers_nothing(org, clamd):
    response, _ = _accept(org, m.jpeg_with_comment(EICAR), "身份证.jpg")
    assert response.status_code == 400 and not Case.objects.exists()
    assert "未通过病毒检查（Eicar-Signature）" in html(response)


def test_no_scan_is_taken_while_the_scanner_is_unreachable(org, clamd, settings):
    settings.CLAMD_ADDRESS = "127.0.0.1:9"
    response, _ = _accept(org, m.photo(), "身份证.jpg")
    assert response.status_code == 400 and not Case.objects.exists()
    assert "文件安全检查暂不可用" in html(response)
    settings.CLAMD_ADDRESS = clamd.address
    assert _accept(org, m.photo(), "身份证.jpg")[0].status_code == 302
