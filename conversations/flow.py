"""What every conversation shares: its draft in `user_data`, /annuleer, stray commands."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations.common import say


def draft(context: ContextTypes.DEFAULT_TYPE, key: str) -> dict[str, Any]:
    """The flow's unsaved answers; JSON-friendly values only (they are persisted)."""
    user_data = context.user_data
    if user_data is None:
        raise RuntimeError("no user_data for this update")
    return user_data.setdefault(key, {})


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


def cancel_handlers() -> list[BaseHandler[Update, Any, Any]]:
    """Fallbacks of every conversation: /annuleer, and a hint for any other command."""
    return [
        CommandHandler("annuleer", on_cancel),
        MessageHandler(filters.COMMAND, on_command_in_flow),
    ]
