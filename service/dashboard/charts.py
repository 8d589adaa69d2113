"""Charts as inline SVG, drawn on the server from our numbers: no script, no CDN, phone-friendly.

The SVGs scale to the width of the screen (viewBox, width 100%) and carry a <title> per bar
so a screen reader, or a long press on a phone, tells the number.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

TIER_COLOURS = {
    "dasar": "#d9534f",
    "berkembang": "#f0ad4e",
    "mandiri": "#3c9d5d",
    "none": "#b8bec6",
}
BAR_COLOUR = "#2f6fab"
WIDTH, LABEL_W, ROW_H = 680, 235, 26


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "lbl") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" class="{cls}">{escape(text)}</text>'
    )


def _svg(height: int, body: list[str], title: str) -> Markup:
    # Every text that reaches the SVG went through escape() in _text() or here.
    return Markup(  # noqa: S704  # nosec B704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def stacked_tiers(
    units: list[dict], title: str, word: Callable[[str], str], keys: tuple[str, ...]
) -> Markup:
    """One stacked bar per unit (kecamatan or kelurahan): IMPs by tier, with a legend."""
    top = 28
    body: list[str] = []
    x = LABEL_W
    for key in keys:  # legend
        body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{TIER_COLOURS[key]}"/>')
        body.append(_text(x + 16, 17, word(key), cls="leg"))
        x += 30 + 8 * len(word(key))
    span = WIDTH - LABEL_W - 40
    most = max((sum(u["tiers"].values()) for u in units), default=0) or 1
    for i, unit in enumerate(units):
        y = top + i * ROW_H
        body.append(_text(LABEL_W - 8, y + 16, unit.get("name") or unit["code"], "end"))
        x = float(LABEL_W)
        for key in keys:
            n = unit["tiers"].get(key, 0)
            if not n:
                continue
            w = span * n / most
            body.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 8}" '
                f'fill="{TIER_COLOURS[key]}"><title>{escape(word(key))}: {n}</title></rect>'
            )
            if w > 18:
                body.append(_text(x + w / 2, y + 16, str(n), "middle", "num"))
            x += w
        total = sum(unit["tiers"].values())
        body.append(_text(x + 6, y + 16, str(total), cls="tot"))
    return _svg(top + max(len(units), 1) * ROW_H + 6, body, title)


def bars(rows: list[tuple[str, int]], title: str) -> Markup:
    """One horizontal bar per (label, count), longest first as given."""
    body: list[str] = []
    span = WIDTH - LABEL_W - 50
    most = max((n for _, n in rows), default=0) or 1
    for i, (label, n) in enumerate(rows):
        y = 4 + i * ROW_H
        w = span * n / most
        body.append(_text(LABEL_W - 8, y + 16, label, "end"))
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 8}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {n}</title></rect>'
        )
        body.append(_text(LABEL_W + w + 6, y + 16, str(n), cls="tot"))
    return _svg(8 + max(len(rows), 1) * ROW_H, body, title)
