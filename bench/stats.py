"""Percentiles and plain-text tables for printed figures."""

from __future__ import annotations

import math
import statistics
import unicodedata
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p95, p99 and mean of durations given in seconds, in milliseconds."""
    if not seconds:
        return {"n": 0, "median_ms": math.nan, "p95_ms": math.nan, "p99_ms": math.nan, "mean_ms": math.nan}
    return {
        "n": len(seconds),
        "median_ms": percentile(seconds, 50) * 1000,
        "p95_ms": percentile(seconds, 95) * 1000,
        "p99_ms": percentile(seconds, 99) * 1000,
        "mean_ms": statistics.fmean(seconds) * 1000,
    }


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fmt(value, digits: int = 1) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence], title: str = "") -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    # Text columns read best left-aligned, figures right-aligned.
    left = [all(isinstance(row[i], str) for row in rows) for i in range(len(headers))]

    def line(values):
        out = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - _width(v))
            out.append(v + pad if left[i] else pad + v)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    text = [title] if title else []
    text += [line(headers), rule] + [line(r) for r in cells]
    return "\n".join(text)
