"""Inline SVG charts (no scripts, no network): grouped bars and score-against-frames lines. The legend
shows every series' full label, one per line, wrapped inside the chart's width."""

from __future__ import annotations

from html import escape

LEGEND_LINE = 15  # px between legend lines (font-size 11)
LEGEND_CHAR = 6.6  # px: a generous width of one character at font-size 11, for wrapping
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]


def grouped_bars(categories: list[str], series: dict[str, list[float | None]], title: str, maximum: float = 100.0) -> str:
    """One group of bars per category, one bar per series (model); values 0..maximum."""
    width, height, left, bottom, top = max(520, 70 * len(categories) + 120), 300, 40, 60, 30
    plot_w, plot_h = width - left - 10, height - bottom - top
    group_w = plot_w / max(1, len(categories))
    bar_w = max(2.0, (group_w - 10) / max(1, len(series)))
    legend, legend_h = _legend(list(series), left, top + plot_h + 26, width - left - 10)
    parts = [_open(width, top + plot_h + 26 + legend_h + 6, title)]
    parts.append(f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
    for tick in range(0, 101, 25):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick * maximum / 100:g}</text>')
    for c, category in enumerate(categories):
        x0 = left + c * group_w + 5
        for s, (name, values) in enumerate(series.items()):
            value = values[c]
            if value is None:
                continue
            bar_h = plot_h * max(0.0, min(value, maximum)) / maximum
            x = x0 + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w - 1:.1f}" height="{bar_h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(name)} / {escape(category)}: {value:.1f}</title></rect>"
            )
        parts.append(f'<text x="{x0 + group_w / 2 - 5:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">{escape(category)}</text>')
    parts.append(legend)
    parts.append("</svg>")
    return "".join(parts)


def lines(xs: list[int], series: dict[str, list[float | None]], title: str, x_label: str) -> str:
    """Score against ``xs`` (frame budgets), one line per series."""
    width, height, left, bottom, top = 520, 280, 40, 60, 30
    plot_w, plot_h = width - left - 20, height - bottom - top
    span = max(1, max(xs) - min(xs))
    position = lambda x: left + plot_w * (x - min(xs)) / span  # noqa: E731
    legend, legend_h = _legend(list(series), left, top + plot_h + 42, width - left - 20)
    parts = [_open(width, top + plot_h + 42 + legend_h + 6, title)]
    parts.append(f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
    for tick in range(0, 101, 25):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick}</text>')
    for x in xs:
        parts.append(f'<text x="{position(x):.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">{x}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 30}" font-size="11" text-anchor="middle">{escape(x_label)}</text>')
    for s, (name, values) in enumerate(series.items()):
        points = [(position(x), top + plot_h * (1 - v / 100)) for x, v in zip(xs, values) if v is not None]
        color = PALETTE[s % len(PALETTE)]
        if len(points) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(name)}</title></circle>')
    parts.append(legend)
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    """The ``<svg>`` tag: a viewBox, so the page can scale the chart down to its width."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">'
    )


def _legend(names: list[str], left: int, top: int, width: int) -> tuple[str, int]:
    """One swatch and full label per series from ``top`` down (long labels wrap); the SVG and its height."""
    per_line = max(8, int((width - 14) / LEGEND_CHAR))
    items, y = [], top
    for i, name in enumerate(names):
        chunks = wrap_label(name, per_line)
        spans = "".join(f'<tspan x="{left + 14}" dy="{0 if k == 0 else LEGEND_LINE}">{escape(chunk)}</tspan>' for k, chunk in enumerate(chunks))
        items.append(
            f'<rect x="{left}" y="{y}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text class="legend" x="{left + 14}" y="{y + 9}" font-size="11">{spans}</text>'
        )
        y += LEGEND_LINE * len(chunks) + 3
    return "".join(items), y - top


def wrap_label(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` characters that join back to exactly ``text``;
    a piece ends after a space, slash, dash, underscore or colon where one is near its end."""
    pieces = []
    while len(text) > width:
        cut = max(text.rfind(mark, width // 2, width) for mark in " /-_:")
        cut = width if cut < 0 else cut + 1
        pieces.append(text[:cut])
        text = text[cut:]
    return [piece for piece in pieces + [text] if piece] or [""]
