"""JSON out for the case list: DRF's renderer, with orjson encoding plain data.

The case list is the most frequent call; encoding its page with the standard library took about
a twentieth of the request. For dicts, lists, strings, integers, booleans and None orjson writes
the same bytes as DRF; anything else (dates, decimals, lazy strings, DRF's own dict and string
subclasses, integers beyond 64 bits) is handed back to DRF's renderer. Floats are the exception
(orjson spells some of them differently and writes NaN as null), so the renderer serves only
views whose data hold none: the case list's rows are built from strings, integers and booleans.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers

# Types orjson would write in its own way are passed to `default`, which refuses them.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
# DRF escapes these two so that the JSON is also valid JavaScript; orjson writes them raw.
_LINE_SEPARATORS = ("\u2028".encode(), "\u2029".encode())


class _NotPlain(TypeError):
    pass


def _refuse(value):
    raise _NotPlain


def _plain_json(data) -> bytes | None:
    try:
        out = orjson.dumps(data, default=_refuse, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    if any(separator in out for separator in _LINE_SEPARATORS):
        return None
    return out


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is not None and self.get_indent(accepted_media_type, renderer_context or {}) is None:
            out = _plain_json(data)
            if out is not None:
                return out
        return super().render(data, accepted_media_type, renderer_context)
