"""Tiny server-side SVG charts for the self-contained EDA report (no JavaScript, no libraries).

Every bar carries ``data-label``/``data-value`` and a ``<title>`` tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BLUE = "#3366cc"


def bars(
    points: Sequence[tuple[str, float]],
    *,
    width: int = 420,
    height: int = 120,
    color: str = BLUE,
    label_every: int | None = None,
) -> str:
    """Vertical bars (histograms, monthly series); labels under every ``label_every``-th bar."""
    if not points:
        return '<p class="empty">no values</p>'
    top, bottom, left = 6, 28, 4
    peak = max(v for _, v in points) or 1
    step = (width - left) / len(points)
    every = label_every or max(1, len(points) // 8)
    parts = [
        f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">'
    ]
    for i, (label, value) in enumerate(points):
        h = (height - top - bottom) * value / peak
        x = left + i * step
        parts.append(
            f'<rect x="{x + step * 0.08:.1f}" y="{height - bottom - h:.1f}" width="{max(step * 0.84, 0.8):.1f}" '
            f'height="{h:.1f}" fill="{color}" data-label="{escape(label)}" data-value="{value}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 11}" text-anchor="middle">{escape(label[:10])}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" class="axis"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def hbars(
    points: Sequence[tuple[str, float]], *, width: int = 420, row: int = 16, color: str = "#109618"
) -> str:
    """Horizontal bars with their labels (top values of a text column, reasons)."""
    if not points:
        return '<p class="empty">no values</p>'
    label_w = 150
    peak = max(v for _, v in points) or 1
    height = row * len(points) + 4
    parts = [
        f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">'
    ]
    for i, (label, value) in enumerate(points):
        w = (width - label_w - 60) * value / peak
        y = 2 + i * row
        parts.append(
            f'<text x="{label_w - 4}" y="{y + row * 0.7:.1f}" text-anchor="end">{escape(label[:24])}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 1}" width="{max(w, 0.8):.1f}" height="{row - 3}" fill="{color}" '
            f'data-label="{escape(label)}" data-value="{value}"><title>{escape(label)}: {value}</title></rect>'
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + row * 0.7:.1f}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
