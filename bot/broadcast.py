"""Broadcasts to clients: resolved into recipients, then sent in the background, once each.

The sender works like the reminders: claim pending recipients ('sending'), `deliver()` each
through the shared rate limiter, mark the outcome in its own commit. After a crash the
claims go back to pending at start-up, so only a message in flight at the moment of the
crash can arrive twice. One broadcast is sent at a time, oldest first; its progress message
in the staff member's chat is edited every few seconds and ends as the report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from telegram import Message
from telegram.ext import Application

from bot.delivery import Delivery, Outcome, deliver
from bot.services import Services
from bot.staff_overview import SOON_DAYS, Audience, deadline_within
from bot.texts import render
from storage.broadcasts import (
    BLOCKED,
    FAILED,
    SENT,
    Broadcast,
    Claimed,
    Tally,
    claim_pending,
    finish,
    get_broadcast,
    mark_recipient,
    mark_started,
    next_retry_at,
    next_unfinished,
    promote_new,
    release_claims,
    retry_recipient,
    set_progress_message,
    tally,
)
from storage.broadcasts import count_unfinished as count_unfinished_broadcasts
from storage.clients import mark_inactive
from storage.staff_queries import active_clients, active_clients_with_open_dossier, open_dossiers

_LOGGER = logging.getLogger(__name__)
_KEY = "broadcaster"


async def audience_ids(services: Services, audience: Audience) -> list[int]:
    """The clients a broadcast to `audience` reaches now (active clients only, no staff)."""
    staff = services.settings.staff_ids
    if audience is Audience.ALL:
        return await active_clients(services.db, exclude=staff)
    if audience is Audience.OPEN:
        return await active_clients_with_open_dossier(services.db, exclude=staff)
    today = services.clock.today()
    return sorted(
        {
            item.dossier.client_id
            for item in await open_dossiers(services.db)
            if item.client.active
            and item.dossier.client_id not in staff
            and deadline_within(services.rules, item.dossier, today, SOON_DAYS)
        }
    )


async def audience_counts(services: Services) -> dict[Audience, int]:
    return {audience: len(await audience_ids(services, audience)) for audience in Audience}


class Broadcaster:
    """The background sender; `run` is one of the runtime's tasks."""

    # Seconds between two edits of the progress message.
    progress_interval = 3.0
    # Recipients whose sends may overlap (the rate limiter sets the pace; this only lets a
    # slow answer from Telegram not hold up the next message).
    concurrency = 8
    # Recipients claimed per round trip to the database.
    batch_size = 64
    # A timeout or 5xx is retried after retry_base, 2x, 4x, ... seconds, this many times.
    retry_base = 2.0
    max_attempts = 5
    # When nothing wakes it, the loop still looks this often.
    idle_interval = 30.0

    def __init__(
        self, services: Services, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> None:
        self.services = services
        self.bot = application.bot
        self._wakeup = asyncio.Event()
        self._finished = asyncio.Event()  # set each time a broadcast is done
        self._active: int | None = None  # the broadcast being sent, until its report is out
        application.bot_data[_KEY] = self

    def wake(self) -> None:
        """A broadcast was queued: look at once."""
        self._wakeup.set()

    async def wait_until_done(self) -> None:
        """Until no broadcast is waiting or being sent (tests and the benchmark)."""
        while True:
            self._finished.clear()
            if self._active is None and not await count_unfinished_broadcasts(self.services.db):
                return
            await self._finished.wait()

    async def run(self, stop: asyncio.Event) -> None:
        """Resume what a previous run left, then send each queued broadcast in turn."""
        db = self.services.db
        await promote_new(db)
        released = await release_claims(db)
        if released:
            _LOGGER.info(
                "Resuming broadcasts: %s recipients were claimed but not marked", released
            )
        while not stop.is_set():
            self._wakeup.clear()
            try:
                broadcast = await next_unfinished(db)
                if broadcast is not None:
                    self._active = broadcast.id
                    try:
                        await self._send(broadcast, stop)
                    finally:
                        self._active = None
                        self._finished.set()
                    continue
            except Exception:
                _LOGGER.exception("Broadcast sender failed; trying again shortly")
                await _wait_any(stop, self._wakeup, seconds=5.0)
                continue
            await _wait_any(stop, self._wakeup, seconds=self.idle_interval)

    async def _send(self, broadcast: Broadcast, stop: asyncio.Event) -> None:
        services = self.services
        db = services.db
        await release_claims(db, broadcast.id)
        await mark_started(db, broadcast.id, services.clock.now())
        progress = _Progress(self, broadcast)
        await progress.show(await tally(db, broadcast.id))
        done = asyncio.Event()
        ticker = asyncio.create_task(self._tick(progress, broadcast.id, done))
        try:
            finished = await self._drain(broadcast, stop)
        except BaseException:
            ticker.cancel()  # a crash or a bug: no more edits of this progress message
            raise
        done.set()
        await ticker
        if not finished:
            await release_claims(db, broadcast.id)
            return
        await finish(db, broadcast.id, services.clock.now())
        final = await get_broadcast(db, broadcast.id)
        seconds = 0.0 if final is None else final.duration_seconds or 0.0
        counts = await tally(db, broadcast.id)
        _LOGGER.info(
            "Broadcast %s done: %s sent, %s blocked, %s failed in %.1f s",
            broadcast.id,
            counts.sent,
            counts.blocked,
            counts.failed,
            seconds,
        )
        await progress.report(counts, seconds)

    async def _drain(self, broadcast: Broadcast, stop: asyncio.Event) -> bool:
        """Send to every pending recipient; True when none is left, False when stopping."""
        db = self.services.db
        gate = asyncio.Semaphore(self.concurrency)
        while not stop.is_set():
            claimed = await claim_pending(db, broadcast.id, time.time(), self.batch_size)
            if claimed:
                await asyncio.gather(
                    *(self._one(broadcast, recipient, gate, stop) for recipient in claimed)
                )
                continue
            due = await next_retry_at(db, broadcast.id)
            if due is None:
                return True
            await _wait_any(stop, seconds=max(0.0, due - time.time()))
        return False

    async def _one(
        self,
        broadcast: Broadcast,
        recipient: Claimed,
        gate: asyncio.Semaphore,
        stop: asyncio.Event,
    ) -> None:
        async with gate:
            if stop.is_set():
                return  # left claimed; released before the sender stops
            try:
                delivery = await deliver(
                    partial(self.bot.send_message, recipient.client_id, broadcast.text),
                    self.services.limiter,
                )
                await self._settle(broadcast.id, recipient, delivery)
            except Exception as exc:
                _LOGGER.exception("Broadcast %s to %s failed", broadcast.id, recipient.client_id)
                await self._settle(broadcast.id, recipient, Delivery(Outcome.RETRY, repr(exc)))

    async def _settle(self, broadcast_id: int, recipient: Claimed, delivery: Delivery) -> None:
        """Record what Telegram answered, in its own commit."""
        services = self.services
        now = services.clock.now()
        client_id = recipient.client_id
        if delivery.outcome is Outcome.SENT:
            await mark_recipient(services.db, broadcast_id, client_id, SENT, now)
        elif delivery.outcome is Outcome.BLOCKED:
            await mark_recipient(
                services.db, broadcast_id, client_id, BLOCKED, now, delivery.error
            )
            await mark_inactive(services.db, client_id, now)
        elif delivery.outcome is Outcome.RETRY and recipient.attempts + 1 < self.max_attempts:
            delay = self.retry_base * 2**recipient.attempts
            await retry_recipient(
                services.db, broadcast_id, client_id, time.time() + delay, delivery.error or ""
            )
        else:
            _LOGGER.warning(
                "Broadcast %s to %s failed: %s", broadcast_id, client_id, delivery.error
            )
            await mark_recipient(services.db, broadcast_id, client_id, FAILED, now, delivery.error)

    async def _tick(self, progress: _Progress, broadcast_id: int, done: asyncio.Event) -> None:
        """Edit the progress message every `progress_interval` seconds until `done`."""
        while not await _wait_any(done, seconds=self.progress_interval):
            try:
                await progress.show(await tally(self.services.db, broadcast_id))
            except Exception:
                _LOGGER.exception("Progress of broadcast %s not shown", broadcast_id)


class _Progress:
    """The staff member's progress message: edited only when its text changes."""

    def __init__(self, broadcaster: Broadcaster, broadcast: Broadcast) -> None:
        self._broadcaster = broadcaster
        self._broadcast = broadcast
        self._chat_id = broadcast.progress_chat_id
        self._message_id = broadcast.progress_message_id
        self._last_text: str | None = None

    async def show(self, counts: Tally) -> None:
        await self._put(
            render(
                "broadcast/progress",
                broadcast_id=self._broadcast.id,
                queued=False,
                done=counts.done,
                total=counts.total,
            )
        )

    async def report(self, counts: Tally, seconds: float) -> None:
        await self._put(
            render(
                "broadcast/report", broadcast_id=self._broadcast.id, tally=counts, seconds=seconds
            )
        )

    async def _put(self, text: str) -> None:
        if text == self._last_text:
            return  # Telegram would answer "message is not modified"
        broadcaster = self._broadcaster
        bot, limiter = broadcaster.bot, broadcaster.services.limiter
        if self._chat_id is not None and self._message_id is not None:
            edit = partial(bot.edit_message_text, text, self._chat_id, self._message_id)
            delivery = await deliver(edit, limiter)
            if delivery.outcome is Outcome.SENT or _not_modified(delivery):
                self._last_text = text
                return
            if delivery.outcome is not Outcome.FAILED:
                return  # Telegram trouble or a blocked chat: try again at the next edit
            _LOGGER.info("Progress message not edited (%s); sending a new one", delivery.error)
        chat_id = self._chat_id if self._chat_id is not None else self._broadcast.staff_id
        sent: list[Message] = []
        delivery = await deliver(_keeping(sent, partial(bot.send_message, chat_id, text)), limiter)
        if delivery.outcome is Outcome.SENT and sent:
            self._chat_id, self._message_id = chat_id, sent[0].message_id
            self._last_text = text
            await set_progress_message(
                broadcaster.services.db, self._broadcast.id, chat_id, sent[0].message_id
            )
        else:
            _LOGGER.warning(
                "Progress of broadcast %s not shown: %s", self._broadcast.id, delivery.error
            )


def _keeping(
    into: list[Message], send: Callable[[], Awaitable[Message]]
) -> Callable[[], Awaitable[None]]:
    """`send`, keeping the message Telegram returns."""

    async def call() -> None:
        into.append(await send())

    return call


def _not_modified(delivery: Delivery) -> bool:
    return delivery.outcome is Outcome.FAILED and "not modified" in (delivery.error or "")


async def _wait_any(*events: asyncio.Event, seconds: float) -> bool:
    """Wait until one of `events` is set or `seconds` pass; True when one is set."""
    if any(event.is_set() for event in events):
        return True
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return any(event.is_set() for event in events)


def get_broadcaster(application: Application[Any, Any, Any, Any, Any, Any]) -> Broadcaster | None:
    """The running sender, if this process has one."""
    found = application.bot_data.get(_KEY)
    return found if isinstance(found, Broadcaster) else None
