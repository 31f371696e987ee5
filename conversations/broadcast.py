"""/broadcast (VIGC staff): a message to clients, its audience, a preview, then off it goes."""

from __future__ import annotations

import logging
from enum import IntEnum, auto
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.broadcast import audience_counts, audience_ids, get_broadcaster
from bot.keyboards import keyboard
from bot.services import get_services
from bot.staff_overview import Audience
from bot.texts import label
from conversations.common import callback_value, reply, say, user_id_of
from conversations.flow import begin_flow, cancel_handlers, draft, end_flow, expecting
from storage.broadcasts import activate, count_unfinished, create_broadcast

_LOGGER = logging.getLogger(__name__)
_DRAFT = "broadcast"
_AUDIENCE_LABELS = {
    Audience.ALL: "audience_all",
    Audience.OPEN: "audience_open",
    Audience.DEADLINE: "audience_deadline",
}


class State(IntEnum):
    MESSAGE = auto()
    AUDIENCE = auto()
    CONFIRM = auto()


async def on_broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks for the message, to be typed with Telegram's own formatting."""
    begin_flow(update, context, _DRAFT)
    await say(update, context, "broadcast/ask_message")
    return State.MESSAGE


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The message (formatting kept as HTML); then the audiences with how many each reaches."""
    message = update.effective_message
    if message is None or not message.text:
        return await on_not_text(update, context)
    draft(context, _DRAFT)["text"] = message.text_html
    await _ask_audience(update, context)
    return State.AUDIENCE


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for a text message: photos, stickers and files are not broadcast."""
    await say(update, context, "broadcast/text_only")
    return State.MESSAGE


async def on_audience(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The preview exactly as clients will see it, under the count, with Versturen/Annuleren."""
    services = get_services(context)
    current = draft(context, _DRAFT)
    raw = callback_value(update)
    if raw not in Audience.__members__.values() or "text" not in current:
        return await on_unexpected_audience(update, context)
    audience = Audience(raw)
    count = len(await audience_ids(services, audience))
    if count == 0:
        await say(update, context, "broadcast/no_recipients")
        await _ask_audience(update, context)
        return State.AUDIENCE
    current["audience"] = audience.value
    await say(update, context, "broadcast/preview_header", count=count, audience=audience.value)
    markup = keyboard([(label("send_broadcast"), "bc:send"), (label("cancel"), "bc:cancel")])
    await reply(update, context, current["text"], markup)
    return State.CONFIRM


async def on_unexpected_audience(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks to choose an audience with the buttons."""
    await say(update, context, "broadcast/choose_audience_again")
    return State.AUDIENCE


async def on_send(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Queues the broadcast; a progress message follows that ends as the report."""
    services = get_services(context)
    current = draft(context, _DRAFT)
    staff_id = user_id_of(update)
    if not services.is_staff(staff_id) or "audience" not in current:
        await say(update, context, "start/stale_button")
        return end_flow(context, _DRAFT)
    audience = Audience(current["audience"])
    recipients = await audience_ids(services, audience)
    if not recipients:
        await say(update, context, "broadcast/no_recipients")
        await _ask_audience(update, context)
        return State.AUDIENCE
    ahead = await count_unfinished(services.db)
    broadcast_id = await create_broadcast(
        services.db, staff_id, audience.value, current["text"], recipients, services.clock.now()
    )
    chat_id = message_id = None
    try:
        progress = await say(
            update,
            context,
            "broadcast/progress",
            broadcast_id=broadcast_id,
            queued=ahead > 0,
            done=0,
            total=len(recipients),
        )
    except TelegramError:
        # The broadcast goes out all the same; the sender sends a progress message itself.
        _LOGGER.warning("No progress message for broadcast %s", broadcast_id, exc_info=True)
    else:
        chat_id, message_id = progress.chat_id, progress.message_id
    await activate(services.db, broadcast_id, chat_id, message_id)
    broadcaster = get_broadcaster(context.application)
    if broadcaster is not None:
        broadcaster.wake()
    return end_flow(context, _DRAFT)


async def on_cancel_broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Nothing is sent; the message is dropped."""
    await say(update, context, "broadcast/cancelled")
    return end_flow(context, _DRAFT)


async def on_unexpected_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks to press Versturen or Annuleren under the preview."""
    await say(update, context, "broadcast/press_button")
    return State.CONFIRM


async def _ask_audience(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    counts = await audience_counts(get_services(context))
    rows = [
        [(label(_AUDIENCE_LABELS[audience], count=counts[audience]), f"bc:doel:{audience}")]
        for audience in Audience
    ]
    await say(update, context, "broadcast/ask_audience", keyboard(*rows))


def build_broadcast_handler(staff: filters.BaseFilter) -> ConversationHandler[Any]:
    """The persistent /broadcast conversation; its entry point answers staff only."""
    return ConversationHandler(
        name="broadcast",
        persistent=True,
        entry_points=[CommandHandler("broadcast", on_broadcast, filters=staff)],
        states={
            State.MESSAGE: expecting(
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_message),
                otherwise=on_not_text,
            ),
            State.AUDIENCE: expecting(
                CallbackQueryHandler(on_audience, pattern=r"^bc:doel:[a-z]+$"),
                otherwise=on_unexpected_audience,
            ),
            State.CONFIRM: expecting(
                CallbackQueryHandler(on_send, pattern=r"^bc:send$"),
                CallbackQueryHandler(on_cancel_broadcast, pattern=r"^bc:cancel$"),
                otherwise=on_unexpected_confirm,
            ),
        },
        fallbacks=cancel_handlers(),
        allow_reentry=True,  # /broadcast again starts over with a new message
    )
