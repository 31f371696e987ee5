"""Updates for the bot: what users do, queued in order, fetched by ``getUpdates`` (or the
webhook), and the callback queries the bot must answer."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.emulator.records import CallbackAnswer
from bot.emulator.request import ApiError, Call, Handler, bad

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator
    from bot.emulator.users import FakeUser

__all__ = ["QueuedUpdate", "UpdateQueue"]

MAX_CALLBACK_ANSWER_LENGTH = 200

_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


@dataclass
class QueuedUpdate:
    """An update waiting until the bot confirms it (``offset``) or the webhook accepts it."""

    update_id: int
    kind: str
    payload: dict[str, Any]
    user_id: int | None
    delivered: bool = False
    """The bot has it: returned by ``getUpdates`` or accepted by the webhook."""


@dataclass
class _Query:
    user_id: int
    data: str
    message_id: int
    created: float
    answered: bool = False
    delivered: bool = False


class UpdateQueue:
    """The pending updates and callback queries, and ``getUpdates``/``answerCallbackQuery``."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator
        self._updates: list[QueuedUpdate] = []
        self._next_update_id = 1
        self._allowed: set[str] | None = None
        self._poll_generation = 0
        self._queries: dict[str, _Query] = {}
        self._next_query = 1

    def methods(self) -> dict[str, Handler]:
        return {
            "getUpdates": self._get_updates,
            "answerCallbackQuery": self._answer_callback_query,
        }

    # -- queueing -----------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Updates not yet confirmed by the bot."""
        return len(self._updates)

    async def enqueue(self, user: FakeUser | None, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of type ``kind``; returns its update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append(
            QueuedUpdate(
                update_id=update_id,
                kind=kind,
                payload={"update_id": update_id, kind: payload},
                user_id=None if user is None else user.id,
            )
        )
        if user is not None:
            user.touch()
        await self._emu.notify()
        return update_id

    async def user_message(self, user: FakeUser, content: dict[str, Any]) -> int:
        """A message from ``user`` with ``content`` (text, photo, ...); returns its id."""
        message_id = self._emu.chats.add_user_message(user.id)
        message = {
            "message_id": message_id,
            "from": user.to_api(),
            "chat": user.chat_api(),
            "date": self._emu.date(),
            **copy.deepcopy(content),
        }
        self._emu.record_event("user_message", user.id, message=message)
        await self.enqueue(user, "message", message)
        return message_id

    async def callback_query(self, user: FakeUser, message_id: int, data: str) -> str:
        """``user`` pressed a button with ``data`` on a message; returns the query id."""
        found = self._emu.find_message(user.id, message_id)
        if found is not None and not found.deleted:
            message = found.to_api()
            message["chat"] = user.chat_api()
        else:  # InaccessibleMessage
            message = {"message_id": message_id, "chat": user.chat_api(), "date": 0}
        query_id = str(4_000_000_000_000_000_000 + self._next_query)
        self._next_query += 1
        self._queries[query_id] = _Query(user.id, data, message_id, self._emu.loop_time())
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": message,
            "chat_instance": str(-(10**17) - user.id),
            "data": data,
        }
        self._emu.record_event(
            "press", user.id, message_id=message_id, data=data, query_id=query_id
        )
        await self.enqueue(user, "callback_query", payload)
        return query_id

    def has_undelivered(self, user_id: int) -> bool:
        """Whether an update of this user still waits for the bot."""
        return any(u.user_id == user_id and not u.delivered for u in self._updates)

    def unanswered_callbacks(self) -> list[str]:
        return [qid for qid, q in self._queries.items() if q.delivered and not q.answered]

    def query_user(self, query_id: str) -> int | None:
        """The user who sent a callback query (``None`` if unknown)."""
        query = self._queries.get(query_id)
        return None if query is None else query.user_id

    # -- for the webhook ----------------------------------------------------------------------

    def set_allowed(self, allowed: list[str] | None) -> None:
        """``allowed_updates`` of getUpdates/setWebhook: ``None`` keeps it, ``[]`` allows all."""
        if allowed is not None:
            self._allowed = set(allowed) or None

    @property
    def allowed(self) -> list[str] | None:
        return None if self._allowed is None else sorted(self._allowed)

    def first(self) -> QueuedUpdate | None:
        """The oldest pending update of an allowed type (others are dropped, like Telegram)."""
        self._drop_unwanted()
        return self._updates[0] if self._updates else None

    def mark_seen(self, update: QueuedUpdate) -> None:
        """The bot has seen the update; a callback query in it now needs an answer."""
        if update.kind == "callback_query":
            query = self._queries.get(update.payload["callback_query"]["id"])
            if query is not None:
                query.delivered = True

    def accept(self, update: QueuedUpdate) -> None:
        """The webhook accepted the update: it is delivered and leaves the queue."""
        update.delivered = True
        self.mark_seen(update)
        self._updates = [u for u in self._updates if u is not update]
        self._touch(update)

    def drop_pending(self) -> None:
        self._updates.clear()

    async def end_polls(self) -> None:
        """End a pending long poll (it answers 409, as when a webhook is set)."""
        self._poll_generation += 1
        await self._emu.notify()

    # -- methods ------------------------------------------------------------------------------

    def _drop_unwanted(self) -> None:
        if self._allowed is not None:
            self._updates = [u for u in self._updates if u.kind in self._allowed]

    def _touch(self, update: QueuedUpdate) -> None:
        user = None if update.user_id is None else self._emu.find_user(update.user_id)
        if user is not None:
            user.touch()

    async def _get_updates(self, call: Call) -> list[dict[str, Any]]:
        if self._emu.webhook.active:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = call.int_opt("offset")
        limit = min(max(call.int_opt("limit") or 100, 1), 100)
        timeout = max(call.float_opt("timeout") or 0.0, 0.0)
        self.set_allowed(
            call.string_list_opt("allowed_updates", "can't parse allowed updates JSON object")
        )
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u.update_id >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        await self._emu.notify()  # an older long poll ends with 409 Conflict

        def ready() -> bool:
            self._drop_unwanted()
            return bool(self._updates) or self._emu.closing or generation != self._poll_generation

        await self._emu.wait_until(ready, timeout)
        if self._emu.webhook.active and not self._emu.closing:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if generation != self._poll_generation and not self._emu.closing:
            raise ApiError(409, _CONFLICT)
        batch = self._updates[:limit]
        for update in batch:
            update.delivered = True
            self.mark_seen(update)
            self._touch(update)
        return [copy.deepcopy(u.payload) for u in batch]

    async def _answer_callback_query(self, call: Call) -> bool:
        query_id = call.str_req("callback_query_id", "query_id is empty")
        query = self._queries.get(query_id)
        if (
            query is None
            or query.answered
            or self._emu.loop_time() - query.created > self._emu.callback_query_ttl
        ):
            raise ApiError(400, _QUERY_TOO_OLD)
        text = call.str_opt("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad("MESSAGE_TOO_LONG")
        query.answered = True
        answer = CallbackAnswer(
            query_id=query_id,
            user_id=query.user_id,
            data=query.data,
            message_id=query.message_id,
            text=text or None,
            show_alert=call.bool_opt("show_alert"),
            url=call.str_opt("url"),
            cache_time=call.int_opt("cache_time") or 0,
        )
        self._emu.answered_callbacks.append(answer)
        self._emu.record_event(
            "callback_answer", query.user_id, query_id=query_id, text=answer.text
        )
        await self._emu.notify()
        return True
