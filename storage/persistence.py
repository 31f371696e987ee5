"""python-telegram-bot persistence in the bot's own SQLite file.

Conversation states and per-user drafts survive a restart or a `kill -9`, so a client who was
asked for a date simply types it after the bot comes back.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from storage.db import Database

UserData = dict[str, Any]
# The shapes python-telegram-bot hands to a persistence (spelled out: its aliases are private).
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


class SQLitePersistence(BasePersistence[UserData, dict[str, Any], dict[str, Any]]):
    """Stores only what survives a restart: user drafts and conversation states."""

    def __init__(self, db: Database) -> None:
        # The application flushes after every update (see bot.app), so no timer is needed;
        # the long interval only bounds the work PTB's background loop does on its own.
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=3600,
        )
        self._db = db

    async def get_user_data(self) -> dict[int, UserData]:
        await self._db.open()
        rows = await self._db.fetch_all("SELECT user_id, data FROM user_data")
        return {row["user_id"]: json.loads(row["data"]) for row in rows}

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        data = {key: value for key, value in data.items() if value}  # an empty draft is none
        if not data:
            await self.drop_user_data(user_id)
            return
        await self._db.execute(
            "INSERT INTO user_data (user_id, data) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
            (user_id, json.dumps(data, sort_keys=True)),
        )

    async def drop_user_data(self, user_id: int) -> None:
        await self._db.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def get_conversations(self, name: str) -> ConversationDict:
        await self._db.open()
        rows = await self._db.fetch_all(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        )
        return {tuple(json.loads(row["key"])): json.loads(row["state"]) for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        if new_state is None:
            await self._db.execute(
                "DELETE FROM conversations WHERE name = ? AND key = ?", (name, encoded_key)
            )
            return
        # Keys are (chat_id, user_id) for our per-user conversations; the user id lets
        # /vergeetmij find the row.
        user_id = key[-1] if key and isinstance(key[-1], int) else None
        await self._db.execute(
            "INSERT INTO conversations (name, key, user_id, state) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, encoded_key, user_id, json.dumps(new_state)),
        )

    # Chat data, bot data and callback data are not stored (see store_data above).
    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        """Not stored."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not stored."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        """Not stored."""

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        """Not stored: bot_data holds the live services only."""

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        """Not stored."""

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        """Not stored: callback data are plain strings."""

    async def flush(self) -> None:
        """Every write is committed at once; nothing is buffered."""
