"""VIGC staff commands: /dossiers, /export, /bevestig and /broadcasts."""

from __future__ import annotations

import html
import re
from datetime import date
from functools import partial
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.delivery import Outcome, deliver
from bot.domain.dates import DateRejected, parse_date
from bot.domain.progress import (
    Dossier,
    Step,
    current_deadline,
    own_share_due,
    step_date_problem,
)
from bot.keyboards import keyboard
from bot.services import Services, get_services
from bot.staff_overview import Urgency, export_csv, ranked
from bot.steps import complete_step
from bot.texts import label, render
from conversations.common import callback_value, reply, say, user_id_of
from conversations.dossiers import dossier_view
from conversations.start import on_stale_button
from storage.audit import CONFIRM, EXPORT, record_action
from storage.broadcasts import recent_broadcasts
from storage.clients import get_client, mark_inactive
from storage.dossiers import get_dossier
from storage.staff_queries import all_dossiers, open_dossiers

# Dossiers per /dossiers page: even with the longest names and titles under 4096 characters.
PAGE_SIZE = 6
RECENT_BROADCASTS = 10
SNIPPET_LENGTH = 80
_TAG = re.compile(r"<[^>]+>")


async def on_dossiers(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The open dossiers, at-risk ones first, one page at a time."""
    text, markup = await _dossiers_page(get_services(context), 1)
    await reply(update, context, text, markup)


async def on_dossiers_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Another page of /dossiers, in the same message."""
    services = get_services(context)
    if not services.is_staff(user_id_of(update)):
        await on_stale_button(update, context)
        return
    query = update.callback_query
    page = int(callback_value(update) or 1)
    text, markup = await _dossiers_page(services, page)
    try:
        await query.edit_message_text(text, reply_markup=markup)  # type: ignore[union-attr]
    except BadRequest as exc:
        if "not modified" not in exc.message:
            await reply(update, context, text, markup)  # too old to edit: a new message


async def _dossiers_page(services: Services, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = ranked(services.rules, await open_dossiers(services.db), services.clock.today())
    if not lines:
        return render("staff/dossiers_none"), None
    pages = (len(lines) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    text = render(
        "staff/dossiers_page",
        lines=lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(lines),
        at_risk=sum(1 for line in lines if line.urgency is Urgency.AT_RISK),
        page=page,
        pages=pages,
    )
    buttons = []
    if page > 1:
        buttons.append((label("page_previous"), f"dos:{page - 1}"))
    if page < pages:
        buttons.append((label("page_next"), f"dos:{page + 1}"))
    return text, keyboard(buttons) if buttons else None


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every dossier as a CSV file that Excel in Belgium opens as it should."""
    services = get_services(context)
    today = services.clock.today()
    items = await all_dossiers(services.db)
    data = export_csv(services.rules, items, today, services.settings.staff_ids)
    chat = update.effective_chat
    if chat is None:
        return
    # Recorded before the file leaves: the audit holds every export, delivered or not.
    await record_action(
        services.db,
        user_id_of(update),
        EXPORT,
        services.clock.now(),
        details={"dossiers": len(items)},
    )
    await context.bot.send_document(
        chat.id,
        InputFile(data, filename=f"dossiers-{today.isoformat()}.csv"),
        caption=render("staff/export_caption", count=len(items), today=today),
    )


async def on_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """VIGC's confirmation recorded (today or the given day); the client is told at once."""
    services = get_services(context)
    args = context.args or []
    dossier_id = _dossier_number(args[0]) if args else None
    if dossier_id is None:
        await say(update, context, "staff/confirm_usage")
        return
    dossier = await get_dossier(services.db, dossier_id)
    if dossier is None:
        await say(update, context, "staff/confirm_not_found", dossier_id=dossier_id)
        return
    today = services.clock.today()
    day = parse_date(" ".join(args[1:]), today) if len(args) > 1 else today
    if isinstance(day, DateRejected):
        await say(update, context, "staff/confirm_date_invalid", problem=day.reason)
        return
    filed = dossier.done.get(Step.FILED)
    problem = step_date_problem(dossier, Step.CONFIRMED, day, today)
    if problem:
        await say(
            update, context, "staff/confirm_date_invalid", problem=problem, day=day, filed=filed
        )
        return
    await _confirm(update, context, dossier, day)


async def _confirm(
    update: Update, context: ContextTypes.DEFAULT_TYPE, dossier: Dossier, day: date
) -> None:
    services = get_services(context)
    staff_id = user_id_of(update)
    # VIGC confirms a filed application: a filing the client did not report is recorded too.
    filed_too = Step.FILED not in dossier.done and Step.CONFIRMED not in dossier.done
    if filed_too:
        _, dossier = await complete_step(services, dossier, Step.FILED, day, by=staff_id)
    recorded, fresh = await complete_step(services, dossier, Step.CONFIRMED, day, by=staff_id)
    await record_action(
        services.db,
        staff_id,
        CONFIRM,
        services.clock.now(),
        dossier_id=dossier.id,
        details={"day": day.isoformat(), "recorded": recorded, "filed_too": filed_too},
    )
    if not recorded:
        by_id = fresh.confirmed_by
        by = None if by_id is None else "staff" if services.is_staff(by_id) else "client"
        await say(
            update,
            context,
            "staff/confirm_already",
            dossier=fresh,
            day=fresh.done.get(Step.CONFIRMED, day),
            by=by,
            by_id=by_id,
        )
        return
    scheme = services.rules.scheme_for(fresh.start_date)
    deadline = current_deadline(fresh, scheme, services.clock.today())
    own_share = own_share_due(fresh, scheme)
    notified = await _tell_client(services, context, fresh, day)
    client = await get_client(services.db, fresh.client_id)
    await say(
        update,
        context,
        "staff/confirm_done",
        dossier=fresh,
        client=client,
        day=day,
        filed_too=filed_too,
        deadline=deadline,
        own_share=own_share,
        notified=notified,
    )


async def _tell_client(
    services: Services, context: ContextTypes.DEFAULT_TYPE, dossier: Dossier, day: date
) -> bool:
    """The client hears of the confirmation with the payment deadline and sees the dossier."""
    scheme = services.rules.scheme_for(dossier.start_date)
    deadline = current_deadline(dossier, scheme, services.clock.today())
    if deadline is None:
        return False
    news = render(
        "staff/client_confirmed",
        dossier=dossier,
        day=day,
        deadline=deadline,
        own_share=own_share_due(dossier, scheme),
    )
    text, markup = dossier_view(services, dossier)
    client_id = dossier.client_id
    for message, buttons in ((news, None), (text, markup)):
        send = partial(context.bot.send_message, client_id, message, reply_markup=buttons)
        delivery = await deliver(send, services.limiter)
        if delivery.outcome is Outcome.BLOCKED:
            await mark_inactive(services.db, client_id, services.clock.now())
        if delivery.outcome is not Outcome.SENT:
            return False
    return True


def _dossier_number(raw: str) -> int | None:
    digits = raw.removeprefix("#")
    return int(digits) if digits.isdigit() and len(digits) < 12 else None


async def on_broadcasts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The latest broadcasts with their reports (or how far they are)."""
    services = get_services(context)
    items = await recent_broadcasts(services.db, RECENT_BROADCASTS)
    if not items:
        await say(update, context, "staff/broadcasts_none")
        return
    snippets = {broadcast.id: _snippet(broadcast.text) for broadcast, _ in items}
    await say(
        update,
        context,
        "staff/broadcasts_list",
        items=items,
        snippets=snippets,
        tz=services.settings.timezone,
    )


def _snippet(text_html: str) -> str:
    """The start of a broadcast as plain text."""
    plain = " ".join(html.unescape(_TAG.sub("", text_html)).split())
    if len(plain) <= SNIPPET_LENGTH:
        return plain
    return plain[: SNIPPET_LENGTH - 1].rstrip() + "…"


def staff_handlers(staff: filters.BaseFilter) -> list[BaseHandler[Update, Any, Any]]:
    """The staff commands; for anyone else they fall through to the unknown-command answer."""
    return [
        CommandHandler("dossiers", on_dossiers, filters=staff),
        CommandHandler("export", on_export, filters=staff),
        CommandHandler("bevestig", on_confirm, filters=staff),
        CommandHandler("broadcasts", on_broadcasts, filters=staff),
        CallbackQueryHandler(on_dossiers_page, pattern=r"^dos:\d{1,6}$"),
    ]
