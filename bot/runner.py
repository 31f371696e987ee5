"""Runs the bot: database, inbox (long polling), update worker, outbox sender, reminders and
broadcast progress, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.aio import wait_any
from bot.app import build_bot, build_router, register_commands, set_staff_menu
from bot.broadcast import BroadcastMonitor
from bot.clock import Clock
from bot.config import Settings
from bot.domain.rules import load_rules
from bot.limiter import Limiter
from bot.ops import backup_loop, before_migration_hook
from bot.polling import Poller
from bot.reminders import PassReport, ReminderScheduler
from bot.sender import Sender
from bot.services import Services
from bot.updates import UpdateWorker
from bot.upgrade import upgrade_legacy_state
from storage import inbox, outbox
from storage.backup import RunLock
from storage.db import Database

_LOGGER = logging.getLogger(__name__)

# Handled updates and delivered messages are history after this long: deleted.
KEEP_INBOX = timedelta(days=2)
KEEP_OUTBOX = timedelta(days=7)
HOUSEKEEPING_INTERVAL = 3600.0
START_ATTEMPTS = 5


class BotRuntime:
    """One running bot; tests and the sandbox start and stop it in-process."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        # Held while running: `kmo-bot restore` refuses to replace a database in use.
        self.run_lock = RunLock(settings.database_path)
        self.db = Database(
            settings.database_path, before_migration=before_migration_hook(settings)
        )
        self.services = Services(
            settings=settings,
            db=self.db,
            rules=load_rules(settings.rules_path),
            clock=clock or Clock(settings.timezone),
        )
        self.bot: Bot = build_bot(settings)
        self.router = build_router()
        self.limiter = Limiter(
            settings.broadcast_rate, chat_rate=settings.chat_rate, chat_burst=settings.chat_burst
        )
        self.sender = Sender(self.services, self.bot, self.limiter)
        self.worker = UpdateWorker(self.services, self.bot, self.router, seen=self._seen)
        self.poller = Poller(self.services, self.bot, on_stored=self.worker.wakeup.set)
        self.scheduler = ReminderScheduler(self.services)
        self.monitor = BroadcastMonitor(self.services)
        self._stop = asyncio.Event()
        self._staff_menus_missing: set[int] = set()
        self._direct: set[asyncio.Task[None]] = set()
        # The loops, by name ("poller", "worker", "sender", ...).
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        self.run_lock.acquire()
        await self.db.open()
        await upgrade_legacy_state(self.services, self.router)
        await self._meet_telegram()
        self.tasks = {
            "sender": asyncio.create_task(self.sender.run(self._stop)),
            "worker": asyncio.create_task(self.worker.run(self._stop)),
            "poller": asyncio.create_task(self.poller.run(self._stop)),
            "reminders": asyncio.create_task(self.scheduler.run(self._stop)),
            "broadcasts": asyncio.create_task(self.monitor.run(self._stop)),
            "housekeeping": asyncio.create_task(self._housekeeping(self._stop)),
            "backups": asyncio.create_task(
                backup_loop(self.settings, self._stop, self.services.clock.now)
            ),
        }
        _LOGGER.info("Bot started as @%s", self.services.bot_username)

    async def _meet_telegram(self) -> None:
        """getMe (the username for links), the command menus, and no webhook while polling."""
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                await self.bot.initialize()
                break
            except TelegramError as exc:
                if attempt == START_ATTEMPTS:
                    raise
                _LOGGER.warning("Telegram not reachable at start-up (%s); trying again", exc)
                await asyncio.sleep(2.0 ** (attempt - 1))
        self.services.bot_username = self.bot.username
        try:
            await self.bot.delete_webhook()
            self._staff_menus_missing = await register_commands(self.bot, self.settings.staff_ids)
        except TelegramError as exc:
            # Not fatal: the menus are set again at the next start.
            _LOGGER.warning("Command menu not set: %s", exc)
            self._staff_menus_missing = set(self.settings.staff_ids)

    async def stop(self) -> None:
        _LOGGER.info("Stopping")
        self._stop.set()
        names = (
            "poller",
            "worker",
            "reminders",
            "broadcasts",
            "housekeeping",
            "backups",
            "sender",
        )
        for name in names:
            task = self.tasks.get(name)
            if task is None:
                continue
            try:
                await asyncio.wait_for(task, timeout=15)
            except (TimeoutError, asyncio.CancelledError):
                _LOGGER.warning("The %s loop did not stop in time", name)
            except Exception:
                _LOGGER.exception("The %s loop failed", name)
        if self._direct:
            await asyncio.wait(self._direct, timeout=5)
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()
        await self.db.close()
        self.run_lock.release()

    async def pass_reminders(self) -> PassReport:
        """A reminder pass now, and until what it queued has been delivered: the sandbox's
        time travel and the tests use it."""
        report = await self.scheduler.run_once()
        await self.sender.wait_until_idle()
        return report

    async def settle(self, seconds: float = 30.0) -> None:
        """Until every update is handled, every message sent and every broadcast reported
        (the sandbox before it stops, tests and benchmarks)."""
        async with asyncio.timeout(seconds):
            while await inbox.count_unhandled(self.db):
                self.worker.wakeup.set()
                await asyncio.sleep(0.02)
            await self.sender.wait_until_idle(seconds)
            await self.monitor.wait_until_done(seconds)
            await self.sender.wait_until_idle(seconds)

    def _seen(self, user_id: int) -> None:
        """A staff member whose menu could not be set at start-up wrote: set it now."""
        if user_id not in self._staff_menus_missing:
            return
        self._staff_menus_missing.discard(user_id)

        async def set_menu() -> None:
            if not await set_staff_menu(self.bot, user_id):
                self._staff_menus_missing.add(user_id)

        task = asyncio.create_task(set_menu())
        self._direct.add(task)
        task.add_done_callback(self._direct.discard)

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        """Old inbox and outbox rows go (they hold message texts: keep no more than needed)."""
        while not stop.is_set():
            now = self.services.clock.now()
            try:
                await inbox.prune(self.db, now - KEEP_INBOX)
                await outbox.prune(self.db, now - KEEP_OUTBOX)
            except Exception:
                _LOGGER.exception("Housekeeping failed")
            await wait_any(stop, seconds=HOUSEKEEPING_INTERVAL)


async def serve(settings: Settings, stop: asyncio.Event, clock: Clock | None = None) -> None:
    """Run until `stop` is set, then shut down cleanly."""
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
