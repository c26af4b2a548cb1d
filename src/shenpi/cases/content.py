"""What a material's file carries besides the document: active content and other formats hidden in it.

`files.inspect` recognises a file by its first bytes; this module looks at the rest. A scanned ID card
or a signed form needs no program, no attachment and no second format, so:

- a PDF that starts a program (/Launch), carries files (/EmbeddedFile(s), file attachments), plays
  media (/RichMedia) or is an XFA form is refused: what it carries cannot be checked, and the applicant
  can print the document to a plain PDF;
- JavaScript (/JS, /JavaScript in the names tree or in actions, /OpenAction), additional actions (/AA),
  /SubmitForm and /ImportData are removed with pikepdf: an office program or an e-government form often
  adds them to an otherwise fine document, and the pages are what the window needs;
- a polyglot — bytes before `%PDF-`, HTML or script markers in the first or last KB, an executable or
  an archive after the image's end marker or the PDF's last `%%EOF` or inside an image's metadata —
  is refused.

docs/materials.md explains each choice.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

EDGE = 1024  # HTML markers are looked for in the first and last KB (where a browser sniffs)
ZIP_TAIL = 65535 + 22  # a ZIP's end record lies this close to the file's end at most
_HTML = re.compile(rb"<(?:html|script|svg|iframe|body)[\s>/]|<!doctype\s+html", re.IGNORECASE)
# Archives and programs that a reader or an operating system finds inside another file. Each pattern is
# long enough (6 bytes or more) that compressed data after an image — a phone's motion video, the second
# picture of an MPO — does not match it by chance: 4-byte signatures alone would, in about one 5 MB
# trailer in 300.
_EMBEDDED = (
    (re.compile(rb"\x7fELF[\x01\x02][\x01\x02]\x01"), "ELF可执行程序"),  # class, byte order, version 1
    (re.compile(rb"PK\x03\x04[\x00-\x3f]\x00"), "ZIP压缩包"),  # local header, version needed <= 6.3
    (re.compile(rb"PK\x05\x06\x00\x00\x00\x00"), "ZIP压缩包"),  # end record of a one-disk archive
    (re.compile(rb"Rar!\x1a\x07"), "RAR压缩包"),
    (re.compile(rb"7z\xbc\xaf\x27\x1c"), "7z压缩包"),
    (re.compile(rb"%PDF-[12]\.\d"), "PDF文件"),
)
_ZIP_END = _EMBEDDED[2][0]
# Trailing bytes a camera or a PDF writer leaves after the end marker and readers ignore.
_PADDING = re.compile(rb"[\x00\s]*")

# What a PDF may not carry, by the name of the refusal.
_REFUSED_ACTIONS = {"/Launch": "启动外部程序的动作", "/GoToE": "指向内嵌文件的动作"}
_REFUSED_SUBTYPES = {"/FileAttachment": "附件", "/RichMedia": "多媒体内容（RichMedia）",
                     "/Movie": "多媒体内容", "/Sound": "多媒体内容", "/Screen": "多媒体内容", "/3D": "三维内容"}
_STRIPPED_ACTIONS = {"/JavaScript": "JavaScript", "/SubmitForm": "表单提交动作", "/ImportData": "数据导入动作"}


class Refused(Exception):
    """The file carries something the platform will not keep; the message says what, in Chinese,
    following the file's name unless `unnamed` (a message about the platform, not the file)."""

    def __init__(self, message: str, unnamed: bool = False):
        super().__init__(message)
        self.message = message
        self.unnamed = unnamed


@dataclass
class Cleaned:
    content: bytes
    removed: list[str] = field(default_factory=list)  # what was taken out of a PDF, in Chinese


def polyglot(content: bytes, content_type: str) -> str | None:
    """What else the file is, in Chinese, or None."""
    head, tail = content[:EDGE], content[-EDGE:]
    if _HTML.search(head) or _HTML.search(tail):
        return "网页或脚本代码"
    end = _end_of(content, content_type)
    trailing = content[end:]
    if _PADDING.fullmatch(trailing) is None:
        found = _carried(trailing) or (_HTML.search(trailing) and "网页或脚本代码")
        if found:
            return f"文件结束后附加的{found}"
    if _ZIP_END.search(content, max(0, len(content) - ZIP_TAIL)):
        return "ZIP压缩包"
    for part in _metadata(content, content_type):
        found = _carried(part)
        if found:
            return found
    return None


