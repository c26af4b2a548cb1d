"""The CJK font that printed documents (notices, certificates) embed.

ReportLab reads TrueType outlines only: Noto CJK (.otf, or .ttc with CFF outlines) raises on
load, so the candidates are the TrueType CJK fonts Debian packages. When none is installed we
fall back to the built-in CID font STSong-Light, which is not embedded: readers without the
Adobe Asian font pack then substitute a font, so that case is logged as a warning.
"""

import functools
import logging
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from .env import declare

logger = logging.getLogger(__name__)

ENV_VAR = "SHENPI_PDF_FONT"
_ENV_DOC = ("Path of a TrueType CJK font (.ttf/.ttc) embedded in PDF notices; empty tries the "
            "Debian fonts (wqy-microhei, wqy-zenhei, arphic).")
# Declared at import so that the settings table documents it; read again at lookup time.
declare(ENV_VAR, "", _ENV_DOC)

# Debian packages fonts-wqy-microhei, fonts-wqy-zenhei, fonts-arphic-uming/ukai,
# fonts-arphic-gbsn00lp and fonts-droid-fallback, in order of preference for print.
CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/arphic/ukai.ttc"),
    Path("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)

EMBEDDED_NAME = "ShenpiCJK"
FALLBACK_CID_FONT = "STSong-Light"


def configured_path() -> Path | None:
    value = declare(ENV_VAR, "", _ENV_DOC).strip()
    return Path(value) if value else None


def candidate_paths() -> list[Path]:
    configured = configured_path()
    return ([configured] if configured else []) + list(CANDIDATES)


def _load(path: Path) -> TTFont | None:
    if not path.is_file():
        if path == configured_path():
            logger.warning("%s=%s does not exist; trying the system fonts", ENV_VAR, path)
        return None
    try:
        # subfontIndex 0 is the regular face in every collection listed above.
        return TTFont(EMBEDDED_NAME, str(path), subfontIndex=0)
    except (TTFError, OSError) as exc:
        logger.warning("cannot use %s for PDF output (%s); trying the next font", path, exc)
        return None


def find_cjk_font() -> TTFont | None:
    """The first usable TrueType CJK font, or None."""
    for path in candidate_paths():
        font = _load(path)
        if font is not None:
            return font
    return None


@functools.cache
def cjk_font_name() -> str:
    """Register the CJK font once per process and return the name to use in ReportLab styles."""
    font = find_cjk_font()
    if font is not None:
        pdfmetrics.registerFont(font)
        return EMBEDDED_NAME
    logger.warning("no TrueType CJK font found (set %s or install fonts-wqy-microhei); PDFs use the "
                   "non-embedded %s and may print with a substitute font", ENV_VAR, FALLBACK_CID_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return FALLBACK_CID_FONT
