"""Test-side view of the emulator: fake users and what the bot sent them."""

# The helpers take a `timeout` argument on purpose: tests read better with it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from bot.emulator.records import CallbackAnswer, SentMessage

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator

__all__ = ["CallbackAnswer", "FakeUser", "SentMessage"]

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
# What the Telegram app turns into "/start <payload>": t.me deep links to the bot.
_START_LINK = re.compile(r"https://t\.me/([A-Za-z0-9_]{3,32})\?start=([A-Za-z0-9_-]{1,64})")

# A 1x1 PNG, used as the default content of photos users send.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
_OGG = b"OggS" + bytes(60)


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

    # -- kept up to date by the emulator ------------------------------------------------------

    @property
    def last_activity(self) -> float:
        """Loop time of the last request or update concerning this chat."""
        return self._last_activity

    @property
    def inflight(self) -> int:
        """Bot API requests about this chat the emulator is handling right now."""
        return self._inflight

    def touch(self) -> None:
        """Something happened in this chat now (``wait_until_idle`` waits for quiet)."""
        self._last_activity = asyncio.get_running_loop().time()

    def request_started(self) -> None:
        self._inflight += 1
        self.touch()

    def request_finished(self) -> None:
        self._inflight -= 1
        self.touch()

    def record_message(self, message: SentMessage) -> None:
        """The bot sent ``message`` to this user."""
        self._messages.append(message)

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
        return await self._emu.send_as_user(self, payload)

    async def open_link(self, url: str) -> int:
        """Open a deep link to the bot, as the Telegram app does; returns the message_id.

        Only ``https://t.me/<bot_username>?start=<payload>`` is accepted (the username in
        any case, the payload 1-64 of ``A-Z a-z 0-9 _ -``); the app then sends
        ``/start <payload>`` with a ``bot_command`` entity over ``/start``. Anything else
        raises ``AssertionError``: such a link would not start this bot.
        """
        match = _START_LINK.fullmatch(url)
        if match is None:
            raise AssertionError(
                f"user {self.id}: {url!r} is not a deep link "
                "https://t.me/<bot_username>?start=<payload> (payload: 1-64 of A-Za-z0-9_-)"
            )
        username, payload = match.groups()
        if username.lower() != self._emu.bot_username.lower():
            raise AssertionError(
                f"user {self.id}: {url!r} links to @{username}, "
                f"not to this bot @{self._emu.bot_username}"
            )
        entities = [{"type": "bot_command", "offset": 0, "length": len("/start")}]
        return await self.send(f"/start {payload}", entities)

    async def send_sticker(self, emoji: str = "👍") -> int:
        file = self._emu.store_file(b"RIFF" + bytes(40), "sticker.webp", "image/webp", "stickers")
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
        return await self._emu.send_as_user(self, {"sticker": sticker})

    async def send_photo(self, caption: str | None = None, data: bytes = _PNG) -> int:
        file = self._emu.store_file(data, "photo.png", "image/png", "photos")
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
        self._emu.alias_file(f"{file.file_id}s", file)
        payload: dict[str, Any] = {"photo": sizes}
        if caption:
            payload["caption"] = caption
        return await self._emu.send_as_user(self, payload)

    async def send_voice(self, duration: int = 2, data: bytes = _OGG) -> int:
        file = self._emu.store_file(data, "voice.ogg", "audio/ogg", "voice")
        voice = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return await self._emu.send_as_user(self, {"voice": voice})

    async def send_document(
        self,
        data: bytes,
        filename: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        file = self._emu.store_file(data, filename, mime_type, "documents")
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
        return await self._emu.send_as_user(self, payload)

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
        return await self._emu.press_as_user(
            self, message.message_id, str(chosen["callback_data"])
        )

    async def press_data(self, message_id: int, data: str) -> str:
        """Send a callback query with arbitrary data for any (even stale or unknown) message."""
        return await self._emu.press_as_user(self, message_id, data)

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
            busy = self._inflight > 0 or self._emu.has_undelivered(self.id)
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
