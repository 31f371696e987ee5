"""What every conversation shares: its draft in `user_data`, /annuleer, stray commands."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations.common import say

# Buttons that work anywhere (menu, dossier steps, reminders, calendar, registration steps,
# staff paging). A flow's catch-all must let them through to their own handlers, or a
# half-finished flow would swallow "Gedaan" on a reminder.
GLOBAL_BUTTON_PREFIXES = ("menu", "stap", "klaar", "hulp", "agenda", "reg", "dos")
NOT_A_GLOBAL_BUTTON = re.compile(rf"^(?!(?:{'|'.join(GLOBAL_BUTTON_PREFIXES)}):)")

StateCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, int]]


def draft(context: ContextTypes.DEFAULT_TYPE, key: str) -> dict[str, Any]:
    """The flow's unsaved answers; JSON-friendly values only (they are persisted)."""
    user_data = context.user_data
    if user_data is None:
        raise RuntimeError("no user_data for this update")
    return user_data.setdefault(key, {})


def begin_flow(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> dict[str, Any]:
    """Start a flow afresh and return its empty draft.

    One flow at a time: any other conversation the user was in ends here, or its catch-all
    would keep answering buttons meant for the new flow.
    """
    user = update.effective_user
    if user is not None:
        # The bot talks in private chats only: the conversation key is (chat, user).
        leave_flows(context.application, [(user.id, user.id)])
    if context.user_data is not None:
        context.user_data.clear()  # user_data holds flow drafts only
    return draft(context, key)


def leave_all_flows(application: Application[Any, Any, Any, Any, Any, Any], user_id: int) -> None:
    """End every conversation of `user_id`, in any chat (for /vergeetmij)."""
    keys = {
        key
        for handler in _conversation_handlers(application)
        for key in handler._conversations
        if key and key[-1] == user_id
    }
    leave_flows(application, keys)


def leave_flows(
    application: Application[Any, Any, Any, Any, Any, Any], keys: Iterable[tuple[int | str, ...]]
) -> None:
    """End the conversations with these keys in python-telegram-bot's memory.

    PTB has no public API to end another handler's conversation, so the states dict
    `_conversations` is edited directly; with persistence it is a TrackingDict, so each
    removal also reaches the database at the next flush.
    """
    keys = list(keys)
    for handler in _conversation_handlers(application):
        conversations = handler._conversations
        for key in keys:
            conversations.pop(key, None)


def _conversation_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> list[ConversationHandler[Any]]:
    return [
        handler
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, ConversationHandler)
    ]


def end_flow(context: ContextTypes.DEFAULT_TYPE, key: str) -> int:
    """Forget the flow's draft and end the conversation."""
    if context.user_data is not None:
        context.user_data.pop(key, None)
    return ConversationHandler.END


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Leaves the current flow; saved dossiers stay as they are."""
    if context.user_data is not None:
        context.user_data.clear()  # user_data holds flow drafts only
    await say(update, context, "flow/cancelled")
    return ConversationHandler.END


async def on_command_in_flow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Another command mid-flow: answer the question first, or /annuleer (state unchanged)."""
    await say(update, context, "flow/command_in_flow")


def expecting(
    *answers: BaseHandler[Update, Any, Any], otherwise: StateCallback
) -> list[BaseHandler[Update, Any, Any]]:
    """A state's handlers: the answers it expects, then `otherwise` for anything else.

    Text, stickers, photos, voice and presses on old buttons of this flow all reach
    `otherwise`, which says what is expected and keeps the state.
    """
    return [
        *answers,
        MessageHandler(filters.ALL & ~filters.COMMAND, otherwise),
        CallbackQueryHandler(otherwise, pattern=NOT_A_GLOBAL_BUTTON),
    ]


def cancel_handlers() -> list[BaseHandler[Update, Any, Any]]:
    """Fallbacks of every conversation: /annuleer, and a hint for any other command."""
    return [
        CommandHandler("annuleer", on_cancel),
        MessageHandler(filters.COMMAND, on_command_in_flow),
    ]
