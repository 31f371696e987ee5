"""Runs the bot: database, inbox (long polling or a webhook), update worker, outbox sender,
reminders, broadcast progress, housekeeping, backups, alerts, and `/healthz` + `/metrics`,
until stopped.

Polling mode (no `WEBHOOK_URL`): `deleteWebhook` at start, then long polling; `/healthz` and
`/metrics` on `LISTEN_HOST:HEALTH_PORT` when `HEALTH_PORT` is set (else no server at all).
Webhook mode: the server on `LISTEN_HOST:LISTEN_PORT` (the webhook path, `/healthz`,
`/metrics`) starts first, then `setWebhook` registers `WEBHOOK_URL` with the secret token;
with `HEALTH_PORT` set too, `/healthz` and `/metrics` are also served there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError

from bot.aio import wait_any
from bot.alerts import Alerts, owned_context
from bot.app import build_bot, build_router, register_commands, set_staff_menu
from bot.broadcast import BroadcastMonitor
from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.domain.rules import load_rules
from bot.health import RESERVED_PATHS, Health, HttpServer, make_app
from bot.imports import ImportWorker
from bot.invitations import alert_unopened
from bot.invitations import forget_old as forget_old_invitations
from bot.limiter import Limiter
from bot.metrics import Metrics, Sources
from bot.ops import backup_loop, before_migration_hook
from bot.polling import ALLOWED_UPDATES, Poller
from bot.reminders import PassReport, ReminderScheduler
from bot.sender import Outcome, Sender
from bot.services import Services
from bot.updates import UpdateWorker
from bot.upgrade import upgrade_legacy_state
from bot.webhook import WebhookReceiver, webhook_path, webhook_secret
from storage import imports, inbox, outbox
from storage.backup import RunLock
from storage.db import Database

_LOGGER = logging.getLogger(__name__)

# Handled updates and delivered messages are history after this long: deleted.
KEEP_INBOX = timedelta(days=2)
KEEP_OUTBOX = timedelta(days=7)
# An enrolment list previewed but never confirmed: its file goes after this long.
KEEP_PREVIEW = timedelta(days=2)
HOUSEKEEPING_INTERVAL = 3600.0
START_ATTEMPTS = 5
# The loops, in the order `stop()` waits for them.
LOOPS = (
    "poller",
    "health",
    "worker",
    "reminders",
    "broadcasts",
    "imports",
    "housekeeping",
    "backups",
    "alerts",
    "sender",
)

T = TypeVar("T")


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
        self.scheduler = ReminderScheduler(self.services, also=(alert_unopened,))
        self.imports = ImportWorker(self.services, self.bot)
        self.monitor = BroadcastMonitor(self.services)
        self.poller = Poller(self.services, self.bot, on_stored=self._updates_stored)
        self.health = Health(
            self.services,
            self.bot,
            webhook_url=settings.webhook_url,
            contacts=(lambda: self.poller.last_contact,),
            sent=lambda: self.sender.outcomes[Outcome.SENT],
        )
        self.alerts = Alerts(self.services, owner=self, last_pass=lambda: self.scheduler.last_pass)
        self.metrics = Metrics(
            self.services,
            Sources(
                messages=lambda: {str(k): v for k, v in self.sender.outcomes.items()},
                last_pass=lambda: self.scheduler.last_pass,
                telegram_seconds_ago=self.health.telegram_seconds_ago,
                webhook_responses=self._webhook_responses if settings.webhook_url else None,
                alerts=lambda: self.alerts.sent,
                errors=lambda: self.alerts.errors,
            ),
        )
        self.worker = UpdateWorker(
            self.services,
            self.bot,
            self.router,
            seen=self._seen,
            observe=self.metrics.observe_update,
        )
        # Webhook mode: the handler of the webhook path (made at start: it needs the secret).
        self.webhook: WebhookReceiver | None = None
        # The HTTP servers running (webhook and/or /healthz and /metrics).
        self.servers: list[HttpServer] = []
        self._webhook_secret: str | None = None
        self._stop = asyncio.Event()
        self._staff_menus_missing: set[int] = set()
        self._direct: set[asyncio.Task[None]] = set()
        # Every task of this runtime runs in this context: its errors are its alerts.
        self._context = owned_context(self)
        # The loops, by name ("poller", "worker", "sender", ...).
        self.tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def mode(self) -> str:
        return "webhook" if self.settings.webhook_url else "polling"

    async def start(self) -> None:
        url = self.settings.webhook_url
        if url and webhook_path(url) in RESERVED_PATHS:
            raise ConfigError(
                f"WEBHOOK_URL must not end in {webhook_path(url)} (the bot serves it)"
            )
        self.run_lock.acquire()
        try:
            await self.db.open()
            await upgrade_legacy_state(self.services, self.router)
            self.alerts.install()
            await self._serve_http()  # webhook mode: ready before Telegram is told the URL
            await self._meet_telegram()
        except BaseException:
            await self._abandon()
            raise
        self.health.contact()
        stop = self._stop
        loops: dict[str, Coroutine[Any, Any, None]] = {
            "sender": self.sender.run(stop),
            "worker": self.worker.run(stop),
        }
        if self.settings.webhook_url:
            loops["health"] = self.health.run(stop)
        else:
            loops["poller"] = self.poller.run(stop)
        loops.update(
            {
                "reminders": self.scheduler.run(stop),
                "broadcasts": self.monitor.run(stop),
                "imports": self.imports.run(stop),
                "housekeeping": self._housekeeping(stop),
                "backups": backup_loop(self.settings, stop, self.services.clock.now),
                "alerts": self.alerts.run(stop),
            }
        )
        self.tasks = {name: self._spawn(name, loop) for name, loop in loops.items()}
        _LOGGER.info("Bot started as @%s (%s mode)", self.services.bot_username, self.mode)

    def _spawn(self, name: str, loop: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(loop, name=f"kmo-bot-{name}", context=self._context)
        task.add_done_callback(self._loop_ended, context=self._context)
        return task

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        """A loop that died of an exception is logged (and so alerted) at once."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            _LOGGER.error("The %s loop stopped", task.get_name(), exc_info=exc)

    async def _serve_http(self) -> None:
        settings = self.settings
        apps = []
        if settings.webhook_url:
            path = webhook_path(settings.webhook_url)
            self._webhook_secret = await webhook_secret(self.services)
            self.webhook = WebhookReceiver(
                self.services,
                self._webhook_secret,
                on_stored=self._updates_stored,
                on_delivery=self.health.contact,
            )
            apps.append(
                (make_app(self.health, self.metrics, self.webhook, path), settings.listen_port)
            )
        if settings.health_port is not None and (
            not settings.webhook_url or settings.health_port != settings.listen_port
        ):
            apps.append((make_app(self.health, self.metrics), settings.health_port))
        for app, port in apps:
            server = HttpServer(app, settings.listen_host, port)
            # Started in this runtime's context: errors in its handlers are its alerts.
            await asyncio.create_task(server.start(), context=self._context)
            self.servers.append(server)

    async def _meet_telegram(self) -> None:
        """getMe (the username for links), the webhook (set, or deleted while polling), and
        the command menus."""
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
        url = self.settings.webhook_url
        if url:
            secret = self._webhook_secret
            await _retrying(
                "setWebhook",
                lambda: self.bot.set_webhook(
                    url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
                ),
            )
            self.health.webhook_registered = True
        try:
            if not url:
                await self.bot.delete_webhook()
            self._staff_menus_missing = await register_commands(self.bot, self.settings.staff_ids)
        except TelegramError as exc:
            # Not fatal: the menus are set again at the next start.
            _LOGGER.warning("Command menu not set: %s", exc)
            self._staff_menus_missing = set(self.settings.staff_ids)

    async def stop(self) -> None:
        _LOGGER.info("Stopping")
        # First no more webhook requests (those being answered finish: stored and answered).
        await self._stop_servers()
        self._stop.set()
        for name in LOOPS:
            task = self.tasks.get(name)
            if task is None:
                continue
            try:
                await asyncio.wait_for(task, timeout=15)
            except (TimeoutError, asyncio.CancelledError):
                _LOGGER.warning("The %s loop did not stop in time", name)
            except Exception:  # noqa: S110 - logged (and alerted) when it happened
                pass
        if self._direct:
            await asyncio.wait(self._direct, timeout=5)
        self.alerts.uninstall()
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()
        await self.db.close()
        self.run_lock.release()

    async def _stop_servers(self) -> None:
        servers, self.servers = self.servers, []
        for server in servers:
            await server.stop()

    async def _abandon(self) -> None:
        """A start that failed half-way: undo what it did."""
        await self._stop_servers()
        self.alerts.uninstall()
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()
        await self.db.close()
        self.run_lock.release()

    def _updates_stored(self) -> None:
        self.worker.wakeup.set()

    def _webhook_responses(self) -> dict[int, int]:
        return dict(self.webhook.responses) if self.webhook is not None else {}

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
        """Old inbox and outbox rows go (they hold message texts: keep no more than needed),
        as do unopened invitations after their time and unconfirmed import files."""
        while not stop.is_set():
            now = self.services.clock.now()
            try:
                await inbox.prune(self.db, now - KEEP_INBOX)
                await outbox.prune(self.db, now - KEEP_OUTBOX)
                await forget_old_invitations(self.services, self.db, now)
                await imports.cancel_stale(self.db, now - KEEP_PREVIEW, now)
            except Exception:
                _LOGGER.exception("Housekeeping failed")
            await wait_any(stop, seconds=HOUSEKEEPING_INTERVAL)


async def serve(settings: Settings, stop: asyncio.Event, clock: Clock | None = None) -> None:
    """Run until `stop` is set, then shut down cleanly."""
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    if not settings.vigc_contact:  # here, not in start(): the sandbox and tests go without
        _LOGGER.warning("VIGC_CONTACT is not set: clients see a general contact text (/contact)")
    try:
        await stop.wait()
    finally:
        await runtime.stop()


async def _retrying(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """A start-up call, again after network trouble; a refusal (400, 401, 403) is final."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return await call()
        except (BadRequest, Forbidden, InvalidToken):
            raise
        except TelegramError as exc:
            if attempt == START_ATTEMPTS:
                raise
            _LOGGER.warning("%s failed at start-up (%s); trying again", what, exc)
            await asyncio.sleep(2.0 ** (attempt - 1))
    raise AssertionError("unreachable")
