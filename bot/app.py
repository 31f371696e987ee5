"""The one wiring place: builds the Application and registers every handler in order."""

from __future__ import annotations

import logging
import os
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import RateLimiter
from bot.domain.rules import load_rules
from bot.services import Services, attach, get_services_of
from bot.staff_access import register_staff_menus, staff_filter, staff_handlers_for_logging
from bot.texts import command_description, render
from conversations.agenda import CALLBACK_PATTERN as AGENDA_PATTERN
from conversations.agenda import on_calendar
from conversations.application import build_application_handler
from conversations.broadcast import build_broadcast_handler
from conversations.calculator import build_calculator_handler
from conversations.change_date import build_change_date_handler
from conversations.common import on_any_button
from conversations.dossiers import build_step_handler, on_deadlines, on_done_now, on_vigc_help
from conversations.flow import on_cancel
from conversations.privacy import build_privacy_handler, on_my_data
from conversations.registration import build_registration_handler
from conversations.staff import staff_handlers
from conversations.start import (
    on_any_update,
    on_free_text,
    on_help,
    on_stale_button,
    on_start,
    on_unknown_command,
)
from storage.db import Database
from storage.persistence import SQLitePersistence

_LOGGER = logging.getLogger(__name__)


# The command menu every client sees, in this order.
CLIENT_COMMANDS = (
    "start",
    "registratie",
    "aanvraag",
    "termijnen",
    "wijzig",
    "berekenen",
    "contact",
    "help",
    "annuleer",
    "mijngegevens",
    "vergeetmij",
)
# Only the update types the bot handles; edited messages are not answers.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]

BotApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    settings: Settings, db: Database, clock: Clock | None = None
) -> BotApplication:
    """An Application with persistence in `db`, Dutch command menu and all handlers."""
    # Opt in to python-telegram-bot's timedelta durations (its next major's default):
    # otherwise every 429 (RetryAfter) comes with a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .persistence(SQLitePersistence(db))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.timezone,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .build()
    )
    attach(
        application,
        Services(
            settings=settings,
            db=db,
            rules=load_rules(settings.rules_path),
            clock=clock or Clock(settings.timezone),
            # A small burst: no second holds more than rate + burst sends (26 at the default
            # 25, under Telegram's 30), yet a late wake-up of the loop is made up for. A full
            # bucket of `rate` tokens would let 2 x rate through right after a quiet spell.
            # No saved-up burst: after a quiet spell, a burst on top of the rate would
            # exceed Telegram's ~30 messages per second.
            limiter=RateLimiter(settings.broadcast_rate, burst=1),
        ),
    )
    register_handlers(application)
    return application


def register_handlers(application: BotApplication) -> None:
    # Only the first matching handler of a group runs, so each of these has its own group.
    # Group -3, first of all: a client who had blocked the bot and writes again is back.
    application.add_handler(TypeHandler(Update, on_any_update), group=-3)
    # Group -1: every button press is acknowledged at once and its keyboard retired.
    application.add_handler(CallbackQueryHandler(on_any_button), group=-1)

    # Conversations first: a client inside a flow has their answers (and stray commands)
    # handled by that flow, not by the general commands below.
    # /vergeetmij first: erasing one's data is never blocked by a half-answered question.
    application.add_handler(build_privacy_handler())
    application.add_handler(build_application_handler())
    application.add_handler(build_step_handler())
    application.add_handler(build_change_date_handler())
    application.add_handler(build_registration_handler())
    application.add_handler(build_calculator_handler())
    # VIGC staff only (STAFF_IDS); for anyone else these fall through to the catch-alls.
    staff = staff_filter(get_services_of(application).settings.staff_ids)
    application.add_handler(build_broadcast_handler(staff))
    # Group -2 only logs: staff commands tried by others; the staff menu on first contact.
    for logger in staff_handlers_for_logging(staff):
        application.add_handler(logger, group=-2)

    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CommandHandler(["help", "hulp"], on_help))
    application.add_handler(CommandHandler("termijnen", on_deadlines))
    application.add_handler(CommandHandler("annuleer", on_cancel))
    application.add_handler(CallbackQueryHandler(on_deadlines, pattern=r"^menu:termijnen$"))
    application.add_handler(CallbackQueryHandler(on_help, pattern=r"^menu:help$"))
    application.add_handler(CallbackQueryHandler(on_done_now, pattern=r"^klaar:\d+:[a-z_]+$"))
    application.add_handler(CallbackQueryHandler(on_vigc_help, pattern=r"^hulp:\d+$"))
    application.add_handler(CommandHandler("contact", on_vigc_help))
    application.add_handler(CommandHandler("mijngegevens", on_my_data))
    application.add_handler(CallbackQueryHandler(on_calendar, pattern=AGENDA_PATTERN))

    for staff_handler in staff_handlers(staff):
        application.add_handler(staff_handler)

    # Catch-alls last: only what no flow or command claimed reaches them.
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    application.add_handler(CallbackQueryHandler(on_stale_button))
    application.add_handler(MessageHandler(filters.ALL, on_free_text))

    # Group 1 runs after the handler above has finished: commit conversation states and
    # drafts now, so that a kill -9 right after a reply loses nothing.
    application.add_handler(TypeHandler(Update, _flush_persistence), group=1)
    application.add_error_handler(_on_error)


async def _flush_persistence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.application.update_persistence()


async def register_commands(application: BotApplication) -> None:
    """The Dutch command menu (`setMyCommands`), sent at every start."""
    await application.bot.set_my_commands(
        [BotCommand(name, command_description(name)) for name in CLIENT_COMMANDS]
    )
    await register_staff_menus(application, CLIENT_COMMANDS)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with the update id and tell the user; the bot never goes silent."""
    update_id = update.update_id if isinstance(update, Update) else None
    _LOGGER.error("Error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await context.bot.send_message(update.effective_chat.id, render("start/error"))
    except TelegramError:
        _LOGGER.warning("Could not tell chat %s about the error", update.effective_chat.id)
