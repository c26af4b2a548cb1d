"""Active content and polyglots: a PDF's scripts are removed, what cannot be removed is refused, a file
that is also something else is refused, and the centre's virus scanner (clamd) has the last word."""

import io

import pikepdf
import pytest

from shenpi.cases import files
from shenpi.crypto import sm3_hex
from shenpi.errors import InvalidInput
from shenpi.security import clamd as clamd_client
from tests.fake_clamd import EICAR

from . import malicious as m
from .conftest import JPEG, PNG, pdf, upload

# A refused or cleaned upload is recorded in the security audit log.
pytestmark = pytest.mark.django_db


def _refusal(uploaded) -> str:
    with pytest.raises(InvalidInput) as refused:
        files.inspect(uploaded)
    return refused.value.fields["file"][0]


def _has(pdf_bytes: bytes, key: str) -> bool:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as doc:
        return any(key in repr(obj) for obj in doc.objects)


# -- refused: what cannot be removed --------------------------------------------------------------

@pytest.mark.parametrize(("build", "expected"), [
    (m.launch_action, "“材料.pdf”含有启动外部程序的动作，不能作为申请材料，请重新生成普通PDF后上传。"),
    (m.embedded_file, "“材料.pdf”内嵌了其他文件（附件），请将附件作为单独的材料上传。"),
    (m.file_attachment_annotation, "“材料.pdf”内嵌了其他文件（附件），请将附件作为单独的材料上传。"),
    (m.rich_media, "“材料.pdf”含有多媒体内容（RichMedia），不能作为申请材料，请重新生成普通PDF后上传。"),
    (m.xfa_form, "“材料.pdf”是XFA动态表单，请用PDF阅读器“打印为PDF”后上传。"),
])
def test_a_pdf_carrying_what_cannot_be_removed_is_refused(build, expected):
    assert _refusal(upload("材料.pdf", build())) == expected


# -- removed: scripts and data sent away ----------------------------------------------------------

@pytest.mark.parametrize(("build", "key", "removed"), [
    (m.js_open_action, "/JavaScript", ("JavaScript",)),
    (m.js_names_tree, "/JavaScript", ("JavaScript",)),
    (m.page_additional_action, "/AA", ("自动触发的动作",)),
    (m.submit_form_link, "/SubmitForm", ("表单提交动作",)),
    (m.import_data_chain, "/ImportData", ("数据导入动作",)),
])
def test_scripts_and_form_submission_are_removed_and_the_pages_kept(build, key, removed):
    original = build()
    assert _has(original, key)
    checked = files.inspect(upload("申请表.pdf", original))
    assert checked.removed == removed and checked.pages == 1
    assert checked.content != original and checked.digest == sm3_hex(checked.content)
    assert not _has(checked.content, key) and not _has(checked.content, "/JS")
    # The cleaned file is clean: checked again, nothing more to remove.
    assert files.inspect(upload("申请表.pdf", checked.content)).removed == ()


def test_harmless_links_stay_when_a_submission_is_removed():
    checked = files.inspect(upload("申请表.pdf", m.submit_form_link()))
    with pikepdf.open(io.BytesIO(checked.content)) as doc:
        links = [a for a in doc.pages[0].Annots if "/A" in a]
        assert [str(a.A.S) for a in links] == ["/URI"]


def test_a_plain_pdf_is_kept_byte_for_byte():
    original = pdf(2)
    checked = files.inspect(upload("申请表.pdf", original))
    assert checked.content == original and checked.removed == ()


# -- polyglots ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(m.POLYGLOTS))
def test_polyglots_are_refused(name):
    message = _refusal(upload("材料.pdf", m.POLYGLOTS[name]))
    assert message.startswith("“材料.pdf”") and ("不是单纯的" in message), message


@pytest.mark.parametrize(("name", "found"), [
    ("html_before_pdf", "在PDF文件头之前含有其他数据"),
    ("html_after_pdf", "含有网页或脚本代码"),
    ("exe_after_pdf_eof", "含有文件结束后附加的Windows可执行程序"),
    ("zip_after_png", "含有文件结束后附加的ZIP压缩包"),
    ("exe_after_photo", "含有文件结束后附加的Windows可执行程序"),
    ("elf_in_jpeg_comment", "含有ELF可执行程序"),
    ("svg_in_png", "含有网页或脚本代码"),
])
def test_the_refusal_says_what_was_found(name, found):
    assert found in _refusal(upload("材料.pdf", m.POLYGLOTS[name]))


