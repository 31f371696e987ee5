"""Broadcasts: who an audience reaches, and the progress message while one goes out.

The messages themselves are outbox rows written when staff press Versturen (see
`storage.broadcasts.create_broadcast`), delivered by the one sender at the bulk rate. This
monitor only watches: every few seconds it edits the staff member's progress message, and
once no row of a broadcast is waiting it marks the broadcast done and turns the progress
message into the report.
"""

from __future__ import annotations

import asyncio
import logging

from bot.aio import wait_any
from bot.outbox import edit_text, text_message
from bot.services import Services
from bot.staff_overview import SOON_DAYS, Audience, deadline_within
from bot.texts import render
from storage import broadcasts, outbox
from storage.broadcasts import Broadcast
from storage.db import Store
from storage.staff_queries import active_clients, active_clients_with_open_dossier, open_dossiers

_LOGGER = logging.getLogger(__name__)


async def audience_ids(services: Services, store: Store, audience: Audience) -> list[int]:
    """The clients a broadcast to `audience` reaches now (active clients only, no staff)."""
    staff = services.settings.staff_ids
    if audience is Audience.ALL:
        return await active_clients(store, exclude=staff)
    if audience is Audience.OPEN:
        return await active_clients_with_open_dossier(store, exclude=staff)
    today = services.clock.today()
    return sorted(
        {
            item.dossier.client_id
            for item in await open_dossiers(store)
            if item.client.active
            and item.dossier.client_id not in staff
            and deadline_within(services.rules, item.dossier, today, SOON_DAYS)
        }
    )


async def audience_counts(services: Services, store: Store) -> dict[Audience, int]:
    return {a: len(await audience_ids(services, store, a)) for a in Audience}


class BroadcastMonitor:
    # Seconds between two looks (and two edits of a progress message).
    progress_interval = 3.0
    # When no broadcast is going out, the monitor still looks this often.
    idle_interval = 30.0

    def __init__(self, services: Services) -> None:
        self.services = services
        self.wakeup = services.broadcasts_wakeup
        self._shown: dict[int, str] = {}  # the text each progress message shows
        self._edits: dict[int, int] = {}  # the outbox row of each broadcast's latest edit
        self._finished = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wakeup.clear()
            try:
                busy = await self.run_once()
            except Exception:
                _LOGGER.exception("Broadcast monitor failed; trying again shortly")
                busy = True
            interval = self.progress_interval if busy else self.idle_interval
            await wait_any(stop, self.wakeup, seconds=interval)

    async def wait_until_done(self, seconds: float = 30.0) -> None:
        """Until no broadcast is going out (tests and benchmarks)."""
        async with asyncio.timeout(seconds):
            while await broadcasts.count_unfinished(self.services.db):
                self.services.outbox_wakeup.set()
                self.wakeup.set()
                await asyncio.sleep(0.05)

    async def run_once(self) -> bool:
        """Show progress or finish each broadcast going out; True while any is."""
        sending = await broadcasts.sending_broadcasts(self.services.db)
        for broadcast in sending:
            await self._look_at(broadcast)
        return bool(sending)

    async def _look_at(self, broadcast: Broadcast) -> None:
        services = self.services
        db, now = services.db, services.clock.now()
        counts = await broadcasts.tally(db, broadcast.id)
        if counts.waiting:
            text = render(
                "broadcast/progress",
                broadcast_id=broadcast.id,
                queued=False,
                done=counts.done,
                total=counts.total,
            )
            await self._show(broadcast, text)
            return
        async with db.transaction() as tx:
            if not await broadcasts.finish(tx, broadcast.id, now):
                return
            done = await broadcasts.get_broadcast(tx, broadcast.id)
            seconds = 0.0 if done is None else done.duration_seconds or 0.0
            report = render(
                "broadcast/report", broadcast_id=broadcast.id, tally=counts, seconds=seconds
            )
            await self._put(tx, broadcast, report, final=True)
        _LOGGER.info(
            "Broadcast %s done: %s sent, %s blocked, %s failed in %.1f s",
            broadcast.id,
            counts.sent,
            counts.blocked,
            counts.failed,
            seconds,
        )
        self._shown.pop(broadcast.id, None)
        self._edits.pop(broadcast.id, None)
        services.outbox_wakeup.set()

    async def _show(self, broadcast: Broadcast, text: str) -> None:
        """Edit the progress message, unless it shows this already or an edit is on its way."""
        if self._shown.get(broadcast.id) == text or broadcast.progress_message_id is None:
            return
        waiting = self._edits.get(broadcast.id)
        if waiting is not None and await outbox.status_of(self.services.db, waiting) == "pending":
            return
        async with self.services.db.transaction() as tx:
            await self._put(tx, broadcast, text, final=False)
        self.services.outbox_wakeup.set()

    async def _put(self, store: Store, broadcast: Broadcast, text: str, *, final: bool) -> None:
        chat_id, message_id = broadcast.progress_chat_id, broadcast.progress_message_id
        now = self.services.clock.now()
        if chat_id is not None and message_id is not None:
            row = await outbox.enqueue(store, edit_text(chat_id, text, message_id=message_id), now)
        elif final:  # the progress message never arrived: the report comes as a new one
            row = await outbox.enqueue(store, text_message(broadcast.staff_id, text), now)
        else:
            return
        self._shown[broadcast.id] = text
        self._edits[broadcast.id] = row
