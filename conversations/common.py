"""Small helpers every conversation uses: replying, keyboards, the client record."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.services import get_services
from bot.texts import render
from storage.clients import upsert_client

KEEP_KEYBOARD_PREFIXES = ("hulp:", "agenda:", "dos:")


async def reply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send `text` (Telegram HTML) to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        raise RuntimeError("update without a chat")
    return await context.bot.send_message(chat.id, text, reply_markup=markup)


async def on_any_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every press is acknowledged at once; its keyboard goes, so it cannot be pressed twice.

    "Hulp" and "agenda" buttons keep their keyboard: asking for help or for a calendar file
    is not an answer.
    """
    query = update.callback_query
    if query is None:
        return
    tasks = [_acknowledge(query)]
    keep = (query.data or "").startswith(KEEP_KEYBOARD_PREFIXES)
    if not keep and isinstance(query.message, Message) and query.message.reply_markup:
        tasks.append(_retire_keyboard(query))
    await asyncio.gather(*tasks)  # two independent round trips: do not wait twice


async def _acknowledge(query: CallbackQuery) -> None:
    # Too old to answer (after downtime): the press itself is still handled.
    with suppress(BadRequest):
        await query.answer()


async def _retire_keyboard(query: CallbackQuery) -> None:
    # Too old to edit, or already without buttons: nothing to tidy then.
    with suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)


async def say(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    template: str,
    markup: InlineKeyboardMarkup | None = None,
    **values: object,
) -> Message:
    """Render a template and `reply` with it."""
    return await reply(update, context, render(template, **values), markup)


async def remember_client(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Create or refresh the client record of the user behind this update."""
    user = update.effective_user
    if user is None:
        return
    services = get_services(context)
    await upsert_client(
        services.db, user.id, user.first_name, user.last_name, user.username, services.clock.now()
    )


def callback_value(update: Update) -> str:
    """What follows the last ':' of the pressed button's data ("svc:advies" -> "advies")."""
    data = update.callback_query.data if update.callback_query else None
    return (data or "").rpartition(":")[2]


def user_id_of(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise RuntimeError("update without a user")
    return user.id
