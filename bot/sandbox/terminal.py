"""Telegram messages in a terminal: entities (or Telegram HTML) to ANSI styles, or plain text.

With colour, bold, italic, underline and strikethrough become SGR styles, code is shown
inverse, and a link keeps its text followed by its address in dim. Without colour (NO_COLOR
set, TERM=dumb, or output that is not a terminal) the text is exactly Telegram's plain text,
only a link's address is added, so that transcripts stay easy to read and to assert on.
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from bot.emulator import parse_telegram_html

__all__ = ["format_buttons", "render_entities", "render_html", "wants_color"]

RESET = "\033[0m"
DIM = "\033[2m"
BOLD = "\033[1m"

# SGR codes per entity type; types not listed (mentions, commands, quotes…) stay unstyled.
_SGR: dict[str, str] = {
    "bold": "1",
    "italic": "3",
    "underline": "4",
    "strikethrough": "9",
    "code": "7",
    "pre": "2",
    "spoiler": "2",
    "text_link": "4",
    "url": "4",
    "email": "4",
}
# Wider than this, keyboards are shown one row per line instead of on one line.
MAX_BUTTON_LINE = 78


def wants_color(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR (https://no-color.org) or TERM=dumb."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def render_html(html: str, *, color: bool) -> str:
    """Telegram HTML (parsed strictly, like the emulator does) for the terminal."""
    plain, entities = parse_telegram_html(html)
    return render_entities(plain, entities, color=color)


def render_entities(text: str, entities: Sequence[Mapping[str, Any]], *, color: bool) -> str:
    """Plain text plus Bot API entities (UTF-16 offsets) for the terminal."""
    # Python index of every UTF-16 offset (a character outside the BMP counts twice).
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))

    def index(utf16: int) -> int:
        return min(bisect.bisect_left(offsets, utf16), len(text))

    spans = [
        (index(int(e["offset"])), index(int(e["offset"]) + int(e["length"])), e) for e in entities
    ]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(f for _, f, _ in spans)})
    out: list[str] = []
    current: list[str] = []
    for start, end in itertools.pairwise(cuts):
        if color:
            codes = [
                _SGR[e["type"]]
                for s, f, e in spans
                if s <= start and end <= f and e["type"] in _SGR
            ]
            if codes != current:
                out.append(
                    (RESET if current else "") + (f"\033[{';'.join(codes)}m" if codes else "")
                )
                current = codes
        out.append(text[start:end])
        for s, f, entity in spans:
            if f == end and entity["type"] == "text_link":
                target = _link_target(text[s:f], entity, color=color)
                out.append(target)
                if target and color:
                    current = []  # the address ends with a reset
    if current:
        out.append(RESET)
    return "".join(out)


def _link_target(shown: str, entity: Mapping[str, Any], *, color: bool) -> str:
    url = str(entity.get("url", ""))
    if not url or url == shown or url.startswith("tg://"):
        return ""
    return f"{RESET}{DIM} ({url}){RESET}" if color else f" ({url})"


def format_buttons(rows: Sequence[Sequence[Mapping[str, Any]]], *, color: bool) -> list[str]:
    """Inline keyboard buttons numbered from 1 in reading order: ``[1] Opleiding  [2] Advies``.

    One line when it fits, otherwise one line per keyboard row. A link button shows its
    address.
    """
    number = 0
    plain_rows: list[list[str]] = []
    shown_rows: list[list[str]] = []
    for row in rows:
        plain_cells, shown_cells = [], []
        for button in row:
            number += 1
            label = str(button.get("text", ""))
            if "url" in button:
                label += f" ({button['url']})"
            plain_cells.append(f"[{number}] {label}")
            shown_cells.append(f"{BOLD}[{number}]{RESET} {label}" if color else plain_cells[-1])
        plain_rows.append(plain_cells)
        shown_rows.append(shown_cells)
    if not number:
        return []
    one_line = "  ".join(cell for row in plain_rows for cell in row)
    if len(one_line) <= MAX_BUTTON_LINE:
        return ["  ".join(cell for row in shown_rows for cell in row)]
    return ["  ".join(row) for row in shown_rows]
