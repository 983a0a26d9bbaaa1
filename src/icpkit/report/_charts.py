"""Inline SVG charts built in Python: no JavaScript, no CDN, readable offline and in print.

A chart is a plain dict in the report (``{"id", "type", "title", "items", ...}``) so the
JSON and Markdown outputs carry its data; this module draws it. Every drawn element has a
``data-chart`` attribute on its ``<svg>`` so a browser test can check it rendered.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["TIER_COLORS", "chart_text", "render_chart"]

TIER_COLORS = {"A": "#1f7a4d", "B": "#5fae6e", "C": "#e0a935", "D": "#c4553f"}
ACCENT = "#2f5f98"
MUTED = "#9aa5b1"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "%":
        return f"{value * 100:.0f}%" if abs(value) < 10 else f"{value:.0f}%"
    if unit == "x":
        return f"{value:.1f}×"
    if abs(value) >= 1e9:
        return f"{value / 1e9:.1f}B"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.2f}"


def _color(item: dict[str, Any], default: str) -> str:
    color = item.get("color")
    if color in TIER_COLORS:
        return TIER_COLORS[color]
    return str(color) if color else default


def _svg(chart_id: str, title: str, width: int, height: int, body: str) -> str:
    return (
        f'<svg data-chart="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;{FONT}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def _bars(chart: dict[str, Any]) -> str:
    """Horizontal bars: one row per item, label left, value right."""
    items = chart.get("items") or []
    unit = chart.get("unit", "")
    label_w, bar_w, row_h, width = 210, 290, 26, 680
    top = 8
    height = top + row_h * len(items) + 10
    peak = max(
        [abs(float(i.get("value") or 0)) for i in items] + [chart.get("reference") or 0, 1e-9]
    )
    parts = []
    for n, item in enumerate(items):
        y = top + n * row_h
        value = float(item.get("value") or 0)
        w = max(2.0, bar_w * abs(value) / peak)
        label = str(item.get("label", ""))
        short = label if len(label) <= 27 else label[:26] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="12" '
            f'fill="#333">{escape(short)}</text>'
            f'<rect data-bar="{n}" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 9}" '
            f'rx="3" fill="{_color(item, ACCENT)}"><title>{escape(label)}: '
            f"{escape(_fmt(value, unit))}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="12" fill="#333">'
            f"{escape(item.get('text') or _fmt(value, unit))}</text>"
        )
    ref = chart.get("reference")
    if ref:
        x = label_w + bar_w * float(ref) / peak
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{height - 4}" stroke="#555" '
            f'stroke-dasharray="4 3"/><text x="{x + 4:.1f}" y="{height - 1}" font-size="10" '
            f'fill="#555">{escape(chart.get("reference_label") or _fmt(float(ref), unit))}</text>'
        )
        height += 6
    return _svg(chart["id"], chart.get("title", ""), width, height, "".join(parts))


def _columns(chart: dict[str, Any]) -> str:
    """Vertical columns (deciles, stages): labels under, values above."""
    items = chart.get("items") or []
    unit = chart.get("unit", "")
    width, height, left, bottom, top = 640, 240, 40, 34, 18
    n = max(len(items), 1)
    slot = (width - left - 10) / n
    peak = max(
        [abs(float(i.get("value") or 0)) for i in items] + [chart.get("reference") or 0, 1e-9]
    )
    plot_h = height - bottom - top
    parts = [
        f'<line x1="{left}" x2="{width - 5}" y1="{height - bottom}" y2="{height - bottom}" '
        f'stroke="{MUTED}"/>'
    ]
    for k, item in enumerate(items):
        value = float(item.get("value") or 0)
        h = max(2.0, plot_h * abs(value) / peak)
        x = left + k * slot + slot * 0.15
        y = height - bottom - h
        parts.append(
            f'<rect data-bar="{k}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" rx="2" fill="{_color(item, ACCENT)}"><title>'
            f"{escape(str(item.get('label')))}: {escape(_fmt(value, unit))}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
            f'font-size="11" fill="#333">{escape(_fmt(value, unit))}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 15}" text-anchor="middle" '
            f'font-size="11" fill="#555">{escape(str(item.get("label")))}</text>'
        )
    ref = chart.get("reference")
    if ref:
        y = height - bottom - plot_h * float(ref) / peak
        parts.append(
            f'<line x1="{left}" x2="{width - 5}" y1="{y:.1f}" y2="{y:.1f}" stroke="#555" '
            f'stroke-dasharray="4 3"/><text x="{left + 2}" y="{y - 3:.1f}" font-size="10" '
            f'fill="#555">{escape(chart.get("reference_label") or _fmt(float(ref), unit))}</text>'
        )
    if chart.get("x_label"):
        parts.append(
            f'<text x="{width / 2}" y="{height - 3}" text-anchor="middle" font-size="11" '
            f'fill="#555">{escape(chart["x_label"])}</text>'
        )
    return _svg(chart["id"], chart.get("title", ""), width, height, "".join(parts))


def _calibration(chart: dict[str, Any]) -> str:
    """Predicted against observed success rate, with the diagonal of perfect calibration."""
    items = chart.get("items") or []
    size, pad = 260, 36
    span = size - 2 * pad
    peak = max(
        [float(i.get("x") or 0) for i in items] + [float(i.get("y") or 0) for i in items] + [0.05]
    )
    peak = min(1.0, peak * 1.1)

    def px(v: float) -> float:
        return pad + span * v / peak

    def py(v: float) -> float:
        return size - pad - span * v / peak

    parts = [
        f'<rect x="{pad}" y="{pad}" width="{span}" height="{span}" fill="#fafbfc" stroke="{MUTED}"/>',
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(peak)}" y2="{py(peak)}" stroke="{MUTED}" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{size / 2}" y="{size - 6}" text-anchor="middle" font-size="11" fill="#555">'
        "expected success rate</text>",
        f'<text x="12" y="{size / 2}" text-anchor="middle" font-size="11" fill="#555" '
        f'transform="rotate(-90 12 {size / 2})">observed</text>',
    ]
    points = " ".join(f"{px(float(i['x'])):.1f},{py(float(i['y'])):.1f}" for i in items)
    if points:
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{ACCENT}" stroke-width="2"/>'
        )
    for k, i in enumerate(items):
        parts.append(
            f'<circle data-bar="{k}" cx="{px(float(i["x"])):.1f}" cy="{py(float(i["y"])):.1f}" '
            f'r="4" fill="{ACCENT}"><title>{escape(str(i.get("label", "")))}: expected '
            f"{float(i['x']):.0%}, observed {float(i['y']):.0%}</title></circle>"
        )
    return _svg(chart["id"], chart.get("title", ""), size, size, "".join(parts))


def _stacked(chart: dict[str, Any]) -> str:
    """One 100% bar per row (e.g. tier mix before and after), segments coloured by tier."""
    rows = chart.get("rows") or []
    width, label_w, row_h = 640, 110, 34
    bar_w = width - label_w - 20
    height = row_h * len(rows) + 26
    parts = []
    for r, row in enumerate(rows):
        y = r * row_h + 4
        total = sum(float(v or 0) for _, v in row["parts"]) or 1.0
        x = float(label_w)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="12" fill="#333">'
            f"{escape(str(row['label']))}</text>"
        )
        for k, (name, value) in enumerate(row["parts"]):
            w = bar_w * float(value or 0) / total
            if w <= 0:
                continue
            share = float(value or 0) / total
            parts.append(
                f'<rect data-bar="{r}-{k}" x="{x:.1f}" y="{y + 4}" width="{w:.1f}" '
                f'height="{row_h - 10}" fill="{TIER_COLORS.get(name, ACCENT)}"><title>'
                f"{escape(str(name))}: {share:.0%}</title></rect>"
            )
            if w > 28:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 22}" text-anchor="middle" font-size="11" '
                    f'fill="#fff">{escape(str(name))} {share:.0%}</text>'
                )
            x += w
    return _svg(chart["id"], chart.get("title", ""), width, height, "".join(parts))


_DRAW = {"bars": _bars, "columns": _columns, "calibration": _calibration, "stacked": _stacked}


def render_chart(chart: dict[str, Any]) -> str:
    """The SVG markup of one chart spec (all text escaped)."""
    return _DRAW[chart.get("type", "bars")](chart)


def chart_text(chart: dict[str, Any]) -> list[str]:
    """The chart as text lines (for Markdown): a label, a bar of blocks, the value."""
    unit = chart.get("unit", "")
    if chart.get("type") == "stacked":
        return [
            f"{row['label']}: "
            + ", ".join(f"{name} {float(v or 0):,.0f}" for name, v in row["parts"])
            for row in chart.get("rows") or []
        ]
    if chart.get("type") == "calibration":
        return [
            f"{i.get('label', '')}: expected {float(i['x']):.0%}, observed {float(i['y']):.0%}"
            for i in chart.get("items") or []
        ]
    items = chart.get("items") or []
    peak = max([abs(float(i.get("value") or 0)) for i in items] + [1e-9])
    return [
        f"{i.get('label')!s:<28} {'█' * max(1, round(20 * abs(float(i.get('value') or 0)) / peak))} "
        f"{i.get('text') or _fmt(float(i.get('value') or 0), unit)}"
        for i in items
    ]
