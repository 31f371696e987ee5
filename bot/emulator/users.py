"""Test-side view of the emulator: fake users and what the bot sent them."""

# The helpers take a `timeout` argument on purpose: tests read better with it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator

__all__ = ["CallbackAnswer", "FakeUser", "SentMessage"]

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")

# A 1x1 PNG, used as the default content of photos users send.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
_OGG = b"OggS" + bytes(60)


@dataclass
class SentMessage:
    """A message the bot sent (and possibly edited or deleted) in a private chat."""

    message_id: int
    chat_id: int
    date: int
    text: str
    """Plain text after entity parsing (the caption for documents)."""
    html: str | None
    """The raw ``text``/``caption`` parameter exactly as the bot sent it."""
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    kind: str = "text"
    """``"text"`` or ``"document"``."""
    filename: str | None = None
    document: bytes | None = field(default=None, repr=False)
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

    @property
    def caption(self) -> str:
        return self.text

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
        if self.kind == "document":
            text_key, entities_key = "caption", "caption_entities"
            result["document"] = {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_name": self.filename,
                "mime_type": self.mime_type,
                "file_size": len(self.document or b""),
            }
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


class FakeUser:
    """A Telegram user in a private chat with the bot. Create with ``emulator.user(...)``."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        first_name: str,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self._emu = emulator
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self.last_name = last_name
        self.language_code = language_code
        self._messages: list[SentMessage] = []
        self._cursor = 0
        self._seen_edits: dict[int, int] = {}
        self._seen_answers = 0
        self._last_activity = 0.0
        self._inflight = 0

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    @property
    def chat_id(self) -> int:
        return self.id

    # -- Bot API representations ----------------------------------------------------------

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        result: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            result["last_name"] = self.last_name
        if self.username:
            result["username"] = self.username
        if self.language_code:
            result["language_code"] = self.language_code
        return result

    def chat_api(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of the private chat with this user."""
        result: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            result["last_name"] = self.last_name
        if self.username:
            result["username"] = self.username
        return result

    # -- what the bot sent ----------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Every message the bot sent to this user, oldest first (deleted ones included)."""
        return list(self._messages)

    @property
    def last(self) -> SentMessage:
        """The latest message the bot sent to this user."""
        if not self._messages:
            raise AssertionError(f"the bot has not sent anything to user {self.id}")
        return self._messages[-1]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return [a for a in self._emu.answered_callbacks if a.user_id == self.id]

    @property
    def blocked(self) -> bool:
        return self._emu.is_blocked(self.id)

    def block(self) -> None:
        self._emu.block(self.id)

    def unblock(self) -> None:
        self._emu.unblock(self.id)

    def commands(self, language_code: str | None = None) -> list[dict[str, str]]:
        """The command menu this user sees (Telegram's scope resolution for private chats)."""
        return self._emu.visible_commands(self.id, language_code or self.language_code or "")

    def mark(self) -> None:
        """Forget the messages so far: ``wait_for_messages`` counts from here."""
        self._cursor = len(self._messages)

    def new_messages(self) -> list[SentMessage]:
        """Messages since the last wait/``mark()``, without waiting or consuming them."""
        return self._messages[self._cursor :]

    # -- acting as the user ---------------------------------------------------------------

    async def send(self, text: str, entities: list[dict[str, Any]] | None = None) -> int:
        """Send a text message to the bot; returns its message_id.

        Without ``entities``, a leading ``/command`` (or ``/command@bot``) gets a
        ``bot_command`` entity, as Telegram adds it.
        """
        if entities is None:
            match = _COMMAND.match(text)
            entities = (
                [{"type": "bot_command", "offset": 0, "length": match.end()}] if match else []
            )
        payload: dict[str, Any] = {"text": text}
        if entities:
            payload["entities"] = entities
        return await self._emu._user_message(self, payload)

    async def send_sticker(self, emoji: str = "👍") -> int:
        file = self._emu._store_file(b"RIFF" + bytes(40), "sticker.webp", "image/webp", "stickers")
        sticker = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(file.data),
        }
        return await self._emu._user_message(self, {"sticker": sticker})

    async def send_photo(self, caption: str | None = None, data: bytes = _PNG) -> int:
        file = self._emu._store_file(data, "photo.png", "image/png", "photos")
        sizes = [
            {
                "file_id": f"{file.file_id}{suffix}",
                "file_unique_id": f"{file.file_unique_id}{suffix}",
                "width": width,
                "height": width,
                "file_size": len(data),
            }
            for suffix, width in (("s", 90), ("", 800))
        ]
        self._emu._alias_file(f"{file.file_id}s", file)
        payload: dict[str, Any] = {"photo": sizes}
        if caption:
            payload["caption"] = caption
        return await self._emu._user_message(self, payload)

    async def send_voice(self, duration: int = 2, data: bytes = _OGG) -> int:
        file = self._emu._store_file(data, "voice.ogg", "audio/ogg", "voice")
        voice = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return await self._emu._user_message(self, {"voice": voice})

    async def send_document(
        self,
        data: bytes,
        filename: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        file = self._emu._store_file(data, filename, mime_type, "documents")
        document = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        payload: dict[str, Any] = {"document": document}
        if caption:
            payload["caption"] = caption
        return await self._emu._user_message(self, payload)

    async def press(self, button: str | int, message: SentMessage | None = None) -> str:
        """Press an inline button by exact label or flat index; returns the callback query id.

        Without ``message``, the latest non-deleted bot message with an inline keyboard is
        used.
        """
        if message is None:
            candidates = [m for m in self._messages if m.has_inline_keyboard and not m.deleted]
            if not candidates:
                raise AssertionError(
                    f"user {self.id}: no message with an inline keyboard to press {button!r} on"
                )
            message = candidates[-1]
        buttons = message.inline_buttons
        chosen: dict[str, Any] | None = None
        if isinstance(button, int):
            if 0 <= button < len(buttons):
                chosen = buttons[button]
        else:
            chosen = next((b for b in buttons if b.get("text") == button), None)
        if chosen is None:
            raise AssertionError(
                f"user {self.id}: no button {button!r} on message {message.message_id} "
                f"({message.text[:60]!r}); available: {[b.get('text') for b in buttons]!r}"
            )
        if "callback_data" not in chosen:
            raise AssertionError(
                f"user {self.id}: button {chosen.get('text')!r} has no callback_data "
                f"(it is {sorted(set(chosen) - {'text'})!r})"
            )
        return await self._emu._press(self, message.message_id, str(chosen["callback_data"]))

    async def press_data(self, message_id: int, data: str) -> str:
        """Send a callback query with arbitrary data for any (even stale or unknown) message."""
        return await self._emu._press(self, message_id, data)

    # -- waiting for the bot --------------------------------------------------------------

    async def wait_for_messages(self, count: int = 1, timeout: float = 5.0) -> list[SentMessage]:
        """Wait for ``count`` new messages since the last wait/``mark()`` and return them.

        Exactly ``count`` messages are consumed; any further ones stay for the next wait.
        Raises ``AssertionError`` (listing what did arrive) on timeout.
        """
        target = self._cursor + count
        if not await self._emu.wait_until(lambda: len(self._messages) >= target, timeout):
            got = [m.text for m in self._messages[self._cursor :]]
            raise AssertionError(
                f"user {self.id}: expected {count} new message(s) from the bot within "
                f"{timeout}s, got {len(got)}: {got!r}"
            )
        result = self._messages[self._cursor : target]
        self._cursor = target
        return result

    async def wait_for_message(self, timeout: float = 5.0) -> SentMessage:
        """Wait for one new message and return it."""
        return (await self.wait_for_messages(1, timeout))[0]

    async def wait_for_edit(self, message: int | SentMessage, timeout: float = 5.0) -> SentMessage:
        """Wait until the message has an edit not yet seen by an earlier ``wait_for_edit``."""
        message_id = message if isinstance(message, int) else message.message_id
        found = self._emu.find_message(self.id, message_id)
        if found is None:
            raise AssertionError(f"user {self.id}: the bot never sent message {message_id}")
        seen = self._seen_edits.get(message_id, 0)
        if not await self._emu.wait_until(lambda: found.edited > seen, timeout):
            raise AssertionError(
                f"user {self.id}: message {message_id} was not edited within {timeout}s"
            )
        self._seen_edits[message_id] = found.edited
        return found

    async def wait_for_answer(
        self, query_id: str | None = None, timeout: float = 5.0
    ) -> CallbackAnswer:
        """Wait for the bot to answer a callback query of this user (the given one, or the
        next one not returned before)."""

        def matching() -> list[CallbackAnswer]:
            answers = self.callback_answers
            if query_id is not None:
                return [a for a in answers if a.query_id == query_id]
            return answers[self._seen_answers :]

        if not await self._emu.wait_until(lambda: bool(matching()), timeout):
            raise AssertionError(
                f"user {self.id}: callback query {query_id or '(any)'} was not answered "
                f"within {timeout}s"
            )
        answer = matching()[0]
        if query_id is None:
            self._seen_answers += 1
        return answer

    async def wait_until_idle(self, quiet: float = 0.2, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until the bot fetched everything this user sent and then made no request for
        this chat for ``quiet`` seconds; return (and consume) the new messages."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            busy = self._inflight > 0 or self._emu._has_undelivered(self.id)
            idle_for = now - self._last_activity
            if not busy and idle_for >= quiet:
                break
            if now >= deadline:
                reason = "updates still undelivered" if busy else "bot still active"
                raise AssertionError(
                    f"user {self.id}: chat did not become idle within {timeout}s ({reason})"
                )
            step = 0.01 if busy else quiet - idle_for
            await asyncio.sleep(max(0.005, min(step, deadline - now)))
        result = self._messages[self._cursor :]
        self._cursor = len(self._messages)
        return result
