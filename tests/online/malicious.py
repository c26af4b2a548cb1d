"""Files that are more than they look: PDFs with active content, polyglots. Built here, never committed."""

from __future__ import annotations

import io
import zipfile

import pikepdf

from .conftest import JPEG, PNG, pdf

Name, Dictionary, Array, String = pikepdf.Name, pikepdf.Dictionary, pikepdf.Array, pikepdf.String

# A minimal Windows program header: MZ, e_lfanew at 0x3C pointing to the PE signature.
WINDOWS_PROGRAM = b"MZ" + b"\x90" * 0x3A + (0x40).to_bytes(4, "little") + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 64
ELF_PROGRAM = b"\x7fELF\x02\x01\x01" + b"\x00" * 57


def photo() -> bytes:
    """A real JPEG as a phone takes it (Pillow), with EXIF holding a thumbnail that has its own end marker."""
    from PIL import Image

    thumb = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(thumb, "JPEG")
    exif = Image.Exif()
    exif[0x010F] = "ShenpiCam"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, "JPEG", quality=80, exif=exif.tobytes() + thumb.getvalue())
    return out.getvalue()


def _built(change) -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(595, 842))
    change(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _js(code="app.alert('x')") -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String(code))


def js_open_action() -> bytes:
    return _built(lambda d: setattr(d.Root, "OpenAction", d.make_indirect(_js())))


def js_names_tree() -> bytes:
    def change(d):
        d.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), d.make_indirect(_js())])))
    return _built(change)


def page_additional_action() -> bytes:
    return _built(lambda d: setattr(d.pages[0].obj, "AA", Dictionary(O=_js())))


def submit_form_link() -> bytes:
    """A link sending the form away, beside a harmless web link that stays."""
    def change(d):
        submit = Dictionary(S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String("http://127.0.0.1:9/collect")))
        uri = Dictionary(S=Name.URI, URI=String("https://zwfw.example.gov.cn/"))
        d.pages[0].obj.Annots = Array([
            d.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 50, 50]), A=submit)),
            d.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([60, 0, 90, 50]), A=uri)),
        ])
    return _built(change)


def import_data_chain() -> bytes:
    """A GoTo action followed (Next) by ImportData."""
    def change(d):
        d.Root.OpenAction = Dictionary(S=Name.GoTo, D=Array([d.pages[0].obj, Name.Fit]),
                                       Next=Dictionary(S=Name.ImportData, F=String("data.fdf")))
    return _built(change)


def launch_action() -> bytes:
    action = Dictionary(S=Name.Launch, F=String("cmd.exe"), Win=Dictionary(F=String("cmd.exe")))
    return _built(lambda d: setattr(d.Root, "OpenAction", action))


def embedded_file() -> bytes:
    def change(d):
        d.attachments["说明.exe"] = pikepdf.AttachedFileSpec(d, WINDOWS_PROGRAM, mime_type="application/octet-stream")
    return _built(change)


def file_attachment_annotation() -> bytes:
    def change(d):
        spec = pikepdf.AttachedFileSpec(d, b"hello", mime_type="text/plain")
        d.pages[0].obj.Annots = Array([d.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([0, 0, 20, 20]), FS=spec.obj))])
    return _built(change)


def rich_media() -> bytes:
    return _built(lambda d: setattr(d.pages[0].obj, "Annots", Array([d.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.RichMedia, Rect=Array([0, 0, 20, 20])))])))


def xfa_form() -> bytes:
    def change(d):
        xfa = d.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>")
        d.Root.AcroForm = Dictionary(Fields=Array([]), XFA=xfa)
    return _built(change)


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("run.bat", "echo hello")
    return out.getvalue()


def jpeg_with_comment(comment: bytes) -> bytes:
    """The test JPEG with a COM segment holding `comment` (metadata, not pixels)."""
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return JPEG[:2] + segment + JPEG[2:]


def png_with_text(text: bytes) -> bytes:
    import zlib

    chunk = b"tEXt" + b"Comment\x00" + text
    packed = len(text + b"Comment\x00").to_bytes(4, "big") + chunk + zlib.crc32(chunk).to_bytes(4, "big")
    return PNG[:33] + packed + PNG[33:]  # after the IHDR chunk (8 + 25 bytes)


POLYGLOTS = {
    "html_before_pdf": b"<html><body><script>alert(1)</script></body></html>\n" + pdf(1),
    "html_after_pdf": pdf(1) + b"\n<html><script>alert(1)</script></html>",
    "exe_after_pdf_eof": pdf(1) + b"\n" + WINDOWS_PROGRAM + b"\x00" * 2048,
    "zip_after_pdf_eof": pdf(1) + b"\n" * 3000 + zip_archive(),
    "svg_in_png": png_with_text(b"<svg onload=alert(1)>"),
    "zip_after_png": PNG + zip_archive(),
    "exe_after_jpeg": JPEG + WINDOWS_PROGRAM + b"\x00" * 4096,
    "exe_after_photo": photo() + WINDOWS_PROGRAM + b"\x00" * 4096,
    "elf_after_png": PNG + b"\x00" * 2048 + ELF_PROGRAM + b"\x00" * 2048,
    "elf_in_jpeg_comment": jpeg_with_comment(b"\x00" * 2048 + ELF_PROGRAM) + b"\x00" * 2048,
    "script_in_jpeg": jpeg_with_comment(b"<script>alert(1)</script>"),
}
