"""/mijngegevens and /vergeetmij: what the bot stores about a client, handed over or erased."""

from __future__ import annotations

import json
import logging
from datetime import date
from enum import IntEnum, auto
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.enterprise import format_enterprise_number
from bot.domain.registration import DONE, STEP_COUNT
from bot.keyboards import keyboard
from bot.services import get_services
from bot.texts import label, render
from conversations.common import say, user_id_of
from conversations.flow import NOT_A_GLOBAL_BUTTON, cancel_handlers, leave_all_flows
from storage.clients import get_client
from storage.privacy import export_client_data, forget_client

_LOGGER = logging.getLogger(__name__)
EXPORT_FILENAME = "mijn-gegevens-kmo-portefeuille.json"
# Dossiers listed by name in the summary; the file holds all of them.
MAX_LISTED = 20


class State(IntEnum):
    CONFIRM = auto()


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """What will be erased, and an explicit yes or no before anything happens."""
    await say(update, context, "privacy/confirm", _confirm_keyboard())
    return State.CONFIRM


async def on_forget_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Every row about the client is gone; from now on the bot does not know them."""
    user_id = user_id_of(update)
    deleted = await forget_client(get_services(context).db, user_id)
    forget_in_memory(context.application, user_id)
    _LOGGER.info("A client asked to be forgotten; rows deleted: %s", deleted)
    await say(update, context, "privacy/forgotten")
    return ConversationHandler.END


async def on_forget_cancelled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Nothing is erased."""
    await say(update, context, "privacy/kept")
    return ConversationHandler.END


async def on_unexpected_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for a yes or no with the buttons."""
    await say(update, context, "application/retry_buttons", _confirm_keyboard())
    return State.CONFIRM


async def on_my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A readable summary of what is stored about the client, and all of it as a JSON file."""
    services = get_services(context)
    user_id = user_id_of(update)
    tables = await export_client_data(services.db, user_id)
    if not tables:
        await say(update, context, "privacy/nothing_stored")
        return
    client = await get_client(services.db, user_id)
    dossiers = [
        {"title": row["title"], "start": date.fromisoformat(row["start_date"])}
        for row in tables.get("dossiers", [])
    ]
    await say(
        update,
        context,
        "privacy/summary",
        client=client,
        enterprise_number=(
            format_enterprise_number(client.enterprise_number)
            if client and client.enterprise_number
            else None
        ),
        registration_step=client.registration_step if client else 0,
        done=DONE,
        total=STEP_COUNT,
        dossiers=dossiers,
        shown=MAX_LISTED,
        reminders=sum(
            1
            for row in tables.get("reminders", [])
            if row.get("status") == "pending" and row.get("audience") == "client"
        ),
        rows=sum(len(rows) for rows in tables.values()),
    )
    export = {
        "user_id": user_id,
        "exported_at": services.clock.now().isoformat(),
        "tables": tables,
    }
    content = json.dumps(export, ensure_ascii=False, indent=2, sort_keys=True).encode()
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_document(
            chat.id,
            document=InputFile(content, filename=EXPORT_FILENAME),
            caption=render("privacy/file_caption"),
        )


def forget_in_memory(application: Application[Any, Any, Any, Any, Any, Any], user_id: int) -> None:
    """Drop the user's drafts and conversation states from python-telegram-bot's memory.

    Without this, the persistence flush that follows every update (bot.app) would write
    them back.
    """
    application.drop_user_data(user_id)
    application.drop_chat_data(user_id)  # a private chat's id is the user's id
    leave_all_flows(application, user_id)


def _confirm_keyboard() -> InlineKeyboardMarkup:
    return keyboard(
        [(label("forget_yes"), "vergeet:ja")],
        [(label("forget_no"), "vergeet:nee")],
    )


def build_privacy_handler() -> ConversationHandler[Any]:
    """The persistent /vergeetmij conversation (one question: are you sure?)."""
    return ConversationHandler(
        name="vergeetmij",
        persistent=True,
        entry_points=[CommandHandler("vergeetmij", on_forget)],
        states={
            State.CONFIRM: [
                CallbackQueryHandler(on_forget_confirmed, pattern=r"^vergeet:ja$"),
                CallbackQueryHandler(on_forget_cancelled, pattern=r"^vergeet:nee$"),
                MessageHandler(filters.ALL & ~filters.COMMAND, on_unexpected_confirm),
                CallbackQueryHandler(on_unexpected_confirm, pattern=NOT_A_GLOBAL_BUTTON),
            ],
        },
        fallbacks=cancel_handlers(),
        allow_reentry=True,
    )
