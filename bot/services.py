"""What handlers share: settings, database, rules and clock, kept in `bot_data`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

from telegram.ext import Application, CallbackContext

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import RateLimiter
from bot.domain.rules import Rules
from storage.db import Database

_KEY = "services"


@dataclass
class Services:
    settings: Settings
    db: Database
    rules: Rules
    clock: Clock
    limiter: RateLimiter
    # Set when reminders were (re)planned or the clock moved: the scheduler looks at once.
    reminders_wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.staff_ids


def attach(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    application.bot_data[_KEY] = services


def get_services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return get_services_of(context.application)


def get_services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    return cast(Services, application.bot_data[_KEY])
