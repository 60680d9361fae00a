"""Small inline SVG charts for self-contained reports (no script, no external request)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

VALID_COLOUR = "#1b7f5b"
INVALID_COLOUR = "#c2410c"


def stacked_series(points: Sequence[dict[str, object]], width: int = 880, height: int = 220) -> str:
    """Stacked bars of valid (bottom) and invalid (top) counts per time bucket."""
    if not points:
        return '<p class="empty">No requests to chart.</p>'
    pad_left, pad_bottom, pad_top = 48, 24, 8
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    peak = max(int(p["valid"]) + int(p["invalid"]) for p in points) or 1  # type: ignore[call-overload]
    bar_w = plot_w / len(points)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Valid and invalid requests over time" '
        f'xmlns="http://www.w3.org/2000/svg" class="chart">'
    ]
    for frac in (0.0, 0.5, 1.0):
        y = pad_top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{pad_left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{pad_left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{int(peak * frac):,}</text>'
        )
    for i, point in enumerate(points):
        valid, invalid = int(point["valid"]), int(point["invalid"])  # type: ignore[call-overload]
        x = pad_left + i * bar_w
        h_valid = plot_h * valid / peak
        h_invalid = plot_h * invalid / peak
        base = pad_top + plot_h
        title = escape(f"{point['ts']}: {valid:,} valid, {invalid:,} invalid")
        parts.append(
            f"<g><title>{title}</title>"
            f'<rect x="{x:.1f}" y="{base - h_valid:.1f}" width="{max(bar_w - 1, 0.5):.1f}" height="{h_valid:.1f}" fill="{VALID_COLOUR}"/>'
            f'<rect x="{x:.1f}" y="{base - h_valid - h_invalid:.1f}" width="{max(bar_w - 1, 0.5):.1f}" height="{h_invalid:.1f}" fill="{INVALID_COLOUR}"/></g>'
        )
    first, last = escape(str(points[0]["ts"])[:16]), escape(str(points[-1]["ts"])[:16])
    parts.append(
        f'<text x="{pad_left}" y="{height - 6}" font-size="11">{first}</text>'
        f'<text x="{width - 8}" y="{height - 6}" font-size="11" text-anchor="end">{last}</text></svg>'
    )
    return "".join(parts)


def horizontal_bars(
    rows: Sequence[tuple[str, int]], width: int = 880, colour: str = INVALID_COLOUR
) -> str:
    """One labelled bar per row (label, count)."""
    if not rows:
        return '<p class="empty">Nothing to chart.</p>'
    bar_h, gap, label_w = 18, 6, 180
    height = len(rows) * (bar_h + gap)
    peak = max(count for _, count in rows) or 1
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Counts" '
        f'xmlns="http://www.w3.org/2000/svg" class="chart">'
    ]
    for i, (label, count) in enumerate(rows):
        y = i * (bar_h + gap)
        w = (width - label_w - 80) * count / peak
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 13}" font-size="12">{count:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
