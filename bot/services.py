"""What the update handler, the sender and the scheduler share: settings, database, rules,
clock, and the events that wake the background loops."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Settings
from bot.domain.rules import Rules
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    rules: Rules
    clock: Clock
    # Set when outbox rows were committed: the sender looks at once.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when reminders were (re)planned or the clock moved: the scheduler looks at once.
    reminders_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when a broadcast was queued: its progress is shown from the start.
    broadcasts_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when staff sent an enrolment list or confirmed one: the import worker looks.
    imports_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # The bot's @username (from getMe at start-up), for t.me links.
    bot_username: str = ""

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.staff_ids
