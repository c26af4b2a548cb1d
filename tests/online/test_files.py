"""Materials are accepted by what they are, not by their names: PDF, JPG and PNG, size and page limits."""

import io

import pytest
from pypdf import PdfReader, PdfWriter

from shenpi.cases import files
from shenpi.crypto import sm3_hex
from shenpi.errors import InvalidInput

from .conftest import EXE, JPEG, PNG, pdf, upload


def _refusal(uploaded) -> str:
    with pytest.raises(InvalidInput) as refused:
        files.inspect(uploaded)
    return refused.value.fields["file"][0]


def test_a_pdf_is_accepted_with_its_pages_and_sm3_digest():
    content = pdf(3)
    checked = files.inspect(upload("申请表.PDF", content))
    assert checked.kind.content_type == "application/pdf" and checked.pages == 3
    assert checked.size == len(content) and checked.digest == sm3_hex(content)
    assert checked.name == "申请表.pdf" and not checked.renamed


def test_jpg_and_png_are_accepted_without_pages():
    jpeg = files.inspect(upload("身份证.jpeg", JPEG, "image/jpeg"))
    png = files.inspect(upload("营业执照.png", PNG, "image/png"))
    assert (jpeg.kind.content_type, jpeg.pages, jpeg.name) == ("image/jpeg", None, "身份证.jpeg")
    assert (png.kind.content_type, png.pages, png.name) == ("image/png", None, "营业执照.png")


def test_a_png_named_pdf_is_taken_as_the_png_it_is():
    checked = files.inspect(upload("规划许可证.pdf", PNG, "application/pdf"))
    assert checked.kind.content_type == "image/png" and checked.pages is None
    assert checked.name == "规划许可证.png" and checked.renamed


def test_an_executable_renamed_pdf_is_refused():
    message = _refusal(upload("申请表.pdf", EXE, "application/pdf"))
    assert message == ("“申请表.pdf”不是PDF、JPG、PNG文件（按文件内容识别，与扩展名无关），"
                       "请转换为PDF、JPG、PNG格式后上传。")


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "是空文件"),
    (b"<html><script>alert(1)</script></html>", "不是PDF、JPG、PNG文件"),
    (b"%PDF-1.7\nthis is not really a pdf", "无法作为PDF文件打开"),
])
def test_other_content_is_refused_with_a_clear_message(content, expected):
    assert expected in _refusal(upload("材料.pdf", content))


def test_too_big_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 1024)
    big = upload("大文件.pdf", pdf(1) + b"\n%" + b"x" * 2048)
    assert _refusal(big) == "“大文件.pdf”超过1 KB，请压缩或拆分后上传。"
    assert big.file.tell() == 0  # the declared size was enough: nothing was read


def test_the_size_limit_is_twenty_megabytes():
    assert files.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    big = upload("扫描件.pdf", b"%PDF-1.4\n" + b"0" * files.MAX_UPLOAD_BYTES)
    assert _refusal(big) == "“扫描件.pdf”超过20 MB，请压缩或拆分后上传。"


def test_a_size_the_upload_hides_is_still_counted(monkeypatch):
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 4096)
    sneaky = upload("材料.png", PNG + b"\x00" * 8192, "image/png")
    sneaky.size = None  # a stream that does not say how big it is
    assert "超过" in _refusal(sneaky)


def test_too_many_pdf_pages_are_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_PDF_PAGES", 3)
    assert files.inspect(upload("三页.pdf", pdf(3))).pages == 3
    assert _refusal(upload("四页.pdf", pdf(4))) == "“四页.pdf”共4页，超过每个文件3页的上限，请拆分后上传。"


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(1))))
    writer.encrypt(user_password="mima", owner_password="mima")
    out = io.BytesIO()
    writer.write(out)
    assert "加密的PDF文件" in _refusal(upload("加密.pdf", out.getvalue()))
