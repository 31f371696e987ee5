"""`/healthz`, `/metrics` and the webhook path: the bot's one small HTTP server (aiohttp).

Webhook mode serves all three on `LISTEN_HOST:LISTEN_PORT`; polling mode serves `/healthz`
and `/metrics` on `LISTEN_HOST:HEALTH_PORT`, and nothing at all without `HEALTH_PORT`.

`/healthz` answers 200 when the database answers and Telegram was reached recently, else 503;
the JSON body says which (never anything about a user):

    {"status": "ok", "mode": "polling", "database": "ok", "telegram_seconds_ago": 4.2}

"Reached" is the last successful contact of any kind: a long poll that returned (polling), a
webhook delivery, a message Telegram accepted, or (webhook mode, when nothing else happened
for a while) a `getWebhookInfo` that `Health.run` sends for that purpose.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from telegram import Bot
from telegram.error import TelegramError

from bot.aio import wait_any
from bot.metrics import Metrics
from bot.polling import LONG_POLL_TIMEOUT
from bot.services import Services
from bot.webhook import MAX_BODY, WebhookReceiver
from storage.meta import ping

_LOGGER = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
RESERVED_PATHS = (HEALTH_PATH, METRICS_PATH)


class Health:
    """What `/healthz` reports: the database, and how long ago Telegram was last reached."""

    # Telegram unheard of for longer than this is "degraded": two long polls and a margin
    # (a long poll returns at least every LONG_POLL_TIMEOUT seconds when all is well).
    stale_after = 2.0 * LONG_POLL_TIMEOUT + 10.0
    # Webhook mode: getWebhookInfo when Telegram was not heard of for this long.
    probe_interval = float(LONG_POLL_TIMEOUT)
    # The database must answer `SELECT 1` within this many seconds.
    database_timeout = 5.0

    def __init__(
        self,
        services: Services,
        bot: Bot,
        *,
        webhook_url: str | None = None,
        contacts: tuple[Callable[[], float | None], ...] = (),
        sent: Callable[[], int] | None = None,
    ) -> None:
        self.services = services
        self.bot = bot
        self.webhook_url = webhook_url
        self._contacts = contacts  # other sources of "last contact" (loop time)
        self._sent = sent  # messages Telegram accepted so far: a change is a contact
        self._sent_seen = 0
        self._last_contact: float | None = None
        # Webhook mode: whether getWebhookInfo still shows our URL (None: not asked yet).
        self.webhook_registered: bool | None = None

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook_url else "polling"

    def contact(self) -> None:
        """Telegram answered or reached us just now."""
        self._last_contact = _now()

    def telegram_seconds_ago(self) -> float | None:
        """Seconds since the last successful contact with Telegram (None: never)."""
        if self._sent is not None:
            sent = self._sent()
            if sent != self._sent_seen:
                self._sent_seen = sent
                self.contact()
        moments = [self._last_contact, *(source() for source in self._contacts)]
        known = [moment for moment in moments if moment is not None]
        if not known:
            return None
        return max(0.0, _now() - max(known))

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, the JSON body of /healthz)."""
        database = "ok"
        try:
            async with asyncio.timeout(self.database_timeout):
                await ping(self.services.db)
        except Exception as exc:
            _LOGGER.warning("Health check: the database does not answer (%s)", type(exc).__name__)
            database = "unreachable"
        ago = self.telegram_seconds_ago()
        healthy = database == "ok" and ago is not None and ago <= self.stale_after
        body: dict[str, Any] = {
            "status": "ok",
            "mode": self.mode,
            "database": database,
            "telegram_seconds_ago": None if ago is None else round(ago, 1),
        }
        if self.webhook_url:
            registered = self.webhook_registered
            if registered is None:
                body["webhook"] = "unknown"
            else:
                body["webhook"] = "registered" if registered else "not registered"
            healthy = healthy and registered is not False
        if not healthy:
            body["status"] = "degraded"
        return healthy, body

    async def run(self, stop: asyncio.Event) -> None:
        """Webhook mode: ask Telegram (`getWebhookInfo`) whenever nothing else was heard from
        it for `probe_interval` seconds, and check that our webhook is still the one set."""
        while not stop.is_set():
            ago = self.telegram_seconds_ago()
            if ago is not None and ago < self.probe_interval:
                await wait_any(stop, seconds=self.probe_interval - ago)
                continue
            await self.probe()
            await wait_any(stop, seconds=self.probe_interval)

    async def probe(self) -> None:
        try:
            info = await self.bot.get_webhook_info()
        except TelegramError as exc:
            _LOGGER.info("getWebhookInfo failed: %s", exc)
            return
        self.contact()
        registered = info.url == self.webhook_url
        if not registered and self.webhook_registered is not False:
            _LOGGER.error(
                "Telegram no longer has this bot's webhook (another instance in polling "
                "mode, or deleteWebhook by hand?); restart the bot to set it again"
            )
        elif registered and info.last_error_message and info.pending_update_count:
            _LOGGER.warning(
                "Telegram has %s updates waiting; its last delivery error: %s",
                info.pending_update_count,
                info.last_error_message,
            )
        self.webhook_registered = registered


def make_app(
    health: Health,
    metrics: Metrics,
    webhook: WebhookReceiver | None = None,
    webhook_path: str | None = None,
) -> web.Application:
    """`/healthz`, `/metrics` and (webhook mode) the webhook path."""

    async def healthz(request: web.Request) -> web.Response:
        healthy, body = await health.report()
        return web.json_response(body, status=200 if healthy else 503)

    async def scrape(request: web.Request) -> web.Response:
        await metrics.refresh()
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(METRICS_PATH, scrape)
    if webhook is not None and webhook_path is not None:
        app.router.add_post(webhook_path, webhook.handle)
    return app


class HttpServer:
    """One aiohttp server on host:port, started and stopped with the runtime."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.requested_port, reuse_address=True)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        _LOGGER.info("Listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """No new requests; those being answered are finished first (at most a few seconds)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def _now() -> float:
    return asyncio.get_running_loop().time()
