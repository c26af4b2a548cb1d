"""The picture code (图形验证码) asked for when sign-in failures pile up: drawn here, no outside service.

The answer is kept in the session as a keyed digest and is good for one try: right or wrong, the
next form gets a new picture. The picture is a PNG data URI (the CSP allows `img-src data:`),
drawn with Pillow's built-in FreeType font, so nothing is fetched and no font must be installed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets

from django.conf import settings

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B: easy to read, easy to type
LENGTH = 5
SESSION_KEY = "security:captcha"


def _digest(answer: str) -> str:
    key = hashlib.sha256(("shenpi-captcha:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, answer.strip().upper().encode(), hashlib.sha256).hexdigest()


def challenge(request) -> str:
    """A new picture for this session (replacing any earlier one), as a data URI for <img src>."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    request.session[SESSION_KEY] = _digest(answer)
    return "data:image/png;base64," + base64.b64encode(draw(answer)).decode()


def solved(request, answer: str) -> bool:
    """Whether `answer` is the current picture's; the picture is used up either way."""
    expected = request.session.pop(SESSION_KEY, None)
    if not expected or not answer:
        return False
    return hmac.compare_digest(expected, _digest(answer))


def draw(answer: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = 40 + 30 * len(answer), 56
    image = Image.new("RGB", (width, height), (244, 246, 250))
    pen = ImageDraw.Draw(image)
    for _ in range(6):  # lines under the letters: no clean background for a naive OCR
        pen.line([(secrets.randbelow(width), secrets.randbelow(height)),
                  (secrets.randbelow(width), secrets.randbelow(height))],
                 fill=(150 + secrets.randbelow(80), 150 + secrets.randbelow(80), 150 + secrets.randbelow(80)),
                 width=2)
    for i, char in enumerate(answer):
        font = ImageFont.load_default(size=30 + secrets.randbelow(8))
        glyph = Image.new("RGBA", (44, 52), (0, 0, 0, 0))
        ink = (20 + secrets.randbelow(90), 40 + secrets.randbelow(70), 90 + secrets.randbelow(90))
        ImageDraw.Draw(glyph).text((6, 4), char, font=font, fill=ink)
        glyph = glyph.rotate(secrets.randbelow(41) - 20, resample=Image.BICUBIC, expand=False)
        image.paste(glyph, (18 + 30 * i + secrets.randbelow(5), secrets.randbelow(6)), glyph)
    for _ in range(120):  # speckles
        pen.point((secrets.randbelow(width), secrets.randbelow(height)), fill=(120, 120, 140))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
