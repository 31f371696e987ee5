"""Deadline reminders: planned into SQLite, sent by one scheduler loop, never lost or doubled.

Delivery is "once, except a message in flight at the moment of a crash": a reminder is
claimed ('sending'), sent, then marked 'sent' in its own commit. A kill after Telegram
accepted the message but before that commit repeats that one message after restart; a kill
before sending only leaves a claim, which start-up releases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from telegram import Bot, InlineKeyboardMarkup

from bot.delivery import Delivery, Outcome, deliver
from bot.domain.progress import DeadlineKind, Dossier, Step, current_deadline, own_share_due
from bot.domain.reminder_plan import (
    MISSED,
    STAFF,
    DueReminder,
    choose_due,
    plan_reminders,
    retry_delay,
    worth_retrying,
)
from bot.keyboards import keyboard
from bot.services import Services
from bot.texts import label, render
from storage.clients import Client, get_client, mark_inactive
from storage.dossiers import get_dossier, list_open_dossiers
from storage.reminders import (
    attempts_of,
    cancel_for_client,
    claim_due,
    mark_sent,
    mark_status,
    release_claims,
    replace_planned,
    retry_later,
)

_LOGGER = logging.getLogger(__name__)

# The loop looks at least this often, even when nobody wakes it.
PASS_INTERVAL = 60.0
# Reminders claimed per pass; a full batch means more are waiting.
CLAIM_BATCH = 500
# Clients served at once, so that one slow chat never holds up the others.
CONCURRENT_SENDS = 16

_STEP_OF_DEADLINE = {DeadlineKind.APPLICATION: Step.FILED, DeadlineKind.PAYMENT: Step.SHARE_PAID}


async def sync_reminders(services: Services, dossier: Dossier) -> None:
    """Plan the dossier's reminders for its current deadline (none once the step is done)."""
    settings = services.settings
    planned = plan_reminders(
        dossier,
        services.rules.scheme_for(dossier.start_date),
        now=services.clock.now(),
        days_before=settings.reminder_days_before,
        at=settings.reminder_time,
        tz=settings.timezone,
        staff=bool(settings.staff_ids),
    )
    await replace_planned(services.db, dossier.id, dossier.client_id, planned)
    services.reminders_wakeup.set()


async def resume_reminders(services: Services, client_id: int) -> None:
    """A client who unblocked the bot: plan their open dossiers' reminders again."""
    for dossier in await list_open_dossiers(services.db, client_id):
        await sync_reminders(services, dossier)


@dataclass
class PassReport:
    due: int = 0
    sent: int = 0
    skipped: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0


