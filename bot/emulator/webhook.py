"""Webhook mode: ``setWebhook``/``deleteWebhook``/``getWebhookInfo`` and the delivery loop.

Like Telegram, the emulator POSTs each pending update as JSON to the webhook URL, one at a
time and in order, with ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set. An update
leaves the queue only after a 2xx answer; anything else (or no answer) is recorded in
``last_error_*`` and retried after a back-off that doubles up to ``webhook_retry_max``. Unlike
Telegram, plain ``http://`` is fine, any port is, and only loopback hosts are: the emulator
never sends anything off the machine. A method call in the webhook's answer body is ignored.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from bot.emulator.request import Call, Handler, bad

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator
    from bot.emulator.updates import QueuedUpdate

__all__ = ["SECRET_HEADER", "Webhook"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
DEFAULT_MAX_CONNECTIONS = 40

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_IDLE_WAIT = 60.0  # seconds between re-checks while the queue is empty (notify wakes earlier)


class Webhook:
    """The webhook settings, and the task that delivers updates while one is set."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = DEFAULT_MAX_CONNECTIONS
        self.has_custom_certificate = False
        self.last_error_date: int | None = None
        """Unix time of the last failed delivery (as ``getWebhookInfo`` reports it)."""
        self.last_error_message: str | None = None
        self._task: asyncio.Task[None] | None = None

    def methods(self) -> dict[str, Handler]:
        return {
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    @property
    def active(self) -> bool:
        """A webhook is set: updates go there and ``getUpdates`` answers 409."""
        return bool(self.url)

    def start_delivery(self) -> None:
        """Start delivering (when a webhook is set and the server runs; idempotent)."""
        if self.active and self._task is None and self._emu.running:
            self._task = asyncio.create_task(self._run(), name="bot-api-emulator-webhook")

    async def stop_delivery(self) -> None:
        """Stop delivering; an update being POSTed stays queued unless it was accepted."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # wait() rather than `await task`: a cancellation of the caller must not be eaten.
            await asyncio.wait([task])

    # -- methods ------------------------------------------------------------------------------

    async def _set_webhook(self, call: Call) -> bool:
        url = call.str_opt("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise bad("bad webhook: Wrong HTTP URL specified")
            if parts.hostname not in _LOOPBACK:
                raise bad(
                    "bad webhook: the Bot API emulator only delivers to 127.0.0.1, localhost "
                    "or ::1"
                )
        secret = call.str_opt("secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad("secret token contains unallowed characters")
        max_connections = call.int_opt("max_connections")
        if max_connections is not None and not 1 <= max_connections <= 100:
            raise bad("bad webhook: max_connections must be between 1 and 100")
        allowed = call.string_list_opt(
            "allowed_updates", "can't parse allowed updates JSON object"
        )
        queue = self._emu.updates
        await self.stop_delivery()
        if call.bool_opt("drop_pending_updates"):
            queue.drop_pending()
        queue.set_allowed(allowed)
        self.url = url
        self.secret_token = secret or None
        self.max_connections = max_connections or DEFAULT_MAX_CONNECTIONS
        self.has_custom_certificate = bool(url) and "certificate" in call.files
        if url:
            self.start_delivery()
            await queue.end_polls()  # a pending long poll now answers 409
        return True

    async def _delete_webhook(self, call: Call) -> bool:
        await self.stop_delivery()
        if call.bool_opt("drop_pending_updates"):
            self._emu.updates.drop_pending()
        self.url = ""
        self.secret_token = None
        self.has_custom_certificate = False
        return True

    async def _get_webhook_info(self, call: Call) -> dict[str, Any]:
        queue = self._emu.updates
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": self.has_custom_certificate,
            "pending_update_count": queue.pending,
        }
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        if self.active:
            info["max_connections"] = self.max_connections
            if queue.allowed is not None:
                info["allowed_updates"] = queue.allowed
        return info

    # -- delivery -----------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._deliver()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an emulator bug: keep it for the tests
            self._emu.internal_errors.append(exc)

    async def _deliver(self) -> None:
        emu = self._emu
        queue = emu.updates
        backoff = emu.webhook_retry_initial
        # trust_env=False: a proxy from the environment must never see local deliveries.
        async with aiohttp.ClientSession(trust_env=False) as http:
            while True:
                update = queue.first()
                if update is None:
                    await emu.wait_until(lambda: queue.first() is not None, _IDLE_WAIT)
                    continue
                if await self._post(http, update):
                    queue.accept(update)
                    backoff = emu.webhook_retry_initial
                    await emu.notify()
                else:
                    await emu.notify()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, emu.webhook_retry_max)

    async def _post(self, http: aiohttp.ClientSession, update: QueuedUpdate) -> bool:
        """POST one update; whether the webhook accepted it (2xx)."""
        stats = self._emu.stats
        headers = {SECRET_HEADER: self.secret_token} if self.secret_token else {}
        stats.webhook_posts += 1
        try:
            async with http.post(
                self.url,
                json=update.payload,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._emu.webhook_timeout),
            ) as response:
                await response.read()
                status, reason = response.status, response.reason
        except (aiohttp.ClientError, OSError) as exc:
            stats.webhook_unreachable += 1
            self._failed(_describe(exc))
            return False
        if 200 <= status < 300:
            stats.webhook_ok += 1
            return True
        stats.webhook_failed += 1
        self._failed(f"Wrong response from the webhook: {status} {reason or ''}".rstrip())
        return False

    def _failed(self, message: str) -> None:
        self.last_error_date = self._emu.date()
        self.last_error_message = message


def _describe(exc: BaseException) -> str:
    """A ``last_error_message`` in Telegram's words where there is one."""
    if isinstance(exc, TimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return str(exc) or type(exc).__name__
