"""What the emulator records and tests inspect: messages, callback answers, files, calls, stats."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiCall", "CallbackAnswer", "EmulatorStats", "SentMessage", "StoredFile"]


@dataclass
class SentMessage:
    """A message the bot sent (and possibly edited or deleted) in a private chat."""

    message_id: int
    chat_id: int
    date: int
    text: str
    """Plain text after entity parsing (the caption for documents and photos)."""
    html: str | None
    """The raw ``text``/``caption`` parameter exactly as the bot sent it."""
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    kind: str = "text"
    """``"text"``, ``"document"`` or ``"photo"``."""
    filename: str | None = None
    document: bytes | None = field(default=None, repr=False)
    """The file's bytes, for documents and photos alike (see also ``photo``)."""
    mime_type: str | None = None
    file_id: str | None = None
    file_unique_id: str | None = None
    link_preview_options: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edited: int = 0
    """How many times the message was edited (text, caption or markup)."""
    edit_date: int | None = None
    deleted: bool = False
    history: list[str] = field(default_factory=list, repr=False)
    """Earlier plain texts, oldest first (one entry per text/caption edit)."""
    sender: dict[str, Any] = field(default_factory=dict, repr=False)
    width: int | None = None
    """Pixel size of a photo (``None`` for other kinds)."""
    height: int | None = None

    @property
    def caption(self) -> str:
        return self.text

    @property
    def photo(self) -> bytes | None:
        """The image bytes of a photo message, ``None`` for other kinds."""
        return self.document if self.kind == "photo" else None

    @property
    def has_inline_keyboard(self) -> bool:
        return bool(self.reply_markup and "inline_keyboard" in self.reply_markup)

    @property
    def button_rows(self) -> list[list[str]]:
        """Labels of the inline keyboard (or reply keyboard) buttons, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [
            [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
            for row in rows
        ]

    @property
    def buttons(self) -> list[str]:
        """Button labels, flattened in reading order."""
        return [label for row in self.button_rows for label in row]

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's button objects, flattened in reading order."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> dict[str, str]:
        """Label -> callback_data of every callback button."""
        return {
            str(b["text"]): str(b["callback_data"])
            for b in self.inline_buttons
            if "callback_data" in b
        }

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``Message`` object for this message, as Telegram returns it."""
        result: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": {"id": self.chat_id, "type": "private"},
            "date": self.date,
        }
        text_key, entities_key = "text", "entities"
        size = len(self.document or b"")
        if self.kind == "document":
            text_key, entities_key = "caption", "caption_entities"
            result["document"] = {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_name": self.filename,
                "mime_type": self.mime_type,
                "file_size": size,
            }
        elif self.kind == "photo":
            text_key, entities_key = "caption", "caption_entities"
            result["photo"] = [
                {
                    "file_id": self.file_id,
                    "file_unique_id": self.file_unique_id,
                    "width": self.width or 0,
                    "height": self.height or 0,
                    "file_size": size,
                }
            ]
        if self.text:
            result[text_key] = self.text
        if self.entities:
            result[entities_key] = copy.deepcopy(self.entities)
        if self.has_inline_keyboard:
            result["reply_markup"] = copy.deepcopy(self.reply_markup)
        if self.edit_date is not None:
            result["edit_date"] = self.edit_date
        if self.link_preview_options and self.kind == "text":
            result["link_preview_options"] = dict(self.link_preview_options)
        return result

    def to_json(self) -> dict[str, Any]:
        """A flat description for the control API (``/_emulator/...``)."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "date": self.date,
            "kind": self.kind,
            "text": self.text,
            "html": self.html,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "buttons": self.button_rows,
            "callback_data": self.callback_data,
            "filename": self.filename,
            "mime_type": self.mime_type,
            "file_size": None if self.document is None else len(self.document),
            "edited": self.edited,
            "deleted": self.deleted,
            "reply_to_message_id": self.reply_to_message_id,
        }


@dataclass
class CallbackAnswer:
    """An ``answerCallbackQuery`` call the emulator accepted."""

    query_id: str
    user_id: int
    data: str | None
    message_id: int | None
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0


@dataclass
class StoredFile:
    """A file the emulator holds (uploaded by the bot or sent by a fake user)."""

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str
    mime_type: str
    file_path: str
    """Where ``<base_file_url><token>/<file_path>`` serves the bytes; the first part
    (``documents``, ``photos``, ...) is the kind of file."""


@dataclass
class ApiCall:
    """One Bot API request as the emulator saw it (file contents left out)."""

    method: str
    params: dict[str, Any]
    status: int
    chat_id: int | None
    files: dict[str, str] = field(default_factory=dict)
    """Multipart field name -> uploaded file name."""


@dataclass
class EmulatorStats:
    requests: Counter[str] = field(default_factory=Counter)
    """Requests per (canonical) method name, including failed ones."""
    responses: Counter[int] = field(default_factory=Counter)
    """Answers per HTTP status code."""
    sent: int = 0
    """Successful calls of sending methods (messages, documents, photos, edits)."""
    injected: Counter[str] = field(default_factory=Counter)
    """Faults of ``inject_faults`` windows per kind: ``"429"``, ``"502"``, ``"timeout"``."""
    webhook_posts: int = 0
    """Updates POSTed to the webhook (every attempt, retries included)."""
    webhook_ok: int = 0
    """Webhook POSTs answered with a 2xx status."""
    webhook_failed: int = 0
    """Webhook POSTs answered with any other status."""
    webhook_unreachable: int = 0
    """Webhook POSTs that got no answer (connection refused, timeout)."""

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def rate_limited(self) -> int:
        return self.responses[429]

    @property
    def forbidden(self) -> int:
        return self.responses[403]

    @property
    def bad_requests(self) -> int:
        return self.responses[400]

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.responses.items() if status >= 500)

    def reset(self) -> None:
        self.requests.clear()
        self.responses.clear()
        self.sent = 0
        self.injected.clear()
        self.webhook_posts = self.webhook_ok = self.webhook_failed = 0
        self.webhook_unreachable = 0

    def to_json(self) -> dict[str, Any]:
        """The counters as JSON (the control API's ``/_emulator/stats``)."""
        return {
            "requests": dict(self.requests),
            "responses": {str(k): v for k, v in self.responses.items()},
            "sent": self.sent,
            "injected": dict(self.injected),
            "webhook_posts": self.webhook_posts,
            "webhook_ok": self.webhook_ok,
            "webhook_failed": self.webhook_failed,
            "webhook_unreachable": self.webhook_unreachable,
        }
