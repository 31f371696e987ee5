"""The one sender: delivers outbox rows to Telegram, in order per chat, through one limiter.

Rows are read once (by increasing id) into a queue per chat; each chat with waiting rows
has one worker that sends its rows one after the other, so a chat sees messages in the
order they were written, while chats do not wait for each other. For each row:

1. it waits for the limiter;
2. it is checked to be still pending (a reminder may have been cancelled meanwhile), and sent;
3. Telegram's answer is recorded in its own small transaction at once: sent (with the
   message id), or blocked (403: the client is marked inactive and the chat's other rows
   stop), failed (400: the message itself is wrong), or a retry after a back-off (timeout,
   5xx) - or, after a 429, the same row again once `retry_after` has passed.

A kill between 2 and 3 can repeat that one message after a restart; nothing else can.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.aio import wait_any
from bot.limiter import Limiter
from bot.outbox import Kind, keyboard_of
from bot.services import Services
from storage import broadcasts, outbox, reminders
from storage.clients import mark_inactive
from storage.outbox import OutboxRow

_LOGGER = logging.getLogger(__name__)

# Rows read from the database per round trip.
LOAD_BATCH = 1000
# Requests to Telegram in flight at once, over all chats.
MAX_IN_FLIGHT = 32
# Even when nobody wakes it, the sender looks this often.
IDLE_INTERVAL = 5.0
# Back-off after a timeout or a 5xx: 1, 2, 4 ... seconds, at most this.
MAX_BACKOFF = 60.0
# Edits of a message that is gone, unchanged or too old are not worth a retry.
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Rows whose delivery is also recorded elsewhere (in the same transaction).
_SETTLED_WITH_SOURCE = frozenset({reminders.SOURCE, broadcasts.PROGRESS_SOURCE})
_HARMLESS_EDIT_ERRORS = (
    "message is not modified",
    "message to edit not found",
    "message can't be edited",
)


class Outcome(StrEnum):
    """What became of one attempt to send a row (also the metrics' labels)."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403 or the chat is gone: stop writing to this client
    FAILED = "failed"  # Telegram refused the message itself; retrying will not help
    EXPIRED = "expired"  # not delivered while it could still help
    RETRIED = "retried"  # timeout or 5xx: again after a back-off
    FLOOD = "flood"  # 429: again after retry_after
    SKIPPED = "skipped"  # cancelled or deleted before its turn


def backoff(attempts: int) -> timedelta:
    """The one back-off of the bot: 1 s, 2 s, 4 s, ... at most a minute."""
    return timedelta(seconds=min(2.0 ** max(attempts - 1, 0), MAX_BACKOFF))


class Sender:
    def __init__(self, services: Services, bot: Bot, limiter: Limiter) -> None:
        self.services = services
        self.bot = bot
        self.limiter = limiter
        self.outcomes: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
        self._queues: dict[int, deque[OutboxRow]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._last_loaded = 0
        self._gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._stopping = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Load new rows whenever woken (or every few seconds) until `stop` is set."""
        wakeup = self.services.outbox_wakeup
        try:
            while not stop.is_set():
                wakeup.clear()
                try:
                    loaded = await self._load()
                except Exception:
                    _LOGGER.exception("Reading the outbox failed; trying again shortly")
                    loaded = 0
                if loaded >= LOAD_BATCH:
                    # More to read; first let the workers just started take their turn (the
                    # database does not give the event loop back by itself).
                    await asyncio.sleep(0)
                    continue
                await wait_any(stop, wakeup, seconds=IDLE_INTERVAL)
            await self._finish()
        finally:
            for task in self._workers.values():  # cancelled itself: nothing may go on
                task.cancel()

    async def wait_until_idle(self, seconds: float = 10.0) -> None:
        """Until no row waits to be sent (retries included): tests, sandbox, benchmarks."""
        async with asyncio.timeout(seconds):
            while True:
                count, _ = await outbox.backlog(self.services.db)
                if not self._workers and count == 0:
                    return
                self.services.outbox_wakeup.set()
                await asyncio.sleep(0.02)

    async def _load(self) -> int:
        rows = await outbox.pending_after(self.services.db, self._last_loaded, LOAD_BATCH)
        for row in rows:
            self._last_loaded = max(self._last_loaded, row.id)
            self._queues.setdefault(row.chat_id, deque()).append(row)
            if row.chat_id not in self._workers:
                self._workers[row.chat_id] = asyncio.create_task(self._work(row.chat_id))
        return len(rows)

    async def _finish(self) -> None:
        """Stop: a message in flight is finished and recorded; the rest waits in the table."""
        self._stopping.set()
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=10)
            for task in late:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*late, return_exceptions=True)

    async def _work(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue and not self._stopping.is_set():
                row = queue[0]
                wait = _seconds_until(row.not_before, self.services.clock.now())
                if wait > 0:
                    await wait_any(self._stopping, seconds=wait)
                    continue
                try:
                    outcome, row = await self._attempt(row)
                except Exception:
                    _LOGGER.exception("Sending outbox row %s failed unexpectedly", row.id)
                    outcome, row = await self._retry(row, "unexpected error")
                self.outcomes[outcome] += 1
                if outcome in (Outcome.RETRIED, Outcome.FLOOD):
                    queue[0] = row
                elif outcome is Outcome.BLOCKED:
                    queue.clear()  # its other rows were marked blocked with it
                else:
                    queue.popleft()
        finally:
            if not queue:
                self._queues.pop(chat_id, None)
            self._workers.pop(chat_id, None)
            if not self._workers:
                # Everything loaded is out: a broadcast may be complete (its report is due).
                self.services.broadcasts_wakeup.set()

    async def _attempt(self, row: OutboxRow) -> tuple[Outcome, OutboxRow]:
        # The limiter first: a batch of 1,000 broadcast rows then reads their status one by
        # one as their turns come, not all at once in front of everyone's replies; and the
        # status is read as close to sending as it can be.
        await self.limiter.acquire(row.chat_id, row.lane)
        unwanted = await self._unwanted(row)
        if unwanted is not None:
            return unwanted, row
        try:
            async with self._gate:
                message = await self._call(row)
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            _LOGGER.info("Telegram asks to wait %.0f s (row %s)", seconds, row.id)
            self.limiter.pause(seconds, row.chat_id)
            return Outcome.FLOOD, row
        except Forbidden as exc:
            await self._settle(row, Outcome.BLOCKED, exc.message)
            return Outcome.BLOCKED, row
        except BadRequest as exc:
            return await self._bad_request(row, exc)
        except TelegramError as exc:  # timeouts, 5xx and other network trouble
            return await self._retry(row, exc.message)
        message_id = message.message_id if isinstance(message, Message) else None
        await self._settle(row, Outcome.SENT, None, message_id)
        return Outcome.SENT, row

    async def _unwanted(self, row: OutboxRow) -> Outcome | None:
        """Skipped when cancelled or deleted meanwhile, expired when too late to help."""
        if await outbox.status_of(self.services.db, row.id) != outbox.PENDING:
            return Outcome.SKIPPED
        if row.expires_at is not None and self.services.clock.now() > row.expires_at:
            await self._settle(row, Outcome.EXPIRED, "not delivered in time")
            return Outcome.EXPIRED
        return None

    async def _bad_request(self, row: OutboxRow, exc: BadRequest) -> tuple[Outcome, OutboxRow]:
        error = exc.message.lower()
        if "chat not found" in error:  # the chat no longer exists: as good as blocked
            await self._settle(row, Outcome.BLOCKED, exc.message)
            return Outcome.BLOCKED, row
        if row.kind in (Kind.EDIT_TEXT, Kind.EDIT_MARKUP) and error.startswith(
            tuple(f"bad request: {e}" for e in _HARMLESS_EDIT_ERRORS) + _HARMLESS_EDIT_ERRORS
        ):
            await self._settle(row, Outcome.SENT, exc.message)
            return Outcome.SENT, row
        _LOGGER.warning("Telegram refused outbox row %s (%s): %s", row.id, row.kind, exc.message)
        await self._settle(row, Outcome.FAILED, exc.message)
        return Outcome.FAILED, row

    async def _retry(self, row: OutboxRow, error: str) -> tuple[Outcome, OutboxRow]:
        attempts = row.attempts + 1
        not_before = self.services.clock.now() + backoff(attempts)
        async with self.services.db.transaction() as tx:
            await outbox.retry_later(tx, row.id, not_before, error)
        _LOGGER.info("Outbox row %s: %s; again in %s", row.id, error, backoff(attempts))
        return Outcome.RETRIED, replace(row, attempts=attempts, not_before=not_before)

    async def _settle(
        self, row: OutboxRow, outcome: Outcome, error: str | None, message_id: int | None = None
    ) -> None:
        """Record the outcome, and what it means for the row's reminder, broadcast, client."""
        db, now = self.services.db, self.services.clock.now()
        if outcome is Outcome.SENT and row.source not in _SETTLED_WITH_SOURCE:
            # Nothing else to record: one statement, its own transaction.
            await outbox.mark_sent(db, row.id, now, message_id)
            return
        async with db.transaction() as tx:
            if outcome is Outcome.SENT:
                await outbox.mark_sent(tx, row.id, now, message_id)
                if row.source == reminders.SOURCE and row.source_id is not None:
                    await reminders.mark_delivered(tx, row.source_id, now)
                if row.source == broadcasts.PROGRESS_SOURCE and row.source_id is not None:
                    await broadcasts.set_progress_message(
                        tx, row.source_id, row.chat_id, message_id
                    )
                return
            await outbox.mark_final(tx, row.id, outcome.value, now, error)
            if outcome is Outcome.BLOCKED:
                _LOGGER.info(
                    "Chat %s blocked the bot or is gone; it gets nothing more", row.chat_id
                )
                await mark_inactive(tx, row.chat_id, now)
                await outbox.block_chat(tx, row.chat_id, now)
                await reminders.cancel_for_client(tx, row.chat_id)
            if row.source == reminders.SOURCE and row.source_id is not None:
                await reminders.mark_undelivered(tx, row.source_id)

    async def _call(self, row: OutboxRow) -> Message | bool:
        """The Bot API request of one row."""
        payload, chat_id = row.payload, row.chat_id
        markup = _markup(row)
        if row.kind == Kind.MESSAGE:
            return await self.bot.send_message(
                chat_id,
                payload["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )
        if row.kind in (Kind.DOCUMENT, Kind.PHOTO):
            data = await outbox.file_of(self.services.db, row.id) or b""
            upload = InputFile(data, filename=payload["filename"])
            send = self.bot.send_photo if row.kind == Kind.PHOTO else self.bot.send_document
            return await send(
                chat_id,
                upload,
                caption=payload.get("caption"),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        message_id = payload.get("message_id")
        if message_id is None and payload.get("row") is not None:
            message_id = await outbox.message_id_of(self.services.db, payload["row"])
        if message_id is None:
            raise BadRequest("message to edit not found")
        if row.kind == Kind.EDIT_MARKUP:
            return await self.bot.edit_message_reply_markup(
                chat_id, message_id, reply_markup=markup
            )
        return await self.bot.edit_message_text(
            payload["text"],
            chat_id,
            message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=_NO_PREVIEW,
        )


def _markup(row: OutboxRow) -> InlineKeyboardMarkup | None:
    keyboard = keyboard_of(row.payload)
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in line] for line in keyboard]
    )


def _seconds(value: object) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(str(value))


def _seconds_until(moment: datetime | None, now: datetime) -> float:
    return 0.0 if moment is None else (moment - now).total_seconds()