def _carried(data: bytes) -> str | None:
    for signature, name in _EMBEDDED:
        if signature.search(data):
            return name
    return "Windows可执行程序" if _windows_program(data) else None


def _windows_program(data: bytes) -> bool:
    """An MZ header whose pointer leads to a PE signature (MZ alone is too common in binary data)."""
    start = data.find(b"MZ")
    while start != -1:
        pointer = data[start + 0x3C:start + 0x40]
        if len(pointer) == 4:
            pe = start + int.from_bytes(pointer, "little")
            if data[pe:pe + 4] == b"PE\x00\x00":
                return True
        start = data.find(b"MZ", start + 1)
    return False


def _end_of(content: bytes, content_type: str) -> int:
    """Where the format's own data ends (after %%EOF, PNG's IEND chunk, JPEG's EOI). In an image whose
    structure breaks off, where it breaks: everything after it is looked at as appended data."""
    if content_type == "application/pdf":
        eof = content.rfind(b"%%EOF")
        return len(content) if eof == -1 else eof + 5
    if content_type == "image/png":
        return _png_chunks(content)[1]
    if content_type == "image/jpeg":
        return _jpeg_segments(content)[1]
    return len(content)


def _metadata(content: bytes, content_type: str) -> list[bytes]:
    """The parts of an image that hold metadata rather than pixels (text chunks, APP and COM segments)."""
    if content_type == "image/png":
        return _png_chunks(content)[0]
    if content_type == "image/jpeg":
        return _jpeg_segments(content)[0]
    return []


