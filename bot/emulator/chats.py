"""The private chats: message ids, what the bot sent, and sending, editing and deleting text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator.formatting import format_text, parse_markup
from bot.emulator.records import SentMessage
from bot.emulator.request import ApiError, Call, Handler, as_int, bad

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator
    from bot.emulator.users import FakeUser

__all__ = ["ChatStore"]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class ChatStore:
    """Every private chat's messages, and the Bot API methods that change them."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator
        self._message_ids: dict[int, int] = {}
        self._bot_messages: dict[int, dict[int, SentMessage]] = {}
        self._user_messages: dict[int, set[int]] = {}

    def methods(self) -> dict[str, Handler]:
        return {
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
        }

    # -- the store ----------------------------------------------------------------------------

    def open_chat(self, chat_id: int) -> None:
        self._bot_messages.setdefault(chat_id, {})
        self._user_messages.setdefault(chat_id, set())

    def next_message_id(self, chat_id: int) -> int:
        """Message ids count up per chat, shared by the user's and the bot's messages."""
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def add_user_message(self, chat_id: int) -> int:
        """A new message id for a message of the user; returns it."""
        message_id = self.next_message_id(chat_id)
        self._user_messages[chat_id].add(message_id)
        return message_id

    def find(self, chat_id: int, message_id: int) -> SentMessage | None:
        """A message the bot sent in the chat (also when deleted since), or ``None``."""
        return self._bot_messages.get(chat_id, {}).get(message_id)

    async def keep(self, message: SentMessage, user: FakeUser) -> None:
        """Store a message the bot sent and show it to the user."""
        self._bot_messages[message.chat_id][message.message_id] = message
        user.record_message(message)
        self._emu.record_event("message", message.chat_id, message=message.to_json())
        await self._emu.notify()

    # -- shared by the sending methods ----------------------------------------------------------

    def require_chat(self, call: Call) -> FakeUser:
        """The user of the ``chat_id`` parameter; ``Bad Request: chat not found`` if unknown."""
        raw = call.params.get("chat_id")
        if raw is None or raw == "":
            raise bad("chat_id is empty")
        chat_id = as_int(raw)
        user = None if chat_id is None else self._emu.find_user(chat_id)
        if user is None:
            raise bad("chat not found")
        return user

    def format(
        self, call: Call, text: str, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]], str | None]:
        return format_text(
            call,
            text,
            mode_key="parse_mode",
            entities_key="caption_entities" if caption else "entities",
            caption=caption,
            strict_html=self._emu.strict_html,
        )

    def reply_to(self, call: Call, user: FakeUser) -> int | None:
        """The message the new one replies to (``reply_parameters`` or the old parameter)."""
        reply = call.json_opt("reply_parameters", "can't parse reply parameters JSON object")
        message_id: int | None
        allow_missing = call.bool_opt("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = as_int(reply.get("message_id"))
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
            if message_id is None:
                raise bad("can't parse reply parameters JSON object")
        else:
            message_id = call.int_opt("reply_to_message_id")
        if message_id is None:
            return None
        exists = message_id in self._user_messages[user.id] or (
            (found := self.find(user.id, message_id)) is not None and not found.deleted
        )
        if not exists:
            if allow_missing:
                return None
            raise bad("message to be replied not found")
        return message_id

    async def sent(self, message: SentMessage, user: FakeUser) -> dict[str, Any]:
        """Store a new bot message (through the emulator's hook); the API answer for it."""
        await self._emu.store_message(message)
        return with_chat(message.to_api(), user)

    # -- methods ------------------------------------------------------------------------------

    async def _send_message(self, call: Call) -> dict[str, Any]:
        user = call.require_user()
        raw = call.str_req("text", "message text is empty")
        plain, entities, parse_mode = self.format(call, raw, caption=False)
        markup = parse_markup(call, inline_only=False)
        reply_to = self.reply_to(call, user)
        preview = call.json_opt(
            "link_preview_options", "can't parse link preview options JSON object"
        )
        if preview is not None and not isinstance(preview, dict):
            raise bad("can't parse link preview options JSON object")
        if preview is None and call.bool_opt("disable_web_page_preview"):
            preview = {"is_disabled": True}
        message = SentMessage(
            message_id=self.next_message_id(user.id),
            chat_id=user.id,
            date=self._emu.date(),
            text=plain,
            html=raw,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            link_preview_options=preview,
            reply_to_message_id=reply_to,
            sender=self._emu.bot_user(call.token),
        )
        return await self.sent(message, user)

    def _message_for_edit(self, call: Call) -> SentMessage:
        if call.has("inline_message_id"):
            raise bad("inline messages are not supported by the Bot API emulator")
        user = call.require_user()
        message_id = call.int_req("message_id", "message identifier is not specified")
        found = self.find(user.id, message_id)
        if found is None or found.deleted:
            if message_id in self._user_messages[user.id]:
                raise bad("message can't be edited")
            raise bad("message to edit not found")
        return found

    async def _edited(self, call: Call, message: SentMessage) -> dict[str, Any]:
        message.edited += 1
        message.edit_date = self._emu.date()
        self._emu.record_event("edit", message.chat_id, message=message.to_json())
        await self._emu.notify()
        return with_chat(message.to_api(), call.require_user())

    async def _edit_message_text(self, call: Call) -> dict[str, Any]:
        message = self._message_for_edit(call)
        raw = call.str_req("text", "message text is empty")
        plain, entities, parse_mode = self.format(call, raw, caption=False)
        markup = parse_markup(call, inline_only=True)
        if message.kind != "text":
            raise bad("there is no text in the message to edit")
        _check_modified(message, plain, entities, markup)
        message.history.append(message.text)
        message.text, message.html, message.entities = plain, raw, entities
        message.parse_mode = parse_mode
        message.reply_markup = markup
        preview = call.json_opt(
            "link_preview_options", "can't parse link preview options JSON object"
        )
        if isinstance(preview, dict):
            message.link_preview_options = preview
        return await self._edited(call, message)

    async def _edit_message_caption(self, call: Call) -> dict[str, Any]:
        message = self._message_for_edit(call)
        raw = call.str_opt("caption") or ""
        plain, entities, parse_mode = self.format(call, raw, caption=True)
        markup = parse_markup(call, inline_only=True)
        if message.kind == "text":
            raise bad("there is no caption in the message to edit")
        _check_modified(message, plain, entities, markup)
        message.history.append(message.text)
        message.text, message.html, message.entities = plain, raw, entities
        message.parse_mode = parse_mode
        message.reply_markup = markup
        return await self._edited(call, message)

    async def _edit_message_reply_markup(self, call: Call) -> dict[str, Any]:
        message = self._message_for_edit(call)
        markup = parse_markup(call, inline_only=True)
        current = message.reply_markup if message.has_inline_keyboard else None
        if markup == current:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        return await self._edited(call, message)

    async def _delete_message(self, call: Call) -> bool:
        user = self.require_chat(call)
        message_id = call.int_req("message_id", "message identifier is not specified")
        found = self.find(user.id, message_id)
        if found is not None and not found.deleted:
            found.deleted = True
        elif message_id in self._user_messages[user.id]:
            self._user_messages[user.id].discard(message_id)
        else:
            raise bad("message to delete not found")
        self._emu.record_event("delete", user.id, message_id=message_id)
        await self._emu.notify()
        return True

    async def _send_chat_action(self, call: Call) -> bool:
        user = call.require_user()
        action = call.str_req("action", "action is empty")
        if action not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self._emu.chat_actions.append((user.id, action))
        self._emu.record_event("chat_action", user.id, action=action)
        await self._emu.notify()
        return True


def with_chat(message: dict[str, Any], user: FakeUser) -> dict[str, Any]:
    """The API message with the full ``Chat`` object, as Telegram answers sends and edits."""
    message["chat"] = user.chat_api()
    return message


def _check_modified(
    message: SentMessage,
    plain: str,
    entities: list[dict[str, Any]],
    markup: dict[str, Any] | None,
) -> None:
    current = message.reply_markup if message.has_inline_keyboard else None
    if plain == message.text and entities == message.entities and markup == current:
        raise ApiError(400, NOT_MODIFIED)
