"""The bot's own advice never leads into a wall: every command a message suggests works at
the moment the message is read, also in the middle of a flow."""

from __future__ import annotations

import re

from bot.emulator import FakeUser, SentMessage
from bot.runner import BotRuntime
from tests.e2e.conftest import STANDARD_THEME, create_dossier, press, say, walk_to_start_date

UNKNOWN = "Dat commando ken ik niet"
ERROR = "er ging iets mis"
_COMMAND = re.compile(r"(?<![\w/:.])/([a-z]+)\b(?![/.])")


async def _each_suggestion_works(
    user: FakeUser, message: SentMessage, runtime: BotRuntime
) -> None:
    """Types every command the message names, one after the other, as a reader would."""
    for command in dict.fromkeys(_COMMAND.findall(message.text)):
        await user.send(f"/{command}")
        await runtime.settle()
        replies = await user.wait_until_idle()
        assert replies, command
        for reply in replies:
            assert UNKNOWN not in reply.text, (command, message.text)
            assert ERROR not in reply.text, (command, message.text)


async def test_the_suggestions_of_the_main_messages(runtime: BotRuntime, client: FakeUser) -> None:
    for text in ("/start", "/help", "hallo"):
        [message] = await say(client, text)
        await _each_suggestion_works(client, message, runtime)
    [ask_service] = await say(client, "/aanvraag")  # suggests /registratie, mid-flow
    assert "/registratie" in ask_service.text
    await _each_suggestion_works(client, ask_service, runtime)


async def test_registratie_suggested_during_aanvraag_works_when_typed_there(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [ask_service] = await say(client, "/aanvraag")
    assert "/registratie" in ask_service.text
    [step1] = await say(client, "/registratie")
    assert "Stap 1 van 6" in step1.text
    [ask_service] = await say(client, "/aanvraag")  # the application starts again
    assert ask_service.buttons == ["Opleiding", "Advies"]


async def test_nog_niet_ends_the_flow_and_the_next_command_works(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await say(client, "/aanvraag")
    await press(client, "Opleiding")
    [first] = await press(client, "Nog niet")
    assert "Schrijf u eerst in" in first.text
    await _each_suggestion_works(client, first, runtime)  # /aanvraag and /contact
    [help_text] = await say(client, "/help")
    assert "Wat kan ik voor u doen?" in help_text.text


async def test_suggestions_around_a_dossier(runtime: BotRuntime, client: FakeUser) -> None:
    await walk_to_start_date(client)
    deadline, ask_theme = await say(client, "1/12/2026", replies=2)
    await _each_suggestion_works(client, deadline, runtime)  # /termijnen, mid-details
    await create_dossier(client, "Tweede", "2/12/2026")
    header, *_ = await say(client, "/termijnen", replies=3)
    await _each_suggestion_works(client, header, runtime)  # /wijzig
    await say(client, "/berekenen")
    await press(client, "Advies")
    [honest] = await press(client, "Nee, over iets anders")
    await _each_suggestion_works(client, honest, runtime)  # /contact
    assert STANDARD_THEME in ask_theme.buttons
