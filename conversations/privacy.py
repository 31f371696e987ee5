"""/mijngegevens and /vergeetmij: what the bot stores about a client, handed over or erased."""

from __future__ import annotations

import json
import logging
from datetime import date

from bot import buttons
from bot.buttons import Keyboard, column
from bot.domain.enterprise import format_enterprise_number
from bot.domain.registration import DONE, STEP_COUNT
from bot.flows import Flow, Step, on
from bot.outbox import Kind
from bot.texts import label, render
from bot.turn import Turn
from storage.clients import get_client
from storage.invitations import release_invitations
from storage.privacy import export_client_data, forget_client

_LOGGER = logging.getLogger(__name__)
EXPORT_FILENAME = "mijn-gegevens-kmo-portefeuille.json"
# Dossiers listed by name in the summary; the file holds all of them.
MAX_LISTED = 20
_CONFIRM = "bevestigen"


async def begin(turn: Turn) -> None:
    """/vergeetmij: what will be erased, and an explicit yes or no before anything happens."""
    await turn.begin(FLOW, _CONFIRM)
    await ask_confirmation(turn)


async def ask_confirmation(turn: Turn) -> None:
    """Are you sure? (yes / no buttons)"""
    await turn.say("privacy/confirm", _confirm_keyboard())


async def retry_confirmation(turn: Turn) -> None:
    """Asks again for a yes or no with the buttons."""
    await turn.say("questions/use_buttons", _confirm_keyboard())


async def on_answer(turn: Turn, answer: str) -> None:
    """Yes: every row about the client is gone, the bot no longer knows them. No: nothing."""
    await turn.end()
    if answer != "ja":
        await turn.say("privacy/kept")
        return
    # What the client told VIGC about an invitation goes too; a questioned one is open again.
    await release_invitations(turn.tx, turn.user_id, turn.now)
    deleted = await forget_client(turn.tx, turn.user_id)
    _LOGGER.info("A client asked to be forgotten; rows deleted: %s", deleted)
    await turn.say("privacy/forgotten")


async def on_my_data(turn: Turn) -> None:
    """A readable summary of what is stored about the client, and all of it as a file."""
    tables = await export_client_data(turn.tx, turn.user_id)
    if not tables:
        await turn.say("privacy/nothing_stored")
        return
    client = await get_client(turn.tx, turn.user_id)
    dossiers = [
        {"title": row["title"], "start": date.fromisoformat(row["start_date"])}
        for row in tables.get("dossiers", [])
    ]
    await turn.say(
        "privacy/summary",
        client=client,
        enterprise_number=(
            format_enterprise_number(client.enterprise_number)
            if client and client.enterprise_number
            else None
        ),
        registration_step=client.registration_step if client else 0,
        done=DONE,
        total=STEP_COUNT,
        dossiers=dossiers,
        shown=MAX_LISTED,
        reminders=sum(
            1
            for row in tables.get("reminders", [])
            if row.get("status") == "pending" and row.get("audience") == "client"
        ),
        rows=sum(len(rows) for rows in tables.values()),
    )
    export = {"user_id": turn.user_id, "exported_at": turn.now.isoformat(), "tables": tables}
    content = json.dumps(export, ensure_ascii=False, indent=2, sort_keys=True).encode()
    await turn.send_file(Kind.DOCUMENT, content, EXPORT_FILENAME, render("privacy/file_caption"))


def _confirm_keyboard() -> Keyboard:
    return column(
        [
            buttons.FORGET.button(label("forget_yes"), "ja"),
            buttons.FORGET.button(label("forget_no"), "nee"),
        ]
    )


FLOW = Flow(
    name="vergeetmij",
    first=_CONFIRM,
    steps={
        _CONFIRM: Step(
            ask=ask_confirmation,
            buttons=(on(buttons.FORGET, on_answer),),
            retry=retry_confirmation,
        )
    },
)
