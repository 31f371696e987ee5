"""Welcome, help, and the friendly answers for everything outside a flow."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.registration import NOT_STARTED, STEP_COUNT, in_progress
from bot.keyboards import keyboard
from bot.reminders import resume_reminders
from bot.services import get_services
from bot.texts import label
from conversations.common import remember_client, say
from storage.clients import get_client, reactivate

_LOGGER = logging.getLogger(__name__)


def main_menu(registration_step: int = NOT_STARTED) -> list[list[tuple[str, str]]]:
    """The main menu rows, shared by /start and /help.

    A registration that was started but not finished comes first, to resume it; once it is
    finished, its button goes.
    """
    rows = []
    if in_progress(registration_step):
        resume = label("menu_resume_registration", step=registration_step, total=STEP_COUNT)
        rows.append([(resume, "menu:registratie")])
    rows += [
        [(label("menu_application"), "menu:aanvraag")],
        [(label("menu_deadlines"), "menu:termijnen")],
    ]
    if registration_step == NOT_STARTED:
        rows.append([(label("menu_registration"), "menu:registratie")])
    rows += [
        [(label("menu_calculator"), "menu:berekenen")],
        [(label("menu_help"), "menu:help")],
    ]
    return rows


async def _registration_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    user = update.effective_user
    client = None if user is None else await get_client(get_services(context).db, user.id)
    return NOT_STARTED if client is None else client.registration_step


async def on_any_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nothing visible: a client who had blocked the bot and writes again gets reminders."""
    user = update.effective_user
    if user is None:
        return
    services = get_services(context)
    if await reactivate(services.db, user.id, services.clock.now()):
        _LOGGER.info("Client %s is back; their reminders are planned again", user.id)
        await resume_reminders(services, user.id)


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
        keyboard(*main_menu(await _registration_step(update, context))),
        first_name=user.first_name if user else "",
        scheme=scheme,
    )


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The list of commands and the main menu."""
    menu = main_menu(await _registration_step(update, context))
    await say(update, context, "start/help", keyboard(*menu))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short pointer to /help for a command the bot does not know."""
    await say(update, context, "start/unknown_command")


async def on_free_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short pointer to /help for text, stickers, photos… outside a flow."""
    await say(update, context, "start/free_text")


async def on_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on a button that no flow is waiting for: say so and point to /termijnen."""
    await say(update, context, "start/stale_button")
