"""A drawing's pages as pictures for the joint review room, rendered once with PDFium.

A page image depends only on the file's content, the page and the width, so it is kept under the
file's SM3 digest in the (encrypted) media storage and never rendered again: every department
opening the room reads the same picture. PDFium is not thread-safe: one rendering at a time.
"""

from __future__ import annotations

import io
import threading

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

WIDTH = 1400  # pixels across: a drawing's text stays legible at the room's width, zoomable in the browser
FOLDER = "review-pages"
_LOCK = threading.Lock()


def page_sizes(content: bytes) -> list[list[float]]:
    """[[width, height], …] of every page in PDF points, as shown (rotation applied)."""
    import pypdfium2 as pdfium

    with _LOCK:
        document = pdfium.PdfDocument(content)
        try:
            sizes = []
            for index in range(len(document)):
                page = document[index]
                width, height = page.get_size()
                if page.get_rotation() in (90, 270):
                    width, height = height, width
                sizes.append([round(width, 2), round(height, 2)])
                page.close()
            return sizes
        finally:
            document.close()


def render_png(content: bytes, page: int, width: int = WIDTH) -> bytes:
    """Page `page` (from 1) as a PNG `width` pixels wide."""
    import pypdfium2 as pdfium

    with _LOCK:
        document = pdfium.PdfDocument(content)
        try:
            shown = document[page - 1]
            across = shown.get_width() if shown.get_rotation() in (0, 180) else shown.get_height()
            bitmap = shown.render(scale=width / across, may_draw_forms=False)
            image = bitmap.to_pil().convert("RGB")
            shown.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def cached_page(document, page: int, width: int = WIDTH) -> bytes:
    """The PNG of a ReviewDocument's page: from the storage when rendered before, else rendered and kept."""
    name = f"{FOLDER}/{document.content_hash}/{page}-{width}.png"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    with document.file.open("rb") as handle:
        content = handle.read()
    png = render_png(content, page, width)
    if not default_storage.exists(name):
        # Two first viewers at once: the second save gets another name and is simply never read.
        default_storage.save(name, ContentFile(png))
    return png
