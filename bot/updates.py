"""Handling the stored updates: one at a time, each in one transaction, each exactly once.

The inbox worker takes the unhandled updates in Telegram's order. For each it runs the
router inside a transaction that also holds the user's conversation state, every domain
write, every outbox row and the update's "handled" mark: a kill at any moment leaves either
all of it or none of it, and an update that was not committed is handled after the restart.
A handler that raises rolls back; the user then gets one "something went wrong" message
(through the outbox, like everything else) and the flow they were in waits as a draft, so
nobody is stranded in a step that keeps failing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from telegram import Bot, CallbackQuery, Update
from telegram.error import TelegramError

from bot.aio import wait_any
from bot.flood import FloodGuard, Verdict
from bot.outbox import text_message
from bot.router import Router
from bot.services import Services
from bot.texts import render
from bot.turn import Turn
from storage import inbox
from storage.flows import active_flow, pause_flow
from storage.outbox import enqueue

_LOGGER = logging.getLogger(__name__)

# Updates read from the inbox per round trip.
BATCH = 100
# The worker looks at the inbox at least this often, even when nothing wakes it.
IDLE_INTERVAL = 5.0
# After an update could not even be marked failed, the worker tries again this much later.
RETRY_DELAY = 1.0

# Told about every update taken from the inbox: (kind, outcome, seconds of its transaction,
# None when it had none), kind being message, callback_query or other (`bot.metrics`).
Observer = Callable[[str, str, float | None], None]


class UpdateWorker:
    def __init__(
        self,
        services: Services,
        bot: Bot,
        router: Router,
        seen: Callable[[int], None] | None = None,
        observe: Observer | None = None,
    ) -> None:
        self.services = services
        self.bot = bot
        self.router = router
        self._seen = seen
        self._observe = observe
        self.flood = FloodGuard(services.settings.flood_limit, services.settings.flood_window)
        self.wakeup = asyncio.Event()
        self.handled: dict[str, int] = {}  # updates per outcome (for /metrics)
        self._direct: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Handle what is stored, then wait for more, until `stop` is set."""
        while not stop.is_set():
            self.wakeup.clear()
            try:
                batch = await inbox.unhandled(self.services.db, BATCH)
            except Exception:
                _LOGGER.exception("Reading the inbox failed; trying again shortly")
                batch = []
            for stored in batch:
                if stop.is_set():
                    break
                try:
                    await self.handle(stored)
                except Exception:  # not even marked failed (the database?): again shortly
                    _LOGGER.exception(
                        "Update %s could not be handled; trying again shortly",
                        stored.update_id,
                        extra={"update_id": stored.update_id, "user_id": stored.user_id},
                    )
                    await wait_any(stop, seconds=RETRY_DELAY)
                    break
            if len(batch) < BATCH:
                await wait_any(stop, self.wakeup, seconds=IDLE_INTERVAL)
        if self._direct:
            await asyncio.wait(self._direct, timeout=5)

    async def handle(self, stored: inbox.StoredUpdate) -> None:
        kind = update_kind(stored.payload)
        try:
            update = Update.de_json(dict(stored.payload), self.bot)
        except Exception:  # not an update python-telegram-bot understands: never will be
            _LOGGER.exception(
                "Update %s cannot be read; it is left aside",
                stored.update_id,
                extra={"update_id": stored.update_id, "user_id": stored.user_id},
            )
            await self._mark(stored.update_id, inbox.FAILED)
            self._observed(kind, inbox.FAILED, None)
            return
        user = update.effective_user
        context = {"update_id": stored.update_id, "user_id": user.id if user else None}
        verdict = Verdict.HANDLE
        if user is not None:
            message = update.message
            moment = (message.date if message is not None else stored.received_at).timestamp()
            verdict = self.flood.check(user.id, moment)
        if verdict is Verdict.DROP:
            _LOGGER.debug("Update %s dropped (flood)", stored.update_id, extra=context)
            await self._mark(stored.update_id, inbox.DROPPED)
            self._observed(kind, inbox.DROPPED, None)
            return
        if update.callback_query is not None:
            self._acknowledge(update.callback_query)
        began = time.perf_counter()
        try:
            outcome = await self._in_transaction(update, stored.update_id, verdict)
        except Exception:
            _LOGGER.exception("Error while handling update %s", stored.update_id, extra=context)
            await self._failed(update, stored.update_id)
            outcome = inbox.FAILED
        self._observed(kind, outcome, time.perf_counter() - began)
        self.services.outbox_wakeup.set()
        if user is not None and self._seen is not None:
            self._seen(user.id)

    def _observed(self, kind: str, outcome: str, seconds: float | None) -> None:
        if self._observe is not None:
            self._observe(kind, outcome, seconds)

    async def _in_transaction(self, update: Update, update_id: int, verdict: Verdict) -> str:
        """Handle the update in one transaction; its outcome (handled or dropped)."""
        services = self.services
        async with services.db.transaction() as tx:
            user = update.effective_user
            if user is None:  # channel posts and the like: nothing to answer
                outcome = inbox.DROPPED
                await inbox.mark_handled(tx, update_id, outcome, services.clock.now())
            else:
                state = await active_flow(tx, user.id)
                turn = Turn(services, tx, user.id, self.router.flows, state, update)
                if verdict is Verdict.WARN:
                    await turn.say("start/flood")
                    outcome = inbox.DROPPED
                else:
                    await self.router.route(turn)
                    outcome = inbox.HANDLED
                await inbox.mark_handled(tx, update_id, outcome, turn.now)
        self.handled[outcome] = self.handled.get(outcome, 0) + 1
        return outcome

    async def _failed(self, update: Update, update_id: int) -> None:
        """The handler raised and nothing of it was kept: tell the user, free them."""
        services = self.services
        now = services.clock.now()
        user = update.effective_user
        async with services.db.transaction() as tx:
            if user is not None:
                state = await active_flow(tx, user.id)
                if state is not None:
                    await pause_flow(tx, user.id, state.flow)
                await enqueue(tx, text_message(user.id, render("start/error")), now)
            await inbox.mark_handled(tx, update_id, inbox.FAILED, now)
        self.handled[inbox.FAILED] = self.handled.get(inbox.FAILED, 0) + 1

    async def _mark(self, update_id: int, outcome: str) -> None:
        await inbox.mark_handled(self.services.db, update_id, outcome, self.services.clock.now())
        self.handled[outcome] = self.handled.get(outcome, 0) + 1

    def _acknowledge(self, query: CallbackQuery) -> None:
        """The button stops spinning at once; the only call that does not use the outbox."""

        async def answer() -> None:
            try:
                await query.answer()
            except TelegramError as exc:
                # Too old (after downtime) or Telegram trouble: the press is handled anyway.
                _LOGGER.debug("Callback query not answered: %s", exc)

        task = asyncio.create_task(answer())
        self._direct.add(task)
        task.add_done_callback(self._direct.discard)


def update_kind(payload: Mapping[str, Any]) -> str:
    """message, callback_query or other: what the metrics count an update as."""
    for kind in ("message", "callback_query"):
        if kind in payload:
            return kind
    return "other"


def user_id_of(payload: Mapping[str, Any]) -> int | None:
    """The sender of a raw update (stored beside it for the flood guard and /vergeetmij)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = payload.get(kind)
        if isinstance(part, Mapping):
            sender = part.get("from")
            if isinstance(sender, Mapping) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return None
