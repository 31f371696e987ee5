"""What handlers share: settings, database, rules and clock, kept in `bot_data`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from telegram.ext import Application, CallbackContext

from bot.clock import Clock
from bot.config import Settings
from bot.domain.rules import Rules
from storage.db import Database

_KEY = "services"


@dataclass
class Services:
    settings: Settings
    db: Database
    rules: Rules
    clock: Clock

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.staff_ids


def attach(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    application.bot_data[_KEY] = services


def get_services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return cast(Services, context.application.bot_data[_KEY])