def _png_chunks(content: bytes) -> tuple[list[bytes], int]:
    parts, pos = [], 8
    while pos + 8 <= len(content):
        length = int.from_bytes(content[pos:pos + 4], "big")
        kind = content[pos + 4:pos + 8]
        data = content[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IEND":
            return parts, min(pos, len(content))
        if kind != b"IDAT":
            parts.append(data)
    return parts, min(pos, len(content))


def _jpeg_segments(content: bytes) -> tuple[list[bytes], int]:
    """Metadata segments and the offset after the EOI marker, walking the segments (a thumbnail in
    EXIF has its own FFD9, so the end is not simply the first or the last one)."""
    parts, pos, size = [], 2, len(content)
    while pos + 1 < size:
        if content[pos] != 0xFF:
            return parts, pos
        marker = content[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return parts, pos + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = int.from_bytes(content[pos + 2:pos + 4], "big")
        if length < 2:
            return parts, pos
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:  # APPn, COM
            parts.append(content[pos + 4:pos + 2 + length])
        pos += 2 + length
        if marker == 0xDA:
            pos = _after_entropy_coded(content, pos)
    return parts, min(pos, size)


def _after_entropy_coded(content: bytes, pos: int) -> int:
    """The next marker after a scan's data: an FF followed by neither 00 (a stuffed byte), another FF
    (fill) nor a restart marker. bytes.find jumps from FF to FF (a byte-by-byte loop took seconds on a
    12-megapixel photo)."""
    size = len(content)
    while True:
        pos = content.find(b"\xff", pos)
        if pos == -1 or pos + 1 >= size:
            return size
        following = content[pos + 1]
        if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def clean_pdf(content: bytes) -> Cleaned:
    """The PDF without scripts and form submission, or Refused when it carries what cannot be removed.

    Only a PDF that needed cleaning is rewritten; any other comes back byte for byte."""
    import pikepdf

    logging.getLogger("pikepdf").setLevel(logging.ERROR)
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        raise Refused("是加密的PDF文件，请取消密码后上传。") from None
    except Exception:  # the reader of the window could not open it either
        raise Refused("无法作为PDF文件打开，文件可能已损坏，请重新生成后上传。") from None
    with pdf:
        removed = _strip(pdf)
        if not removed:
            return Cleaned(content)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return Cleaned(out.getvalue(), removed)


def _strip(pdf) -> list[str]:
    """Refuse what cannot be removed, remove the rest; what was removed, in Chinese."""
    import pikepdf

    root = pdf.Root
    acroform = root.get("/AcroForm")
    if isinstance(acroform, pikepdf.Dictionary) and "/XFA" in acroform:
        raise Refused("是XFA动态表单，请用PDF阅读器“打印为PDF”后上传。")
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/EmbeddedFiles" in names:
        raise Refused("内嵌了其他文件（附件），请将附件作为单独的材料上传。")
    removed: set[str] = set()
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        del names["/JavaScript"]
        removed.add("JavaScript")
    for obj in _dictionaries(pdf):
        _refuse_carried(obj)
        if "/AA" in obj:
            del obj["/AA"]
            removed.add("自动触发的动作")
        for key in ("/OpenAction", "/A", "/Next"):
            if key in obj:
                _drop_actions(obj, key, removed)
        if "/JS" in obj:
            del obj["/JS"]
            removed.add("JavaScript")
    return sorted(removed)


def _dictionaries(pdf):
    """Every dictionary of the file, indirect objects and those nested in them (each visited once)."""
    import pikepdf

    containers = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)
    seen: set[tuple[int, int]] = set()
    stack = [o for o in pdf.objects if isinstance(o, containers)] + [pdf.trailer]
    while stack:
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            yield obj
            stack.extend(v for v in obj.values() if isinstance(v, containers) and not v.is_indirect)
        elif isinstance(obj, pikepdf.Array):
            stack.extend(v for v in obj if isinstance(v, containers) and not v.is_indirect)


def _refuse_carried(obj) -> None:
    kind, subtype = obj.get("/Type"), obj.get("/Subtype")
    action = obj.get("/S")
    if kind == "/EmbeddedFile" or "/EF" in obj:
        raise Refused("内嵌了其他文件（附件），请将附件作为单独的材料上传。")
    if action is not None and str(action) in _REFUSED_ACTIONS:
        raise Refused(f"含有{_REFUSED_ACTIONS[str(action)]}，不能作为申请材料，请重新生成普通PDF后上传。")
    if subtype is not None and str(subtype) in _REFUSED_SUBTYPES and (kind is None or kind == "/Annot"):
        raise Refused(f"含有{_REFUSED_SUBTYPES[str(subtype)]}，不能作为申请材料，请重新生成普通PDF后上传。")


def _drop_actions(obj, key: str, removed: set[str]) -> None:
    """Remove the actions of one key that run a script or send data; keep page links and the like."""
    import pikepdf

    value = obj[key]
    if isinstance(value, pikepdf.Array):
        kept = [a for a in value if not _stripped(a, removed)]
        if len(kept) == len(value):
            return
        if kept:
            obj[key] = pikepdf.Array(kept)
        else:
            del obj[key]
    elif isinstance(value, pikepdf.Dictionary) and _stripped(value, removed):
        del obj[key]


def _stripped(action, removed: set[str]) -> bool:
    import pikepdf

    kind = action.get("/S") if isinstance(action, pikepdf.Dictionary) else None
    if kind is not None and str(kind) in _STRIPPED_ACTIONS:
        removed.add(_STRIPPED_ACTIONS[str(kind)])
        return True
    return False


def examine(content: bytes, content_type: str) -> Cleaned:
    """The file as it may be kept (a PDF without scripts), or Refused: polyglots, what a PDF may not
    carry, and what the centre's virus scanner (clamd, when configured) finds."""
    found = polyglot(content, content_type)
    if found:
        raise Refused(f"含有{found}，不是单纯的{_LABELS[content_type]}，不能作为申请材料。"
                      f"请用扫描或“另存为”重新生成后上传。")
    _virus_scan(content)
    if content_type == "application/pdf":
        return clean_pdf(content)
    return Cleaned(content)


_LABELS = {"application/pdf": "PDF文件", "image/jpeg": "JPG图片", "image/png": "PNG图片"}
UNAVAILABLE = "文件安全检查暂不可用，请稍后再上传。"


def _virus_scan(content: bytes) -> None:
    """clamd's verdict on the file as uploaded. When clamd cannot answer, the file is refused unless the
    centre chose to accept unscanned files (SHENPI_CLAMD_FAIL_CLOSED off)."""
    from django.conf import settings

    from shenpi.security import audit, clamd

    address = settings.CLAMD_ADDRESS
    if not address:
        return
    try:
        verdict = clamd.scan(content, address, timeout=settings.CLAMD_TIMEOUT)
    except clamd.Unavailable as error:
        logging.getLogger(__name__).error("virus scan unavailable: %s", error)
        audit.record("upload.scan_unavailable", outcome="denied" if settings.CLAMD_FAIL_CLOSED else "failure",
                     error=str(error))
        if settings.CLAMD_FAIL_CLOSED:
            raise Refused(UNAVAILABLE, unnamed=True) from None
        return
    if not verdict.clean:
        audit.record("upload.infected", outcome="denied", signature=verdict.signature)
        raise Refused(f"未通过病毒检查（{verdict.signature}），不能上传。")
