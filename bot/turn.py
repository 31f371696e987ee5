"""One update being handled: who did what, where they are in a conversation, what to send.

Everything a handler does goes through its `Turn`, inside the update's one transaction:
database writes through `turn.tx`, messages as outbox rows (`say`, `send`, ...), and the
user's place in a conversation (`begin`, `ask`, `end`). The transaction commits all of it,
together with the update's "handled" mark, or none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from telegram import Update, User

from bot import buttons
from bot.buttons import Keyboard
from bot.domain.rules import Rules
from bot.flows import Flow
from bot.outbox import Kind, edit_markup, edit_text, file_message, text_message
from bot.services import Services
from bot.texts import render
from storage.db import Tx
from storage.flows import FlowState, drop_flow, pause_flow, paused_flow, save_flow
from storage.outbox import NewMessage, enqueue


class Turn:
    def __init__(
        self,
        services: Services,
        tx: Tx,
        user_id: int,
        flows: Mapping[str, Flow],
        state: FlowState | None,
        update: Update | None = None,
    ) -> None:
        self.services = services
        self.tx = tx
        self.user_id = user_id
        self._update = update
        self.now: datetime = services.clock.now()  # one moment for the whole update
        self.args: list[str] = []  # words after a command
        self._flows = flows
        self._state = state if state is not None and state.flow in flows else None
        self._offers: list[str] | None = None  # flow buttons sent since the last step change
        self.sent: list[int] = []  # outbox rows written by this turn

    # -- who, what, when ------------------------------------------------------------------

    @property
    def update(self) -> Update:
        """What the user did (every turn but the upgrade's has one)."""
        if self._update is None:
            raise RuntimeError("this turn has no update")
        return self._update

    @property
    def user(self) -> User:
        user = self.update.effective_user
        if user is None:
            raise RuntimeError("update without a user")
        return user

    @property
    def chat_id(self) -> int:
        # The bot talks in private chats only: the chat is the user.
        return self.user_id

    @property
    def is_staff(self) -> bool:
        return self.services.is_staff(self.user_id)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.services.settings.timezone).date()

    @property
    def rules(self) -> Rules:
        return self.services.rules

    # -- sending (rows in the outbox, delivered after the commit) -------------------------

    async def say(self, template: str, keyboard: Keyboard | None = None, **values: Any) -> int:
        """Render a template and send it; returns the outbox row (edits may refer to it)."""
        return await self.send(render(template, **values), keyboard)

    async def send(
        self,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        source: str | None = None,
        source_id: int | None = None,
    ) -> int:
        """Send Telegram HTML as it is (rendered already, or staff's own formatted text)."""
        return await self.enqueue(
            text_message(self.chat_id, text, keyboard, source=source, source_id=source_id),
            keyboard,
        )

    async def send_file(
        self, kind: Kind, data: bytes, filename: str, caption: str | None = None
    ) -> int:
        return await self.enqueue(file_message(self.chat_id, kind, data, filename, caption))

    async def edit_text(self, message_id: int, text: str, keyboard: Keyboard | None = None) -> int:
        return await self.enqueue(
            edit_text(self.chat_id, text, message_id=message_id, keyboard=keyboard), keyboard
        )

    async def retire_keyboard(self, message_id: int) -> None:
        """Take the buttons off a message, so that it cannot be pressed again."""
        await self.enqueue(edit_markup(self.chat_id, message_id))

    async def enqueue(self, message: NewMessage, keyboard: Keyboard | None = None) -> int:
        row = await enqueue(self.tx, message, self.now)
        self.sent.append(row)
        if keyboard:
            self._offered(keyboard)
        return row

    def _offered(self, keyboard: Keyboard) -> None:
        data = [
            button.data
            for row in keyboard
            for button in row
            if (parsed := buttons.parse(button.data)) is not None and not parsed[0].anywhere
        ]
        if data:
            self._offers = [*(self._offers or []), *data]

    # -- the user's place in a conversation -----------------------------------------------

    @property
    def flow(self) -> Flow | None:
        return None if self._state is None else self._flows[self._state.flow]

    @property
    def step(self) -> str | None:
        return None if self._state is None else self._state.step

    @property
    def offered(self) -> list[str]:
        return [] if self._state is None else self._state.offered

    @property
    def draft(self) -> dict[str, Any]:
        """The answers of the current flow so far (JSON values only: they are stored)."""
        if self._state is None:
            raise RuntimeError("no flow in progress")
        return self._state.draft

    async def begin(self, flow: Flow, step: str, draft: dict[str, Any] | None = None) -> None:
        """Start `flow` afresh at `step`; the flow the user was in waits as a draft."""
        await self.leave()
        await drop_flow(self.tx, self.user_id, flow.name)
        self._check_step(flow, step)
        self._state = FlowState(flow.name, step, dict(draft or {}))
        self._offers = []

    async def resume(self, flow: Flow) -> bool:
        """Continue a paused draft of `flow` where it stopped; False when there is none."""
        paused = await paused_flow(self.tx, self.user_id, flow.name)
        if paused is None or paused.step not in flow.steps:
            return False
        await self.leave()
        self._state = paused
        self._offers = []
        return True

    def go(self, step: str) -> None:
        """Move to another step of the current flow (its question comes next)."""
        flow = self.flow
        if flow is None or self._state is None:
            raise RuntimeError(f"go({step!r}) outside a flow")
        self._check_step(flow, step)
        self._state.step = step
        self._offers = []

    async def ask(
        self, step: str, template: str, keyboard: Keyboard | None = None, **values: Any
    ) -> None:
        """Move to `step` and ask its question: the buttons sent are what it accepts."""
        self.go(step)
        await self.say(template, keyboard, **values)

    async def end(self) -> None:
        """The flow is over: its answers are forgotten."""
        if self._state is not None:
            await drop_flow(self.tx, self.user_id, self._state.flow)
            self._state = None

    async def leave(self) -> Flow | None:
        """Step out of the current flow: kept as a draft when it keeps one, else ended."""
        flow, state = self.flow, self._state
        if flow is None or state is None:
            return None
        self._state = None
        if flow.keeps_draft and state.step != flow.first:
            await save_flow(self.tx, self.user_id, self._finished(state), self.now)
            await pause_flow(self.tx, self.user_id, flow.name)
            return flow
        await drop_flow(self.tx, self.user_id, flow.name)
        return None

    async def save(self) -> None:
        """Store where the user is now (called once, at the end of the update)."""
        if self._state is not None:
            await save_flow(self.tx, self.user_id, self._finished(self._state), self.now)

    def _finished(self, state: FlowState) -> FlowState:
        if self._offers is not None:
            state.offered = self._offers
        return state

    @staticmethod
    def _check_step(flow: Flow, step: str) -> None:
        if step not in flow.steps:
            raise ValueError(f"flow {flow.name!r} has no step {step!r}")
