"""Welcome, help, and the friendly answers for everything outside a flow."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.services import get_services
from bot.texts import label
from conversations.common import keyboard, remember_client, say

_LOGGER = logging.getLogger(__name__)


def main_menu() -> list[list[tuple[str, str]]]:
    """The main menu rows, shared by /start and /help."""
    return [
        [(label("menu_application"), "menu:aanvraag")],
        [(label("menu_deadlines"), "menu:termijnen")],
        [(label("menu_help"), "menu:help")],
    ]


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome: what the bot does, and the main menu as buttons."""
    await remember_client(update, context)
    services = get_services(context)
    scheme = services.rules.scheme_for(services.clock.today())
    user = update.effective_user
    await say(
        update,
        context,
        "start/welcome",
        keyboard(*main_menu()),
        first_name=user.first_name if user else "",
        scheme=scheme,
    )


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The list of commands and the main menu."""
    await say(update, context, "start/help", keyboard(*main_menu()))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short pointer to /help for a command the bot does not know."""
    await say(update, context, "start/unknown_command")


async def on_free_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short pointer to /help for text, stickers, photos… outside a flow."""
    await say(update, context, "start/free_text")


async def on_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on a button that no flow is waiting for: say so and point to /termijnen."""
    await say(update, context, "start/stale_button")
