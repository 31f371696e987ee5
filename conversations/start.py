"""Welcome, help, and the friendly answers for everything outside a flow."""

from __future__ import annotations

from bot import buttons
from bot.buttons import Button, Keyboard, column
from bot.domain.registration import NOT_STARTED, STEP_COUNT, in_progress
from bot.texts import label
from bot.turn import Turn
from conversations import invitation
from storage.clients import get_client


def main_menu(registration_step: int = NOT_STARTED) -> Keyboard:
    """The main menu, shared by /start and /help.

    A registration that was started but not finished comes first, to resume it; once it is
    finished, its button goes.
    """
    items: list[Button] = []
    if in_progress(registration_step):
        resume = label("menu_resume_registration", step=registration_step, total=STEP_COUNT)
        items.append(buttons.MENU.button(resume, "registratie"))
    items += [
        buttons.MENU.button(label("menu_application"), "aanvraag"),
        buttons.MENU.button(label("menu_deadlines"), "termijnen"),
    ]
    if registration_step == NOT_STARTED:
        items.append(buttons.MENU.button(label("menu_registration"), "registratie"))
    items += [
        buttons.MENU.button(label("menu_calculator"), "berekenen"),
        buttons.MENU.button(label("menu_help"), "help"),
    ]
    return column(items)


async def _registration_step(turn: Turn) -> int:
    client = await get_client(turn.tx, turn.user_id)
    return NOT_STARTED if client is None else client.registration_step


async def on_start(turn: Turn) -> None:
    """Welcome: what the bot does, and the main menu as buttons. Opened from a personal
    link (`/start <code>`): the project VIGC set up."""
    if turn.args:
        await invitation.open_link(turn, turn.args[0])
        return
    await turn.say(
        "start/welcome",
        main_menu(await _registration_step(turn)),
        first_name=turn.user.first_name,
        scheme=turn.rules.scheme_for(turn.today),
    )


async def on_help(turn: Turn) -> None:
    """The list of commands and the main menu."""
    await turn.say("start/help", main_menu(await _registration_step(turn)), staff=turn.is_staff)


async def on_unknown_command(turn: Turn) -> None:
    """A short pointer to /help for a command the bot does not know."""
    await turn.say("start/unknown_command")


async def on_free_text(turn: Turn) -> None:
    """A short pointer to /help for text, stickers, photos… outside a flow."""
    await turn.say("start/free_text")


async def on_stale_button(turn: Turn) -> None:
    """A press on a button that is no longer valid: say so and point to /termijnen."""
    await turn.say("start/stale_button")


async def on_forgotten(turn: Turn) -> None:
    """An old button of someone the bot no longer knows: how to begin again."""
    await turn.say("start/forgotten")
