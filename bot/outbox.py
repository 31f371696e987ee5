"""What an outbox row holds, written once here and read back by the sender.

Every message the bot sends is one of these rows: a text message, a document or a photo, or
an edit of a message sent before (its text, or its keyboard). Keyboards are stored as rows
of (label, data) pairs built from the button registry (`bot.buttons`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.buttons import Button, Keyboard
from storage.outbox import REPLY, NewMessage


class Kind(StrEnum):
    MESSAGE = "message"
    DOCUMENT = "document"
    PHOTO = "photo"
    EDIT_TEXT = "edit_text"
    EDIT_MARKUP = "edit_markup"


def text_message(
    chat_id: int,
    text: str,
    keyboard: Keyboard | None = None,
    *,
    lane: str = REPLY,
    source: str | None = None,
    source_id: int | None = None,
    expires_at: datetime | None = None,
) -> NewMessage:
    """A Telegram-HTML text message, with an inline keyboard when given."""
    return NewMessage(
        chat_id,
        Kind.MESSAGE,
        {"text": text, "keyboard": _rows(keyboard)},
        lane=lane,
        source=source,
        source_id=source_id,
        expires_at=expires_at,
    )


def file_message(
    chat_id: int,
    kind: Kind,
    data: bytes,
    filename: str,
    caption: str | None = None,
    keyboard: Keyboard | None = None,
) -> NewMessage:
    """A document (any file) or a photo (PNG/JPEG), with an HTML caption."""
    payload = {"filename": filename, "caption": caption, "keyboard": _rows(keyboard)}
    return NewMessage(chat_id, kind, payload, file=data)


def edit_markup(chat_id: int, message_id: int, keyboard: Keyboard | None = None) -> NewMessage:
    """Replace (or, with None, remove) the keyboard of a message sent before."""
    return NewMessage(
        chat_id, Kind.EDIT_MARKUP, {"message_id": message_id, "keyboard": _rows(keyboard)}
    )


def edit_text(
    chat_id: int,
    text: str,
    *,
    message_id: int | None = None,
    row_id: int | None = None,
    keyboard: Keyboard | None = None,
    lane: str = REPLY,
) -> NewMessage:
    """New text for a message sent before, named by its Telegram id or by its outbox row."""
    if (message_id is None) == (row_id is None):
        raise ValueError("edit_text needs exactly one of message_id and row_id")
    payload = {"text": text, "message_id": message_id, "row": row_id, "keyboard": _rows(keyboard)}
    return NewMessage(chat_id, Kind.EDIT_TEXT, payload, lane=lane)


def keyboard_of(payload: Mapping[str, Any]) -> Keyboard | None:
    """The keyboard stored in a payload, as rows of buttons."""
    rows = payload.get("keyboard")
    if not rows:
        return None
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)


def _rows(keyboard: Keyboard | None) -> list[list[list[str]]] | None:
    if not keyboard:
        return None
    return [[[button.label, button.data] for button in row] for row in keyboard]
