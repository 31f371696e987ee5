"""Who is VIGC staff, the staff command menu, and the log of others trying staff commands.

Staff handlers carry `staff_filter`: for anyone else they do not match, so the update falls
through to the unknown-command answer, word for word what any unknown command gets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.services import get_services_of
from bot.texts import command_description

_LOGGER = logging.getLogger(__name__)

# The staff commands, in the order of the staff menu (after the client commands).
STAFF_COMMANDS = ("dossiers", "bevestig", "broadcast", "broadcasts", "export")
_MENU_DONE = "staff_menus_set"
_CLIENT_COMMANDS = "client_commands"

BotApplication = Application[Any, Any, Any, Any, Any, Any]


def staff_filter(staff_ids: Collection[int]) -> filters.User:
    """Matches updates from VIGC staff only (none when STAFF_IDS is empty)."""
    return filters.User(user_id=sorted(staff_ids))


def staff_handlers_for_logging(
    staff: filters.User,
) -> list[MessageHandler[Any, Any]]:
    """Group -2 handlers that only log, never answer: a staff command from someone else,
    and a first message from staff whose menu could not be set at start-up."""
    names = "|".join(STAFF_COMMANDS)
    attempt = filters.Regex(re.compile(rf"^/({names})(@\w+)?(\s|$)", re.IGNORECASE))
    return [
        MessageHandler(filters.TEXT & attempt & ~staff, on_staff_command_attempt),
        MessageHandler(staff, on_staff_seen),
    ]


async def on_staff_command_attempt(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nothing visible: the attempt is logged; the unknown-command answer follows as usual."""
    user = update.effective_user
    message = update.effective_message
    command = (message.text or "").split(maxsplit=1)[0] if message else ""
    _LOGGER.warning(
        "Staff command %s tried by non-staff user %s", command, user.id if user else None
    )


async def on_staff_seen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nothing visible: makes sure this staff member's chat shows the staff menu."""
    user = update.effective_user
    done: set[int] = context.bot_data.setdefault(_MENU_DONE, set())
    if user is None or user.id in done:
        return
    if await set_staff_menu(context.bot, user.id, context.bot_data.get(_CLIENT_COMMANDS, ())):
        done.add(user.id)


async def register_staff_menus(
    application: BotApplication, client_commands: Sequence[str]
) -> None:
    """At start-up, after the default menu: the staff menu in each staff member's chat."""
    application.bot_data[_CLIENT_COMMANDS] = tuple(client_commands)
    done: set[int] = application.bot_data.setdefault(_MENU_DONE, set())
    for staff_id in sorted(get_services_of(application).settings.staff_ids):
        if await set_staff_menu(application.bot, staff_id, client_commands):
            done.add(staff_id)


async def set_staff_menu(bot: Bot, staff_id: int, client_commands: Sequence[str]) -> bool:
    """Client and staff commands in this staff member's private chat only."""
    commands = [
        BotCommand(name, command_description(name)) for name in (*client_commands, *STAFF_COMMANDS)
    ]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(staff_id))
    except TelegramError as exc:
        # Telegram knows the chat only once the staff member has written to the bot.
        _LOGGER.info("Staff menu for %s not set yet: %s", staff_id, exc)
        return False
    return True