@pytest.mark.parametrize("data", [
    pdf(1) + b"\r\n\x00\x00\n",  # writers and mail programs pad after %%EOF
    JPEG + b"\x00" * 4096,  # cameras pad after the end marker
    m.photo(),  # EXIF thumbnail with its own end marker
    m.photo() + b"\x00" * 512,
    # A motion photo's video after the picture: compressed bytes that happen to hold the first bytes of
    # signatures (PK\3\4, \x7fELF, MZ, <svg) without the rest.
    m.photo() + b"\x00\x00\x00\x18ftypmp42" + b"\x91PK\x03\x04\xa7\x91\x7fELF\x00\x09MZ\x90<svgz\x88" * 64,
    PNG,
    m.png_with_text(b"Scanned by ShenpiScan 2.0"),
])
def test_ordinary_files_pass(data):
    assert files.inspect(upload("材料", data)).content == data


# -- the virus scanner ------------------------------------------------------------------------------

def test_without_a_scanner_configured_nothing_is_sent(settings):
    settings.CLAMD_ADDRESS = ""
    assert files.inspect(upload("材料.jpg", m.jpeg_with_comment(EICAR))).kind.content_type == "image/jpeg"


def test_clean_files_pass_the_scanner_in_chunks(clamd):
    data = pdf(1) + b"%" + b"0" * 200_000 + b"\n"
    files.inspect(upload("大文件.pdf", data))
    assert clamd.received == [data]  # the file as uploaded, whole
    assert len(clamd.chunks) == 4 and max(clamd.chunks) == clamd_client.CHUNK


def test_an_infected_file_is_refused(clamd):
    message = _refusal(upload("身份证.jpg", m.jpeg_with_comment(EICAR)))
    assert message == "“身份证.jpg”未通过病毒检查（Eicar-Signature），不能上传。"


def test_an_unreachable_scanner_refuses_uploads(clamd, settings):
    settings.CLAMD_ADDRESS = "127.0.0.1:9"  # nothing listens there
    assert _refusal(upload("身份证.png", PNG)) == "文件安全检查暂不可用，请稍后再上传。"


def test_a_scanner_that_does_not_answer_refuses_uploads(clamd):
    clamd.mode = "silent"
    assert _refusal(upload("身份证.png", PNG)) == "文件安全检查暂不可用，请稍后再上传。"


def test_a_centre_may_accept_files_while_the_scanner_is_down(clamd, settings):
    settings.CLAMD_ADDRESS = "127.0.0.1:9"
    settings.CLAMD_FAIL_CLOSED = False
    assert files.inspect(upload("身份证.png", PNG)).content == PNG


def test_the_client_speaks_over_a_unix_socket(tmp_path):
    import socketserver
    import threading

    path = str(tmp_path / "clamd.sock")

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            assert self.rfile.read(10) == b"zINSTREAM\0"
            while int.from_bytes(self.rfile.read(4), "big"):
                pass
            self.wfile.write(b"stream: OK\0")

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    with Server(path, Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        assert clamd_client.scan(b"", f"unix://{path}") == clamd_client.Verdict(clean=True)
        server.shutdown()



# -- the online upload page -----------------------------------------------------------------------

@pytest.fixture
def draft(world):
    from tests.applicants.helpers import client_for

    client = client_for(world.organisation)
    client.post(f"/apply/items/{world.item.code}/start/")
    from shenpi.online.models import OnlineApplication

    app = OnlineApplication.objects.get()
    return client, app, world.specs()[0]


@pytest.mark.parametrize("data", [m.launch_action(), m.embedded_file(), m.POLYGLOTS["zip_after_pdf_eof"],
                                  m.POLYGLOTS["html_before_pdf"], m.POLYGLOTS["exe_after_photo"]])
def test_online_uploads_refuse_active_content_and_polyglots(draft, data, settings, tmp_path):
    client, app, spec = draft
    response = client.post(f"/apply/{app.number}/materials/{spec.pk}/", {"file": upload("申请表.pdf", data)})
    assert response.status_code == 400 and "“申请表.pdf”" in response.content.decode()
    assert app.uploads.count() == 0
    assert not any((tmp_path / "media").rglob("*.*"))  # nothing reached the storage


def test_an_online_upload_is_kept_without_its_script(draft):
    client, app, spec = draft
    response = client.post(f"/apply/{app.number}/materials/{spec.pk}/", {"file": upload("申请表.pdf",
                                                                                          m.js_open_action())})
    assert response.status_code == 302
    row = app.uploads.get()
    with row.file.open("rb") as stored:
        kept = stored.read()
    assert not _has(kept, "/JavaScript") and row.digest == sm3_hex(kept) and row.pages == 1


def test_online_uploads_refuse_infected_files_and_wait_for_the_scanner(draft, clamd, settings):
    client, app, spec = draft
    url = f"/apply/{app.number}/materials/{spec.pk}/"
    response = client.post(url, {"file": upload("身份证.jpg", m.jpeg_with_comment(EICAR))})
    assert response.status_code == 400 and "未通过病毒检查（Eicar-Signature）" in response.content.decode()
    settings.CLAMD_ADDRESS = "127.0.0.1:9"
    response = client.post(url, {"file": upload("身份证.png", PNG)})
    assert response.status_code == 400 and "文件安全检查暂不可用" in response.content.decode()
    assert app.uploads.count() == 0
