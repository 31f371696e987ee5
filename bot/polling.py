"""Long polling: updates are stored in the inbox before Telegram is told they arrived.

Telegram forgets an update once a later `getUpdates` asks for an offset past it, and keeps
every update not confirmed that way. The poller stores each batch before it asks again, so
a kill at any moment loses nothing: after a restart (which starts without an offset)
Telegram sends what was not confirmed, and what was stored already is ignored by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, TelegramError

from bot.services import Services
from bot.updates import user_id_of
from storage import inbox

_LOGGER = logging.getLogger(__name__)

# Seconds Telegram holds a getUpdates request open when there is nothing new.
LONG_POLL_TIMEOUT = 10
# Only the update types the bot handles; edited messages are not answers.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_BACKOFF = 30.0


class Poller:
    def __init__(self, services: Services, bot: Bot, on_stored: Callable[[], None]) -> None:
        self.services = services
        self.bot = bot
        self.on_stored = on_stored
        # Last moment Telegram answered (for /healthz); monotonic seconds.
        self.last_contact: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        offset: int | None = None  # Telegram knows what was confirmed
        failures = 0
        while not stop.is_set():
            try:
                updates = await self._poll(offset, stop)
            except (Conflict, InvalidToken, TelegramError) as exc:
                failures += 1
                delay = min(2.0 ** (failures - 1), MAX_BACKOFF)
                _LOGGER.warning("getUpdates failed (%s); again in %.0f s", exc, delay)
                if isinstance(exc, Conflict) and "webhook" in exc.message.lower():
                    await self._remove_webhook()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            if updates is None:
                break  # stopping
            failures = 0
            self.last_contact = asyncio.get_running_loop().time()
            if not updates:
                continue
            offset = updates[-1].update_id + 1
            payloads = [(u.update_id, u.to_dict()) for u in updates]
            await inbox.store_updates(
                self.services.db,
                [(update_id, user_id_of(data), data) for update_id, data in payloads],
                self.services.clock.now(),
            )
            self.on_stored()

    async def _remove_webhook(self) -> None:
        """A webhook is set (another instance in webhook mode, or `deleteWebhook` failed at
        start-up): polling mode removes it, as at start-up."""
        try:
            await self.bot.delete_webhook()
        except TelegramError as exc:
            _LOGGER.warning("deleteWebhook failed: %s", exc)
        else:
            _LOGGER.warning("A webhook was set while polling; it was removed")

    async def _poll(self, offset: int | None, stop: asyncio.Event) -> tuple[Update, ...] | None:
        """One long poll, given up (None) as soon as `stop` is set."""
        poll = asyncio.ensure_future(
            self.bot.get_updates(
                offset=offset, timeout=LONG_POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not poll.done():
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await poll
            return None
        return poll.result()
