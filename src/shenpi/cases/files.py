"""Checking a material's file: what it really is (by its first bytes), its size and page count.

The one check for every electronic material: an applicant's online upload (shenpi.online) and the
window's scan of a paper material (高拍仪 or scanner, attached at receipt). The name and the type
the browser claims are never trusted: a PNG named .pdf is taken as the PNG it is, an executable
renamed .pdf is refused. What else the file carries — scripts, attachments, a second format, a virus —
is checked by shenpi.cases.content. A checked file is kept under a random name with its SM3 digest.
"""

from __future__ import annotations

import io
import logging
import secrets
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from shenpi import clock
from shenpi.cases import content as content_check
from shenpi.crypto import sm3_hex
from shenpi.errors import InvalidInput
from shenpi.security import audit

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 200
ACCEPTED = "PDF、JPG、PNG"
NAME_MAX = 200
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class FileKind:
    content_type: str
    label: str
    extension: str
    suffixes: tuple[str, ...]
    signature: bytes


KINDS = (
    FileKind("application/pdf", "PDF文件", ".pdf", (".pdf",), b"%PDF-"),
    FileKind("image/jpeg", "JPG图片", ".jpg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    FileKind("image/png", "PNG图片", ".png", (".png",), b"\x89PNG\r\n\x1a\n"),
)


@dataclass
class CheckedFile:
    content: bytes
    name: str
    original: str
    kind: FileKind
    pages: int | None
    digest: str
    removed: tuple[str, ...] = ()  # active content taken out of a PDF (shenpi.cases.content), in Chinese

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def renamed(self) -> bool:
        """The file's name claimed another type than its content."""
        return not self.original.lower().endswith(self.kind.suffixes)


def _refuse(message: str):
    raise InvalidInput(message, {"file": [message]})


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def inspect(upload) -> CheckedFile:
    """The checked file, or InvalidInput with a message the applicant understands."""
    if upload is None:
        _refuse("请选择要上传的文件。")
    original = PurePath(str(getattr(upload, "name", "") or "材料")).name or "材料"
    limit = _megabytes(MAX_UPLOAD_BYTES)
    declared = getattr(upload, "size", None)
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        _refuse(f"“{original}”超过{limit}，请压缩或拆分后上传。")
    content = _read(upload, original, limit)
    if not content:
        _refuse(f"“{original}”是空文件，请重新选择。")
    kind = next((k for k in KINDS if content.startswith(k.signature)), None)
    if kind is None and b"%PDF-" in content[:content_check.EDGE]:
        # Readers tolerate bytes before the header, which is how a file is a PDF and something else at once.
        _refuse(f"“{original}”在PDF文件头之前含有其他数据，不是单纯的PDF文件，请重新生成后上传。")
    if kind is None:
        _refuse(f"“{original}”不是{ACCEPTED}文件（按文件内容识别，与扩展名无关），请转换为{ACCEPTED}格式后上传。")
    pages = _pdf_pages(content, original) if kind.content_type == "application/pdf" else None
    try:
        cleaned = content_check.examine(content, kind.content_type)
    except content_check.Refused as refused:
        audit.record("upload.refused", outcome="denied", target=original, kind=kind.content_type,
                     reason=refused.message)
        _refuse(refused.message if refused.unnamed else f"“{original}”{refused.message}")
    if cleaned.removed:
        audit.record("upload.active_content_removed", target=original, removed=cleaned.removed)
    return CheckedFile(content=cleaned.content, name=_shown_name(original, kind), original=original, kind=kind,
                       pages=pages, digest=sm3_hex(cleaned.content), removed=tuple(cleaned.removed))


def _read(upload, original: str, limit: str) -> bytes:
    """The whole file, reading no further than one byte past the limit."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    parts, total = [], 0
    while chunk := upload.read(_CHUNK):
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            _refuse(f"“{original}”超过{limit}，请压缩或拆分后上传。")
        parts.append(chunk)
    return b"".join(parts)


def _pdf_pages(content: bytes, original: str) -> int:
    from pypdf import PdfReader

    # pypdf reports every oddity of a damaged file on its logger; the refusal below says what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            _refuse(f"“{original}”是加密的PDF文件，请取消密码后上传。")
        pages = len(reader.pages)
    except InvalidInput:
        raise
    except Exception:  # any parser failure means the window could not read it either
        _refuse(f"“{original}”无法作为PDF文件打开，文件可能已损坏，请重新生成后上传。")
    if pages == 0:
        _refuse(f"“{original}”没有任何页面。")
    if pages > MAX_PDF_PAGES:
        _refuse(f"“{original}”共{pages}页，超过每个文件{MAX_PDF_PAGES}页的上限，请拆分后上传。")
    return pages


def _shown_name(name: str, kind: FileKind) -> str:
    """The applicant's file name, with the extension of what the file really is."""
    path = PurePath(name)
    if path.suffix.lower() in kind.suffixes:
        stem, suffix = path.stem, path.suffix.lower()
    else:
        stem, suffix = (path.stem if path.suffix else name), kind.extension
    return (stem or "材料")[: NAME_MAX - len(suffix)] + suffix


# Content types a browser shows inside the page (iframe for PDF, img for pictures); others download.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


@dataclass(frozen=True)
class StoredFile:
    """A checked file kept in the storage: where, and what the check found."""

    path: str
    name: str
    content_type: str
    size: int
    pages: int | None
    digest: str


def store(checked: CheckedFile, folder: str = "materials") -> StoredFile:
    """Keep a checked file under a random name (nothing of the applicant's name reaches the disk)."""
    month = timezone.localtime(clock.now()).strftime("%Y/%m")
    path = default_storage.save(f"{folder}/{month}/{secrets.token_hex(16)}{checked.kind.extension}",
                                ContentFile(checked.content))
    return StoredFile(path=path, name=checked.name, content_type=checked.kind.content_type, size=checked.size,
                      pages=checked.pages, digest=checked.digest)
