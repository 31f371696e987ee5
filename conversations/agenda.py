"""Zet in mijn agenda: a dossier's deadlines as an .ics file."""

from __future__ import annotations

from bot.calendar_export import dossier_calendar, filename_for
from bot.figures import figures_for
from bot.outbox import Kind
from bot.texts import render
from bot.turn import Turn
from storage.dossiers import get_client_dossier


async def on_calendar(turn: Turn, dossier_id: int) -> None:
    """An .ics file with the dossier's open deadlines, ready to open in any calendar app."""
    dossier = await get_client_dossier(turn.tx, turn.user_id, dossier_id)
    if dossier is None:  # not theirs, or erased meanwhile
        await turn.say("start/stale_button")
        return
    figures = await figures_for(turn.tx, turn.rules, dossier)
    scheme = turn.rules.scheme_for(dossier.start_date)
    content = dossier_calendar(dossier, scheme, turn.now, figures)
    if content is None:
        await turn.say("calendar/nothing_open")
        return
    caption = render("calendar/caption", dossier=dossier)
    await turn.send_file(Kind.DOCUMENT, content, filename_for(dossier), caption)
