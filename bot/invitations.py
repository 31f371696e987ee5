"""Invitations: dossiers VIGC staff set up, and the client who takes one over with its link.

The one place that turns staff input (a /nieuwdossier answer set, a line of an enrolment
list) into an invitation, a claimed invitation into an ordinary dossier with reminders,
and unopened invitations into alerts for staff and, after their time, into nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.domain.deadlines import application_deadline
from bot.domain.enrolment import EnrolmentRow
from bot.domain.invitations import invitation_link, new_code
from bot.domain.progress import Dossier
from bot.domain.rules import Rules
from bot.outbox import text_message
from bot.reminders import sync_reminders
from bot.services import Services
from bot.texts import render
from storage import invitations as stored
from storage.audit import record_action
from storage.clients import get_client, set_company
from storage.db import Store
from storage.dossiers import NewDossier, create_dossier, get_dossier
from storage.invitations import Invitation, NewInvitation
from storage.outbox import BULK, NewMessage, enqueue_many

_LOGGER = logging.getLogger(__name__)

# Wrong codes a user may try in WRONG_CODE_WINDOW before every code is refused for a while.
WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = timedelta(hours=1)
# Alert source for the outbox (staff alerts about unopened invitations).
ALERT_SOURCE = "invitation"


def from_row(row: EnrolmentRow, rules: Rules) -> NewInvitation:
    """An invitation for a checked line of an enrolment list."""
    return NewInvitation(
        dedupe_key=row.key,
        company_name=row.company,
        enterprise_number=row.enterprise_number,
        service=row.service,
        theme=row.theme,
        title=row.title,
        start_date=row.start_date,
        deadline=application_deadline(row.start_date, rules.scheme_for(row.start_date)),
        amount=row.amount,
        company_size=row.size,
        contact_name=row.contact_name,
        email=row.email,
    )


async def invite(
    services: Services, store: Store, new: NewInvitation, staff_id: int, now: datetime
) -> tuple[Invitation, bool]:
    """The invitation for `new`: made now with a fresh code (True), or the one made before
    for the same project (False: same link)."""
    invitation, made = await stored.create_invitation(store, new, new_code(), staff_id, now)
    if made:
        _LOGGER.info("Invitation %s made by staff %s", invitation.id, staff_id)
    return invitation, made


def link_of(services: Services, invitation: Invitation) -> str:
    """The client's personal link (t.me, with the bot's username from getMe)."""
    return invitation_link(services.bot_username, invitation.code)


async def claim(
    services: Services, store: Store, invitation: Invitation, client_id: int, now: datetime
) -> Dossier | None:
    """The client takes the dossier over: it becomes theirs, with reminders. None when the
    invitation was taken, revoked or expired meanwhile (nothing changes then)."""
    today = services.clock.today()
    fresh = await stored.get_invitation(store, invitation.id)
    if fresh is None or fresh.status != stored.OPEN or fresh.expired(today):
        return None
    client = await get_client(store, client_id)
    dossier_id = await create_dossier(
        store,
        NewDossier(
            client_id=client_id,
            service=fresh.service,
            theme=fresh.theme,
            title=fresh.title,
            start_date=fresh.start_date,
            # The size VIGC entered, else the one the client gave for an earlier project.
            company_size=fresh.company_size or (client.company_size if client else None),
            amount=fresh.amount,
        ),
        now,
    )
    if not await stored.link(store, fresh.id, client_id, dossier_id, now):
        raise RuntimeError("invitation taken within one transaction")
    if client is not None and not client.company_name:
        await set_company(store, client_id, fresh.company_name, fresh.enterprise_number, now)
    dossier = await get_dossier(store, dossier_id)
    if dossier is None:
        raise RuntimeError("dossier missing right after it was written")
    await sync_reminders(services, store, dossier)
    return dossier


async def too_many_wrong_codes(store: Store, user_id: int, now: datetime) -> bool:
    return await stored.wrong_codes_since(store, user_id, now - WRONG_CODE_WINDOW) >= (
        WRONG_CODE_LIMIT
    )


def to_staff(services: Services, template: str, **values: Any) -> list[NewMessage]:
    """The same message to every VIGC staff member."""
    text = render(template, **values)
    return [text_message(staff_id, text) for staff_id in sorted(services.settings.staff_ids)]


async def audit(
    store: Store, staff_id: int, action: str, now: datetime, invitation: Invitation, **details: Any
) -> None:
    """A staff action on an invitation, in the audit table (never the code)."""
    await record_action(
        store,
        staff_id,
        action,
        now,
        dossier_id=invitation.dossier_id,
        details={"invitation": invitation.id, **details},
    )


async def alert_unopened(services: Services, store: Store, now: datetime) -> int:
    """From the reminder time on the day before an unopened invitation's deadline, staff
    get one alert for it (the bot cannot remind a client it has no chat with yet).
    Returns how many invitations the alert named."""
    settings = services.settings
    local = now.astimezone(settings.timezone)
    if local.time() < settings.reminder_time:
        return 0
    today = local.date()
    due = await stored.needing_alert(store, today + timedelta(days=1))
    if not due:
        return 0
    for invitation in due:
        await stored.mark_alerted(store, invitation.id)
    current = [i for i in due if not i.expired(today)]
    if not current or not settings.staff_ids:
        return 0
    text = render("invitations/staff_unopened", invitations=current, today=today)
    messages = [
        text_message(staff_id, text, lane=BULK, source=ALERT_SOURCE)
        for staff_id in sorted(settings.staff_ids)
    ]
    await enqueue_many(store, messages, now)
    services.outbox_wakeup.set()
    return len(current)


async def forget_old(services: Services, store: Store, now: datetime) -> int:
    """Unopened invitations and their personal data go `INVITATION_RETENTION_DAYS` after
    their deadline; wrong-code attempts after a day."""
    today = now.astimezone(services.settings.timezone).date()
    await stored.forget_old_attempts(store, now - timedelta(days=1))
    return await stored.purge_unopened(store, today, services.settings.invitation_retention_days)
