"""Runs the bot until asked to stop: database, Telegram polling, background loops."""

from __future__ import annotations

import asyncio
import logging

from bot.app import ALLOWED_UPDATES, build_application
from bot.clock import Clock
from bot.config import Settings
from storage.db import Database

_LOGGER = logging.getLogger(__name__)

# Seconds Telegram holds a getUpdates request open when there is nothing new.
LONG_POLL_TIMEOUT = 10


async def serve(settings: Settings, stop: asyncio.Event, clock: Clock | None = None) -> None:
    """Long-poll Telegram until `stop` is set, then shut down cleanly."""
    db = Database(settings.database_path)
    await db.open()
    try:
        application = build_application(settings, db, clock)
        async with application:  # initialize (loads persistence) … shutdown (flushes it)
            await application.start()
            updater = application.updater
            if updater is None:
                raise RuntimeError("the Application was built without an Updater")
            await updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, timeout=LONG_POLL_TIMEOUT, poll_interval=0
            )
            _LOGGER.info("Bot started as @%s", application.bot.username)
            await stop.wait()
            _LOGGER.info("Stopping")
            await updater.stop()
            await application.stop()
    finally:
        await db.close()
