"""Upgrading a database of the version before the one-conversation design (c3090e0 and older).

That version kept python-telegram-bot's conversation states (numbers, per flow) in a
`conversations` table and the flows' answers in `user_data`. At the first start of this
version each user in the middle of a flow is put at the same question of the new flow, with
the answers they gave. Where the question waits for a button, it is asked again (the old
buttons no longer apply). A state that has no counterpart ends, with a message that says
how to start again. Then the two old tables are dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from bot.outbox import text_message
from bot.router import Router
from bot.services import Services
from bot.texts import render
from bot.turn import Turn
from storage.db import Tx
from storage.flows import FlowState, save_flow
from storage.outbox import enqueue

_LOGGER = logging.getLogger(__name__)

# (old conversation name, old state number) -> (flow, step) of this version, and whether the
# question is asked again: yes where it was answered with buttons (the old ones mean nothing
# any more) or where it is now another question; no where the client simply types on.
LEGACY_STATES: Mapping[tuple[str, int], tuple[str, str, bool]] = {
    # /aanvraag now asks the start date right after the service and the agreement, the
    # rest once the dossier exists: whoever was between them is asked about the agreement
    # (the answers they gave come along into the dossier).
    ("aanvraag", 1): ("aanvraag", "dienst", True),
    ("aanvraag", 2): ("aanvraag", "overeenkomst", True),
    ("aanvraag", 3): ("aanvraag", "overeenkomst", True),
    ("aanvraag", 4): ("aanvraag", "overeenkomst", True),
    ("aanvraag", 5): ("aanvraag", "startdatum", False),
    ("aanvraag", 6): ("aanvraag", "ver_weg", True),
    ("aanvraag", 7): ("aanvraag", "overeenkomst", True),
    ("aanvraag", 8): ("aanvraag", "overeenkomst", True),
    ("stap", 1): ("stap", "datum", True),
    ("wijzig", 1): ("wijzig", "dossier", True),
    ("wijzig", 2): ("wijzig", "veld", True),
    ("wijzig", 3): ("wijzig", "datum", False),
    ("registratie", 1): ("registratie", "bedrijfsnaam", False),
    ("registratie", 2): ("registratie", "ondernemingsnummer", True),
    # /berekenen now asks the service first (the size after the theme).
    ("berekenen", 1): ("berekenen", "dienst", True),
    ("berekenen", 2): ("berekenen", "startdatum", False),
    ("berekenen", 3): ("berekenen", "dienst", True),
    ("berekenen", 4): ("berekenen", "thema", True),
    ("berekenen", 5): ("berekenen", "bedrag", False),
    ("vergeetmij", 1): ("vergeetmij", "bevestigen", True),
    ("broadcast", 1): ("broadcast", "bericht", False),
    ("broadcast", 2): ("broadcast", "doelgroep", True),
    ("broadcast", 3): ("broadcast", "bevestigen", True),
}


async def upgrade_legacy_state(services: Services, router: Router) -> int:
    """Move old conversation states into `flows` (once); returns how many users were moved."""
    async with services.db.transaction() as tx:
        if not await _has_table(tx, "conversations"):
            return 0
        drafts = {
            row["user_id"]: json.loads(row["data"])
            for row in await tx.fetch_all("SELECT user_id, data FROM user_data")
        }
        rows = await tx.fetch_all(
            "SELECT name, user_id, state FROM conversations WHERE user_id IS NOT NULL"
        )
        for row in rows:
            await _move(services, router, tx, row["name"], row["user_id"], row["state"], drafts)
        await tx.execute("DROP TABLE conversations")
        await tx.execute("DROP TABLE user_data")
    if rows:
        _LOGGER.info("Upgrade: %s conversations moved to the new flows", len(rows))
        services.outbox_wakeup.set()
    return len(rows)


async def _move(
    services: Services,
    router: Router,
    tx: Tx,
    name: str,
    user_id: int,
    raw_state: str,
    drafts: Mapping[int, Mapping[str, Any]],
) -> None:
    target = LEGACY_STATES.get((name, _number(raw_state)))
    flow = router.flows.get(target[0]) if target else None
    if target is None or flow is None or target[1] not in flow.steps:
        await enqueue(
            tx, text_message(user_id, render("flow/upgraded_ended")), services.clock.now()
        )
        return
    draft = dict(drafts.get(user_id, {}).get(name, {}))
    state = FlowState(flow.name, target[1], draft)
    step = flow.steps[target[1]]
    if target[2]:
        turn = Turn(services, tx, user_id, router.flows, state)
        await turn.say("flow/upgraded_again")
        await step.ask(turn)
        await turn.save()
    else:
        await save_flow(tx, user_id, state, services.clock.now())


def _number(raw: str) -> int:
    try:
        return int(json.loads(raw))
    except (ValueError, TypeError):
        return -1


async def _has_table(tx: Tx, name: str) -> bool:
    row = await tx.fetch_one(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    )
    return row is not None
