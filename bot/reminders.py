"""Deadline reminders: planned into SQLite, handed to the outbox when due, never lost or doubled.

A pass takes the due reminders and, in one transaction, writes the messages they become
into the outbox and marks them queued: a kill leaves either both or neither. Delivery is
then the outbox's job (rate limit, retries, 403), and "once, except a message in flight at
the moment of a crash" holds for reminders as for every other message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot import buttons
from bot.aio import wait_any
from bot.buttons import Keyboard
from bot.domain.calculator import SubsidyResult
from bot.domain.progress import DeadlineKind, Dossier, Step, current_deadline
from bot.domain.reminder_plan import (
    MISSED,
    STAFF,
    DueReminder,
    choose_due,
    plan_reminders,
    retry_until,
)
from bot.figures import figures_for
from bot.outbox import text_message
from bot.services import Services
from bot.texts import label, render
from storage import reminders as stored
from storage.clients import Client, get_client
from storage.db import Store, Tx
from storage.dossiers import get_dossier, list_open_dossiers
from storage.outbox import BULK, NewMessage, enqueue_many

_LOGGER = logging.getLogger(__name__)

# The loop looks at least this often, even when nobody wakes it.
PASS_INTERVAL = 60.0
# Reminders taken per pass; a full batch means more are waiting.
CLAIM_BATCH = 500

_STEP_OF_DEADLINE = {DeadlineKind.APPLICATION: Step.FILED, DeadlineKind.PAYMENT: Step.SHARE_PAID}


async def sync_reminders(services: Services, store: Store, dossier: Dossier) -> None:
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
    await stored.replace_planned(store, dossier.id, dossier.client_id, planned)
    services.reminders_wakeup.set()


async def resume_reminders(services: Services, store: Store, client_id: int) -> None:
    """A client who unblocked the bot: plan their open dossiers' reminders again."""
    for dossier in await list_open_dossiers(store, client_id):
        await sync_reminders(services, store, dossier)


@dataclass
class PassReport:
    due: int = 0
    queued: int = 0
    skipped: int = 0
    cancelled: int = 0


# Another kind of alert due at reminder time (staff alerts about unopened invitations):
# called in each pass's transaction; returns how many things it alerted about.
AlertPass = Callable[[Services, Store, datetime], Awaitable[int]]


class ReminderScheduler:
    def __init__(self, services: Services, also: Sequence[AlertPass] = ()) -> None:
        self.services = services
        self.last_pass: datetime | None = None  # for /healthz and /metrics
        self._also = tuple(also)

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
            await wait_any(stop, wakeup, seconds=await self._until_next())

    async def _until_next(self) -> float:
        due = await stored.next_due_at(self.services.db)
        if due is None:
            return PASS_INTERVAL
        seconds = (due - self.services.clock.now()).total_seconds()
        return min(PASS_INTERVAL, max(seconds, 0.05))

    async def run_once(self) -> PassReport:
        """Queue what is due now; the report counts what happened to each due reminder."""
        services = self.services
        now = services.clock.now()
        async with services.db.transaction() as tx:
            due = await stored.due_reminders(tx, now, CLAIM_BATCH)
            report = PassReport(due=len(due))
            send, skip = choose_due(due, now, services.settings.timezone)
            await stored.mark_status(tx, [r.id for r in skip], "skipped")
            report.skipped = len(skip)
            for reminder in send:
                messages = await self._messages(tx, reminder, now)
                if messages:
                    await enqueue_many(tx, messages, now)
                    await stored.mark_status(tx, [reminder.id], "queued")
                    report.queued += 1
                else:
                    await stored.mark_status(tx, [reminder.id], "cancelled")
                    report.cancelled += 1
            for alert in self._also:
                report.queued += await alert(services, tx, now)
        self.last_pass = now
        if report.queued:
            services.outbox_wakeup.set()
        return report

    async def _messages(self, tx: Tx, reminder: DueReminder, now: datetime) -> list[NewMessage]:
        """What the reminder becomes: a message to the client, or an alert to each staff
        member; none when its deadline no longer applies or the client cannot be reached."""
        dossier = await get_dossier(tx, reminder.dossier_id)
        client = None if dossier is None else await get_client(tx, dossier.client_id)
        if dossier is None or client is None or not self._still_open(reminder, dossier):
            return []
        expires = _end_of(retry_until(reminder), self.services)
        if reminder.audience == STAFF:
            text = self._staff_alert(reminder, dossier, client)
            return [
                text_message(
                    staff_id,
                    text,
                    lane=BULK,
                    source=stored.SOURCE,
                    source_id=reminder.id,
                    expires_at=expires,
                )
                for staff_id in sorted(self.services.settings.staff_ids)
            ]
        if not client.active:
            return []
        figures = await figures_for(tx, self.services.rules, dossier)
        text, keyboard = self._client_message(reminder, dossier, figures)
        return [
            text_message(
                client.user_id,
                text,
                keyboard,
                lane=BULK,
                source=stored.SOURCE,
                source_id=reminder.id,
                expires_at=expires,
            )
        ]

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
        self, reminder: DueReminder, dossier: Dossier, figures: SubsidyResult | None
    ) -> tuple[str, Keyboard]:
        scheme = self.services.rules.scheme_for(dossier.start_date)
        step = _STEP_OF_DEADLINE[DeadlineKind(reminder.kind)]
        values: dict[str, Any] = {
            "dossier": dossier,
            "kind": reminder.kind,
            "deadline": reminder.deadline,
            "service": scheme.service(dossier.service),
            "scheme": scheme,
            "figures": figures,
            "unsupported": figures is not None and figures.below_minimum,
        }
        if reminder.offset_days == MISSED:
            text = render("reminders/missed", **values)
            # A filed application goes through the step flow (it asks the date, late or not).
            done = buttons.STEP.button(
                label("done_after_all", kind=reminder.kind), (dossier.id, step)
            )
        else:
            today = self.services.clock.today()
            text = render("reminders/client", days_left=(reminder.deadline - today).days, **values)
            done = buttons.DONE_NOW.button(label("done"), (dossier.id, step))
        help_button = buttons.VIGC_HELP.button(label("vigc_help"), dossier.id)
        return text, ((done,), (help_button,))

    def _staff_alert(self, reminder: DueReminder, dossier: Dossier, client: Client) -> str:
        return render(
            "reminders/staff_alert",
            dossier=dossier,
            client=client,
            kind=reminder.kind,
            deadline=reminder.deadline,
            days_left=(reminder.deadline - self.services.clock.today()).days,
        )


def _end_of(day: date, services: Services) -> datetime:
    """The first moment after `day` in the bot's time zone."""
    return datetime.combine(day + timedelta(days=1), time(0), services.settings.timezone)
