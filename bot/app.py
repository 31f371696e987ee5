"""The one wiring place: every command, every button that works anywhere, every flow.

Handlers live in `conversations/`, one module per flow; this module only says which
command, button or flow goes where. The router (`bot.router`) applies the rules that are
the same for all of them (commands in the middle of a flow, offered buttons, forgotten
clients).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Sequence

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot import buttons
from bot.config import Settings
from bot.flows import on
from bot.http import AiohttpRequest
from bot.router import Command, Router
from bot.texts import command_description
from conversations import (
    agenda,
    application,
    broadcast,
    calculator,
    change_date,
    common,
    details,
    dossiers,
    imports,
    invitation,
    invitations_admin,
    new_dossier,
    privacy,
    registration,
    staff,
    start,
)

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
# The staff commands, in the order of the staff menu (after the client commands).
STAFF_COMMANDS = (
    "dossiers",
    "nieuwdossier",
    "uitnodigingen",
    "bevestig",
    "broadcast",
    "broadcasts",
    "export",
)

COMMANDS = (
    # These three make the user a known client (the others store nothing about anyone).
    Command("start", start.on_start, registers_client=True),
    Command("registratie", registration.begin, registers_client=True),
    Command("aanvraag", application.begin, registers_client=True),
    Command("help", start.on_help, aliases=("hulp",)),
    Command("termijnen", dossiers.on_deadlines),
    Command("wijzig", change_date.begin),
    Command("contact", dossiers.on_contact),
    Command("berekenen", calculator.begin),
    Command("mijngegevens", privacy.on_my_data),
    Command("vergeetmij", privacy.begin),
    Command("annuleer", common.on_cancel),
    # VIGC staff only (STAFF_IDS); for anyone else the unknown-command answer.
    Command("dossiers", staff.on_dossiers, staff_only=True),
    Command("nieuwdossier", new_dossier.begin, staff_only=True),
    Command("uitnodigingen", invitations_admin.on_list, staff_only=True),
    Command("bevestig", staff.on_confirm, staff_only=True),
    Command("broadcast", broadcast.begin, staff_only=True),
    Command("broadcasts", staff.on_broadcasts, staff_only=True),
    Command("export", staff.on_export, staff_only=True),
)

# Buttons that work at any later time; their handlers check they still apply.
# (Menu buttons need no entry: the router treats "menu:<command>" as the typed command.)
# Those that change something say when they are still on offer (checked before any change).
ANYWHERE = (
    on(buttons.STEP, dossiers.on_step, dossiers.step_offered, dossiers.show_outdated),
    on(buttons.DONE_NOW, dossiers.on_done_now, dossiers.step_offered),
    on(buttons.VIGC_HELP, dossiers.on_vigc_help),
    on(buttons.CALENDAR, agenda.on_calendar),
    on(buttons.REG_DONE, registration.on_done, registration.at_step, registration.show_where),
    on(buttons.REG_HELP, registration.on_help),
    on(
        buttons.REG_LATER, registration.on_later, registration.in_progress, registration.show_where
    ),
    on(
        buttons.REG_ALREADY,
        registration.on_already_registered,
        registration.in_progress,
        registration.show_where,
    ),
    on(buttons.REG_AGAIN, registration.on_again, registration.finished, registration.show_where),
    on(buttons.STAFF_PAGE, staff.on_dossiers_page),
    on(buttons.DETAILS, details.on_complete, details.details_offered),
    # Staff: an enrolment list's preview, and the invitations not taken over yet.
    on(buttons.IMPORT, imports.on_import, imports.import_offered, imports.import_handled),
    on(buttons.INVITATIONS_PAGE, invitations_admin.on_page),
    on(buttons.INVITATION_CARD, invitations_admin.on_card),
    on(
        buttons.INVITATION,
        invitations_admin.on_action,
        invitations_admin.action_offered,
        invitations_admin.action_not_offered,
    ),
)

FLOWS = (
    application.FLOW,
    details.FLOW,
    calculator.FLOW,
    change_date.FLOW,
    registration.FLOW,
    dossiers.STEP_FLOW,
    privacy.FLOW,
    broadcast.FLOW,
    invitation.FLOW,
    new_dossier.FLOW,
    invitations_admin.FLOW,
)


def build_router() -> Router:
    return Router(
        COMMANDS,
        ANYWHERE,
        FLOWS,
        cancel=common.on_cancel,
        free_text=start.on_free_text,
        unknown_command=start.on_unknown_command,
        stale_button=start.on_stale_button,
        forgotten=start.on_forgotten,
        flow_kept=common.on_flow_kept,
        # A CSV or .xlsx that staff send (outside a step that asks for a file) is a list to
        # import.
        document=imports.on_document,
    )


def build_bot(settings: Settings) -> Bot:
    """The Bot API client: `settings.telegram_timeout` per request, polling on its own pool,
    over aiohttp (`bot/http.py`)."""
    # python-telegram-bot's timedelta durations (its next major's default): otherwise every
    # 429 (RetryAfter) comes with a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    timeout = settings.telegram_timeout
    return Bot(
        settings.telegram_bot_token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_file_base_url,
        request=AiohttpRequest(
            connection_pool_size=64,
            read_timeout=timeout,
            write_timeout=timeout,
            connect_timeout=timeout,
            pool_timeout=timeout,
            media_write_timeout=max(timeout, 20.0),
        ),
        get_updates_request=AiohttpRequest(
            connection_pool_size=1, read_timeout=timeout, connect_timeout=timeout
        ),
    )


async def register_commands(bot: Bot, staff_ids: Collection[int]) -> set[int]:
    """The Dutch command menu (`setMyCommands`), and the staff menu in each staff member's
    chat; returns the staff members whose menu could not be set yet."""
    await bot.set_my_commands(_menu(CLIENT_COMMANDS))
    return {staff_id for staff_id in sorted(staff_ids) if not await set_staff_menu(bot, staff_id)}


async def set_staff_menu(bot: Bot, staff_id: int) -> bool:
    """Client and staff commands, in this staff member's private chat only."""
    try:
        await bot.set_my_commands(
            _menu((*CLIENT_COMMANDS, *STAFF_COMMANDS)), scope=BotCommandScopeChat(staff_id)
        )
    except TelegramError as exc:
        # Telegram knows the chat only once the staff member has written to the bot.
        _LOGGER.info("Staff menu for %s not set yet: %s", staff_id, exc)
        return False
    return True


def _menu(names: Sequence[str]) -> list[BotCommand]:
    return [BotCommand(name, command_description(name)) for name in names]
