"""Which handler an update goes to: the one place that reads commands, text and presses.

- A command does what it says, also in the middle of a flow: that flow waits as a draft
  (its command offers to continue it) and a short note says how to come back. Unknown
  commands, and staff commands typed by anyone else, get the unknown-command answer.
- Text, documents and stickers go to the step the user is in, or get a pointer to /help;
  a document from staff is an enrolment list to import (unless the step asks for a file).
- A press is parsed by the button registry. A button of a flow counts only if the user's
  current step offered exactly that data; "anywhere" buttons go to their handler, which
  checks they still apply. A button pressed by someone the bot has forgotten
  (/vergeetmij) gets a short answer and recreates nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from telegram import Message, MessageEntity

from bot import buttons
from bot.buttons import ButtonKind
from bot.flows import ButtonRoute, Flow
from bot.reminders import resume_reminders
from bot.turn import Turn
from storage.clients import get_client, reactivate, upsert_client

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[Turn], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    staff_only: bool = False
    # Typing the command makes the user a known client (or refreshes their name). Commands
    # that only show or calculate store nothing about whoever uses them.
    registers_client: bool = False
    aliases: tuple[str, ...] = ()


class Router:
    def __init__(
        self,
        commands: Iterable[Command],
        anywhere: Iterable[ButtonRoute[Any]],
        flows: Iterable[Flow],
        *,
        cancel: Handler,
        free_text: Handler,
        unknown_command: Handler,
        stale_button: Handler,
        forgotten: Handler,
        flow_kept: Callable[[Turn, Flow], Awaitable[None]],
        document: Handler | None = None,
    ) -> None:
        self.commands: dict[str, Command] = {}
        for command in commands:
            for name in (command.name, *command.aliases):
                if name in self.commands:
                    raise ValueError(f"command /{name} registered twice")
                self.commands[name] = command
        self.anywhere: dict[ButtonKind[Any], ButtonRoute[Any]] = {}
        for route in anywhere:
            if not route.kind.anywhere:
                raise ValueError(f"{route.kind.prefix!r} is not an anywhere button")
            self.anywhere[route.kind] = route
        self.flows: dict[str, Flow] = {flow.name: flow for flow in flows}
        self._cancel = cancel
        self._free_text = free_text
        self._unknown_command = unknown_command
        self._stale_button = stale_button
        self._forgotten = forgotten
        self._flow_kept = flow_kept
        self._document = document

    async def route(self, turn: Turn) -> None:
        await self._welcome_back(turn)
        update = turn.update
        if update.callback_query is not None:
            await self._press(turn, update.callback_query.data or "")
        elif update.message is not None:
            await self._message(turn, update.message)
        await turn.save()

    # -- messages -------------------------------------------------------------------------

    async def _message(self, turn: Turn, message: Message) -> None:
        command = _command_of(message)
        if command is not None:
            name, turn.args = command
            await self._command(turn, name)
            return
        flow, step = turn.flow, turn.step
        current = flow.steps[step] if flow is not None and step is not None else None
        if message.document and current is not None and current.document is not None:
            await current.document(turn)
        elif message.document and self._document is not None and turn.is_staff:
            await self._document(turn)  # a list to import; a flow in progress stays where it is
        elif current is None:
            await self._free_text(turn)
        elif message.text and current.text is not None:
            await current.text(turn, message.text)
        else:
            await (current.retry or current.ask)(turn)

    async def _command(self, turn: Turn, name: str) -> None:
        command = self.commands.get(name)
        if command is not None and command.staff_only and not turn.is_staff:
            _LOGGER.warning("Staff command /%s tried by non-staff user %s", name, turn.user_id)
            command = None
        if command is None:
            await self._unknown_command(turn)  # the flow, if any, goes on
            return
        if command.handler is self._cancel:
            await self._cancel(turn)
            return
        if command.registers_client:
            await _remember(turn)
        await self._interrupting(turn, command.handler, command.name)

    async def _interrupting(self, turn: Turn, handler: Handler, command: str | None) -> None:
        """Run a command (or a button that acts like one); the flow it interrupts waits as
        a draft, and the user is told how to come back to it, unless it is that flow's own
        command (which offers to continue)."""
        kept = await turn.leave()
        if kept is not None and kept.command != command:
            await self._flow_kept(turn, kept)
        await handler(turn)

    # -- presses --------------------------------------------------------------------------

    async def _press(self, turn: Turn, data: str) -> None:
        parsed = buttons.parse(data)
        if parsed is None or (parsed[0].staff_only and not turn.is_staff):
            await self._retire_pressed(turn, None)
            await self._stale_button(turn)
            return
        kind, value = parsed
        await self._retire_pressed(turn, kind)
        if kind.anywhere:
            await self._anywhere(turn, kind, value)
            return
        flow, step = turn.flow, turn.step
        if flow is None and not await self._known(turn):
            await self._forgotten(turn)  # an old button of someone the bot does not know
            return
        current = flow.steps[step] if flow is not None and step is not None else None
        route = current.route(kind) if current is not None else None
        if current is not None and route is not None and data in turn.offered:
            await route.handler(turn, value)
        elif current is not None and flow is not None and kind in flow.kinds:
            await (current.retry or current.ask)(turn)  # an older button of this flow
        else:
            await self._stale_button(turn)

    async def _anywhere(self, turn: Turn, kind: ButtonKind[Any], value: Any) -> None:
        known = await self._known(turn)
        if kind is buttons.MENU:
            # A menu button is its command, typed, except that it recreates nobody: the
            # calculator and help work for anyone, the rest only for a known client.
            command = self.commands.get(value)
            if known or (command is not None and not command.registers_client):
                await self._command(turn, value)
            else:
                await self._forgotten(turn)
            return
        if not known:
            await self._forgotten(turn)  # pressing an old button recreates nobody
            return
        route = self.anywhere.get(kind)
        if route is None:
            await self._stale_button(turn)
            return
        if route.offered is not None and not await route.offered(turn, value):
            if route.otherwise is None:
                await self._stale_button(turn)
            else:
                await route.otherwise(turn, value)  # says how things stand; changes nothing
            return
        if kind.keeps_keyboard:
            await route.handler(turn, value)  # help or a file: the flow goes on
            return
        await self._interrupting(turn, lambda t: route.handler(t, value), kind.command)

    @staticmethod
    async def _known(turn: Turn) -> bool:
        return turn.is_staff or await get_client(turn.tx, turn.user_id) is not None

    async def _retire_pressed(self, turn: Turn, kind: ButtonKind[Any] | None) -> None:
        """A pressed keyboard goes, so that it cannot be pressed twice."""
        query = turn.update.callback_query
        message = query.message if query is not None else None
        if kind is not None and kind.keeps_keyboard:
            return
        if isinstance(message, Message) and message.reply_markup is not None:
            await turn.retire_keyboard(message.message_id)

    # -- clients --------------------------------------------------------------------------

    async def _welcome_back(self, turn: Turn) -> None:
        """A client who had blocked the bot and writes again gets their reminders back."""
        if turn.update.effective_user is None:
            return
        if await reactivate(turn.tx, turn.user_id, turn.now):
            _LOGGER.info("Client %s is back; their reminders are planned again", turn.user_id)
            await resume_reminders(turn.services, turn.tx, turn.user_id)


async def _remember(turn: Turn) -> None:
    user = turn.user
    await upsert_client(turn.tx, user.id, user.first_name, user.last_name, user.username, turn.now)


def _command_of(message: Message) -> tuple[str, list[str]] | None:
    """("aanvraag", args) for "/aanvraag …" or "/Aanvraag@bot …"; None for anything else."""
    text = message.text or ""
    entity = next(iter(message.entities or ()), None)
    if entity is None or entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return None
    name = text[1 : entity.length].partition("@")[0].lower()
    return name, text[entity.length :].split()
