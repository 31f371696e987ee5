"""Inline keyboards, checked against Telegram's limits before they are sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Button = tuple[str, str]  # (label, callback data)

TELEGRAM_MAX_CALLBACK_DATA = 64


def choices(items: Iterable[tuple[str, str]], prefix: str) -> InlineKeyboardMarkup:
    """One button per row for each (code, name): data "<prefix><code>", label the name."""
    return keyboard(*([(name, f"{prefix}{code}")] for code, name in items))


def keyboard(*rows: Sequence[Button]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, data); data is checked against Telegram's limit."""
    for _, data in (button for row in rows for button in row):
        if len(data.encode()) > TELEGRAM_MAX_CALLBACK_DATA:
            raise ValueError(f"callback data over 64 bytes: {data!r}")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )
