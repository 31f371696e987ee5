"""Runs the bot: database, Telegram long polling and the reminder scheduler, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.app import ALLOWED_UPDATES, BotApplication, build_application, register_commands
from bot.broadcast import Broadcaster
from bot.clock import Clock
from bot.config import Settings
from bot.reminders import ReminderScheduler
from bot.services import Services, get_services_of
from storage.db import Database

_LOGGER = logging.getLogger(__name__)

# Seconds Telegram holds a getUpdates request open when there is nothing new.
LONG_POLL_TIMEOUT = 10


class BotRuntime:
    """One running bot; tests and the sandbox start and stop it in-process."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.db = Database(settings.database_path)
        self.application: BotApplication = build_application(settings, self.db, clock)
        self.services: Services = get_services_of(self.application)
        self.scheduler = ReminderScheduler(self.services, self.application.bot)
        self.broadcaster = Broadcaster(self.services, self.application)
        self._stop_background = asyncio.Event()
        # The loops beside Telegram polling, by name ("reminders", "broadcasts").
        self.background_tasks: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        await self.db.open()
        application = self.application
        await application.initialize()  # loads the persisted conversations and drafts
        await register_commands(application)
        await application.start()
        if application.updater is None:
            raise RuntimeError("the Application was built without an Updater")
        await application.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, timeout=LONG_POLL_TIMEOUT, poll_interval=0
        )
        await self.scheduler.recover()
        self.background_tasks = {
            "reminders": asyncio.create_task(self.scheduler.run(self._stop_background)),
            "broadcasts": asyncio.create_task(self.broadcaster.run(self._stop_background)),
        }
        _LOGGER.info("Bot started as @%s", application.bot.username)

    async def stop_background(self) -> None:
        """Stop the reminder and broadcast loops (they finish what they are sending)."""
        self._stop_background.set()
        for task in self.background_tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)

    async def stop(self) -> None:
        _LOGGER.info("Stopping")
        await self.stop_background()
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()  # flushes the persistence one last time
        await self.db.close()


async def serve(settings: Settings, stop: asyncio.Event, clock: Clock | None = None) -> None:
    """Run until `stop` is set, then shut down cleanly."""
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
