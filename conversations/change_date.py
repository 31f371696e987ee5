"""/wijzig: correct a dossier's start date or VIGC's confirmation date; reminders follow."""

from __future__ import annotations

from enum import IntEnum, auto
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.dates import DateRejected, parse_date
from bot.domain.progress import (
    Dossier,
    StartVerdict,
    Step,
    check_start,
    step_date_problem,
)
from bot.keyboards import keyboard
from bot.reminders import sync_reminders
from bot.services import get_services
from bot.texts import label
from conversations.common import callback_value, reply, say, user_id_of
from conversations.dossiers import MAX_LISTED, dossier_view
from conversations.flow import begin_flow, cancel_handlers, draft, end_flow, expecting
from storage.dossiers import DateField, change_date, get_client_dossier, list_open_dossiers

_DRAFT = "wijzig"


class State(IntEnum):
    DOSSIER = auto()
    FIELD = auto()
    NEW_DATE = auto()


async def on_begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The open dossiers to choose from (straight to the date choice when there is one)."""
    services = get_services(context)
    begin_flow(update, context, _DRAFT)
    dossiers = await list_open_dossiers(services.db, user_id_of(update))
    if not dossiers:
        await say(update, context, "dossiers/none")
        return end_flow(context, _DRAFT)
    if len(dossiers) == 1:
        return await _ask_field(update, context, dossiers[0])
    buttons = [[(label("choice", name=d.title), f"wdos:{d.id}")] for d in dossiers[:MAX_LISTED]]
    await say(update, context, "change_date/ask_dossier", keyboard(*buttons))
    return State.DOSSIER


async def on_dossier(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The chosen dossier: which of its dates to correct."""
    dossier = await _own_dossier(update, context, int(callback_value(update) or 0))
    if dossier is None:
        await say(update, context, "start/stale_button")
        return end_flow(context, _DRAFT)
    return await _ask_field(update, context, dossier)


async def on_field(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks for the corrected date."""
    current = draft(context, _DRAFT)
    current["field"] = callback_value(update)
    await say(update, context, "change_date/ask_date", field=current["field"])
    return State.NEW_DATE


async def on_new_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The date is corrected, the deadline and reminders recomputed, the dossier shown."""
    services = get_services(context)
    today = services.clock.today()
    current = draft(context, _DRAFT)
    parsed = parse_date(update.effective_message.text or "", today)  # type: ignore[union-attr]
    if isinstance(parsed, DateRejected):
        await say(update, context, "application/date_invalid", reason=parsed.reason, today=today)
        return State.NEW_DATE
    dossier = await _own_dossier(update, context, current["dossier"])
    if dossier is None:
        await say(update, context, "start/stale_button")
        return end_flow(context, _DRAFT)
    field: DateField = "start" if current["field"] == "start" else "confirmed"
    if field == "start":
        check = check_start(services.rules, dossier.service, dossier.theme, parsed, today)
        if check.verdict is not StartVerdict.OK:
            # Nothing is saved: with that start the dossier could not go on.
            await say(update, context, f"application/{check.verdict}", start=parsed, check=check)
            return end_flow(context, _DRAFT)
    else:
        problem = step_date_problem(dossier, Step.CONFIRMED, parsed, today)
        if problem:
            await say(update, context, "dossiers/date_rejected", problem=problem, day=parsed)
            return State.NEW_DATE
    await change_date(services.db, dossier.id, field, parsed, services.clock.now())
    fresh = await get_client_dossier(services.db, dossier.client_id, dossier.id)
    if fresh is None:
        return end_flow(context, _DRAFT)
    await sync_reminders(services, fresh)
    await say(update, context, "change_date/changed", field=field, day=parsed)
    text, markup = dossier_view(services, fresh)
    await reply(update, context, text, markup)
    return end_flow(context, _DRAFT)


async def on_unexpected(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks to use the buttons, and stops when there is nothing left to choose."""
    current = draft(context, _DRAFT)
    dossier = None
    if "dossier" in current:
        dossier = await _own_dossier(update, context, current["dossier"])
    if dossier is None:
        return await on_begin(update, context)
    return await _ask_field(update, context, dossier, retry=True)


async def on_unexpected_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the date as text."""
    today = get_services(context).clock.today()
    await say(update, context, "application/date_invalid", reason="not_text", today=today)
    return State.NEW_DATE


async def _ask_field(
    update: Update, context: ContextTypes.DEFAULT_TYPE, dossier: Dossier, *, retry: bool = False
) -> int:
    draft(context, _DRAFT)["dossier"] = dossier.id
    rows = [[(label("change_start"), "wdat:start")]]
    if Step.CONFIRMED in dossier.done:
        rows.append([(label("change_confirmed"), "wdat:confirmed")])
    await say(
        update, context, "change_date/ask_field", keyboard(*rows), dossier=dossier, retry=retry
    )
    return State.FIELD


async def _own_dossier(
    update: Update, context: ContextTypes.DEFAULT_TYPE, dossier_id: int
) -> Dossier | None:
    return await get_client_dossier(get_services(context).db, user_id_of(update), dossier_id)


def build_change_date_handler() -> ConversationHandler[Any]:
    """The persistent /wijzig conversation."""
    return ConversationHandler(
        name="wijzig",
        persistent=True,
        entry_points=[CommandHandler("wijzig", on_begin)],
        states={
            State.DOSSIER: expecting(
                CallbackQueryHandler(on_dossier, pattern=r"^wdos:\d+$"),
                otherwise=on_unexpected,
            ),
            State.FIELD: expecting(
                CallbackQueryHandler(on_field, pattern=r"^wdat:(start|confirmed)$"),
                otherwise=on_unexpected,
            ),
            State.NEW_DATE: expecting(
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_new_date),
                otherwise=on_unexpected_date,
            ),
        },
        fallbacks=cancel_handlers(),
        allow_reentry=True,
    )