class ReminderScheduler:
    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot

    async def recover(self) -> int:
        """Before any pass: claims left by a process that died before sending go back.

        Must finish before the first pass claims anything, or it would release live claims.
        """
        return await release_claims(self.services.db)

    async def run(self, stop: asyncio.Event) -> None:
        """Pass at start-up, on wake-up and at least every minute until `stop` is set."""
        wakeup = self.services.reminders_wakeup
        while not stop.is_set():
            wakeup.clear()
            try:
                report = await self.run_once()
            except Exception:
                _LOGGER.exception("Reminder pass failed; trying again next pass")
            else:
                if report.due >= CLAIM_BATCH:
                    continue  # a backlog (a busy morning, or after downtime): go on at once
            waiters = [asyncio.ensure_future(e.wait()) for e in (stop, wakeup)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), PASS_INTERVAL
                )
            for waiter in waiters:
                waiter.cancel()

    async def run_once(self) -> PassReport:
        """Send what is due now; the report counts what happened to each due reminder."""
        services = self.services
        now = services.clock.now()
        due = await claim_due(services.db, now, CLAIM_BATCH)
        report = PassReport(due=len(due))
        if not due:
            return report
        send, skip = choose_due(due, now, services.settings.timezone)
        await mark_status(services.db, [r.id for r in skip], "skipped")
        report.skipped = len(skip)
        gate = asyncio.Semaphore(CONCURRENT_SENDS)

        async def one(reminder: DueReminder) -> str:
            async with gate:
                return await self._handle(reminder)

        for outcome in await asyncio.gather(*(one(r) for r in send)):
            setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    async def _handle(self, reminder: DueReminder) -> str:
        services = self.services
        dossier = await get_dossier(services.db, reminder.dossier_id)
        client = None if dossier is None else await get_client(services.db, dossier.client_id)
        if dossier is None or client is None or not self._still_open(reminder, dossier):
            await mark_status(services.db, [reminder.id], "cancelled")
            return "cancelled"
        if reminder.audience == STAFF:
            return await self._alert_staff(reminder, dossier, client)
        if not client.active:
            await mark_status(services.db, [reminder.id], "cancelled")
            return "cancelled"
        text, markup = self._client_message(reminder, dossier)
        delivery = await deliver(
            partial(self.bot.send_message, client.user_id, text, reply_markup=markup),
            services.limiter,
        )
        return await self._settle(reminder, client, delivery)

    async def _settle(self, reminder: DueReminder, client: Client, delivery: Delivery) -> str:
        """Record what Telegram answered for a client reminder."""
        services = self.services
        now = services.clock.now()
        if delivery.outcome is Outcome.SENT:
            await mark_sent(services.db, reminder.id, now)
            return "sent"
        if delivery.outcome is Outcome.BLOCKED:
            _LOGGER.info("Client %s blocked the bot; their reminders stop", client.user_id)
            await mark_inactive(services.db, client.user_id, now)
            await cancel_for_client(services.db, client.user_id)
            return "cancelled"
        return await self._retry_or_fail(reminder, delivery)

    async def _retry_or_fail(self, reminder: DueReminder, delivery: Delivery) -> str:
        """Timeouts and 5xx are tried again with back-off while the reminder can help."""
        services = self.services
        now = services.clock.now()
        if delivery.outcome is Outcome.RETRY and worth_retrying(
            reminder, now, services.settings.timezone
        ):
            attempts = await attempts_of(services.db, reminder.id) + 1
            await retry_later(
                services.db, reminder.id, now + retry_delay(attempts), delivery.error or ""
            )
            return "retried"
        _LOGGER.warning("Reminder %s failed: %s", reminder.id, delivery.error)
        await mark_status(services.db, [reminder.id], "failed")
        return "failed"

    def _still_open(self, reminder: DueReminder, dossier: Dossier) -> bool:
        """The reminder's deadline is still the one the client has to meet."""
        scheme = self.services.rules.scheme_for(dossier.start_date)
        deadline = current_deadline(dossier, scheme, reminder.deadline)
        return (
            deadline is not None
            and deadline.kind.value == reminder.kind
            and deadline.due == reminder.deadline
        )

    def _client_message(
        self, reminder: DueReminder, dossier: Dossier
    ) -> tuple[str, InlineKeyboardMarkup]:
        scheme = self.services.rules.scheme_for(dossier.start_date)
        step = _STEP_OF_DEADLINE[DeadlineKind(reminder.kind)]
        values: dict[str, Any] = {
            "dossier": dossier,
            "kind": reminder.kind,
            "deadline": reminder.deadline,
            "service": scheme.service(dossier.service),
            "scheme": scheme,
            "own_share": own_share_due(dossier, scheme),
        }
        if reminder.offset_days == MISSED:
            text = render("reminders/missed", **values)
            done_label = label("done_after_all", kind=reminder.kind)
        else:
            today = self.services.clock.today()
            text = render("reminders/client", days_left=(reminder.deadline - today).days, **values)
            done_label = label("done")
        # A filed application goes through the step flow (it asks the date, late or not).
        done_data = (
            f"stap:{dossier.id}:{step}"
            if reminder.offset_days == MISSED
            else f"klaar:{dossier.id}:{step}"
        )
        markup = keyboard([(done_label, done_data)], [(label("vigc_help"), f"hulp:{dossier.id}")])
        return text, markup

    async def _alert_staff(self, reminder: DueReminder, dossier: Dossier, client: Client) -> str:
        services = self.services
        text = render(
            "reminders/staff_alert",
            dossier=dossier,
            client=client,
            kind=reminder.kind,
            deadline=reminder.deadline,
            days_left=(reminder.deadline - services.clock.today()).days,
        )
        deliveries = [
            await deliver(partial(self.bot.send_message, staff_id, text), services.limiter)
            for staff_id in sorted(services.settings.staff_ids)
        ]
        if not deliveries:  # STAFF_IDS emptied since the alert was planned
            await mark_status(services.db, [reminder.id], "cancelled")
            return "cancelled"
        if any(d.outcome is Outcome.SENT for d in deliveries):
            await mark_sent(services.db, reminder.id, services.clock.now())
            return "sent"
        # Nobody at VIGC got it: retry while it can help, as for a client.
        retry = next((d for d in deliveries if d.outcome is Outcome.RETRY), deliveries[-1])
        return await self._retry_or_fail(reminder, retry)
