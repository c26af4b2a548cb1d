"""Line breaking for Chinese text by the 避头尾 rules (GB/T 15834 punctuation, as typeset in print).

A closing mark or a pause mark never starts a line, an opening mark never ends one, and a run of
Latin letters or digits (a case number, a year) is not cut. ReportLab's own CJK wrapping knows
only part of these marks and never moves an opening bracket down, hence this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# Marks that must not start a line: pause and stop marks, closing brackets and quotes, and the
# halves of the two-em marks (——, ……) that must not be parted.
NO_LINE_START = frozenset("，。、；：？！）」』》〉】〕］｝”’·…—～％‰℃,.;:?!)]}%")
# Marks that must not end a line: opening brackets and quotes.
NO_LINE_END = frozenset("（「『《〈【〔［｛“‘([{")
# At most this many marks may hang past the right margin when no earlier break is allowed.
MAX_HANG = 2


def _latin(char: str) -> bool:
    return char.isascii() and not char.isspace() and char not in NO_LINE_START | NO_LINE_END


def can_break(text: str, index: int) -> bool:
    """May a line end before text[index]?"""
    before, after = text[index - 1], text[index]
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return not (_latin(before) and _latin(after))


def break_lines(text: str, width_of: Callable[[str], float], widths: Sequence[float]) -> list[str]:
    """`text` (one paragraph, no newlines) cut into lines no wider than `widths`.

    widths[i] is the room on line i (the last one applies to all further lines); width_of gives
    a character's advance. A line ends where the greedy fill stops, moved back to the nearest
    allowed break (the moved characters open the next line), or — when the whole line is one
    unbreakable run — past a hanging mark or two, and only as a last resort anywhere.
    """
    advances = [width_of(char) for char in text]
    lines: list[str] = []
    start = 0
    while start < len(text):
        room = widths[min(len(lines), len(widths) - 1)]
        end, used = start, 0.0
        while end < len(text) and (end == start or used + advances[end] <= room):
            used += advances[end]
            end += 1
        if end < len(text):
            end = _allowed_end(text, start, end)
        lines.append(text[start:end])
        start = end
    return lines


def _allowed_end(text: str, start: int, end: int) -> int:
    for back in range(end, start, -1):
        if can_break(text, back):
            return back
    for ahead in range(end + 1, min(end + MAX_HANG, len(text)) + 1):
        if ahead == len(text) or can_break(text, ahead):
            return ahead
    return end
