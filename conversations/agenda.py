"""Zet in mijn agenda: a dossier's deadlines as an .ics file (button agenda:<dossier id>)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.calendar_export import dossier_calendar, filename_for
from bot.keyboards import Button
from bot.services import get_services
from bot.texts import label, render
from conversations.common import callback_value, say, user_id_of
from storage.dossiers import get_client_dossier

CALLBACK_PATTERN = r"^agenda:\d+$"


def calendar_button(dossier_id: int) -> Button:
    """The "Zet in mijn agenda" button of a dossier."""
    return label("to_calendar"), f"agenda:{dossier_id}"


async def on_calendar(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An .ics file with the dossier's open deadlines, ready to open in any calendar app."""
    services = get_services(context)
    dossier_id = int(callback_value(update) or 0)
    dossier = await get_client_dossier(services.db, user_id_of(update), dossier_id)
    if dossier is None:  # not theirs, or erased meanwhile
        await say(update, context, "start/stale_button")
        return
    content = dossier_calendar(
        dossier, services.rules.scheme_for(dossier.start_date), services.clock.now()
    )
    if content is None:
        await say(update, context, "calendar/nothing_open")
        return
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_document(
        chat.id,
        document=InputFile(content, filename=filename_for(dossier)),
        caption=render("calendar/caption", title=dossier.title),
    )
