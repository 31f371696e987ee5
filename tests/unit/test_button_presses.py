"""Every registered button kind, pressed with any value, by anyone, in any step of any flow:
nothing changes that the bot did not offer to that user.

Hypothesis picks the user (a client, another client, a stranger, staff), the conversation
step they are in (reached by asking that step's real question, so its offered buttons are
the real ones), and the pressed data (a registered prefix with a plausible or random value,
or anything at all). The router runs the press in a transaction that is rolled back after
looking: the domain tables and the conversation must be unchanged unless the data was on
offer to that user at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot import buttons
from bot.app import FLOWS, build_router
from bot.clock import Clock
from bot.config import load_settings
from bot.domain.invitations import new_code
from bot.domain.progress import Step, next_step
from bot.domain.registration import STEP_COUNT
from bot.domain.rules import load_rules
from bot.router import Router
from bot.services import Services
from bot.turn import Turn
from conversations.common import RESUME_STEP
from storage.clients import advance_registration, upsert_client
from storage.db import Database, Tx
from storage.dossiers import NewDossier, create_dossier, list_open_dossiers, record_step
from storage.flows import active_flow
from storage.invitations import NewInvitation, create_invitation, waiting_invitations

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CLIENT, OTHER, STRANGER, STAFF = 1001, 1002, 1003, 900
USERS = (CLIENT, OTHER, STRANGER, STAFF)
# Enough of a draft for each step's question to be asked (the answers before it).
DRAFTS: dict[tuple[str, str], dict[str, Any]] = {
    ("aanvraag", "overeenkomst"): {"service": "advies"},
    ("aanvraag", "startdatum"): {"service": "opleiding"},
    ("aanvraag", "ver_weg"): {"service": "opleiding", "pending_start": "2028-01-01"},
    ("aanvraag", "thema"): {"service": "advies", "start": "2026-11-27"},
    **{
        ("aanvullen", step): {
            "dossier": 1,
            "start": "2026-11-27",
            "service": "opleiding",
            "size": "klein",
            "pending_amount": "50",
        }
        for step in ("thema", "titel", "grootte", "bedrag", "minimum")
    },
    ("berekenen", "dienst"): {"start": "2026-11-28"},
    ("berekenen", "startdatum"): {"start": "2026-11-28"},
    ("berekenen", "thema"): {"start": "2026-11-28", "service": "opleiding"},
    ("berekenen", "grootte"): {"start": "2026-11-28", "service": "opleiding", "theme": "algemeen"},
    ("berekenen", "bedrag"): {
        "start": "2026-11-28",
        "size": "klein",
        "service": "opleiding",
        "theme": "algemeen",
    },
    ("stap", "datum"): {"dossier": 1, "step": "filed"},
    ("wijzig", "veld"): {"dossier": 2},
    ("wijzig", "datum"): {"dossier": 2, "field": "start"},
    ("registratie", "bedrijfsnaam"): {"after": 4, "then": 5},
    ("registratie", "ondernemingsnummer"): {"after": 4, "then": 5, "company": "C"},
    **{
        ("nieuwdossier", step): {
            "for_staff": True,
            "company": "C",
            "number": None,
            "start": "2026-11-27",
            "service": "opleiding",
            "theme": "algemeen",
            "title": "Excel",
            "amount": None,
            "size": None,
            "contact": None,
        }
        for step in ("nummer", "startdatum", "dienst", "titel", "bedrag", "grootte", "contact")
    },
    ("nieuwdossier", "thema"): {"for_staff": True, "start": "2026-11-27", "service": "advies"},
    ("nieuwdossier", "bevestigen"): {
        "for_staff": True,
        "company": "C",
        "number": None,
        "start": "2026-11-27",
        "service": "opleiding",
        "theme": "algemeen",
        "title": "Excel",
    },
    ("uitnodiging", "controleren"): {"invitation": 1},
    ("uitnodiging", "opmerking"): {"invitation": 1},
    ("uitnodiging_corrigeren", "veld"): {"invitation": 1},
    ("uitnodiging_corrigeren", "waarde"): {"invitation": 1, "field": "titel"},
    ("broadcast", "doelgroep"): {"text": "Nieuws"},
    ("broadcast", "bevestigen"): {"text": "Nieuws", "audience": "all"},
}
STATES: list[tuple[str, str] | None] = [
    None,
    *[
        (flow.name, step)
        for flow in FLOWS
        for step in flow.steps
        if step != RESUME_STEP and (flow.name != "broadcast")
    ],
    ("broadcast", "bericht"),
    ("broadcast", "doelgroep"),
    ("broadcast", "bevestigen"),
]
# Flows only a known client can be in (their commands record the client): a stranger is
# never in one (and /vergeetmij ends any flow).
CLIENT_FLOWS = {"aanvraag", "aanvullen", "wijzig", "registratie", "stap", "uitnodiging"}
WORDS = (
    "ja",
    "nee",
    "opleiding",
    "advies",
    "algemeen",
    "cybersecurity",
    "klein",
    "wijzig",
    "start",
    "confirmed",
    "all",
    "open",
    "aanvraag",
    "termijnen",
    "help",
    "x",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with two clients (dossiers at different steps), made once."""
    path = tmp_path_factory.mktemp("presses") / "bot.sqlite3"

    async def build() -> None:
        db = Database(path)
        await db.open()
        for user_id in (CLIENT, OTHER):
            await upsert_client(db, user_id, "Klant", None, None, NOW)
        await advance_registration(db, CLIENT, 0, 3, NOW)
        await create_dossier(db, _dossier(CLIENT, "Nieuw", date(2026, 11, 27)), NOW)
        filed = await create_dossier(db, _dossier(CLIENT, "Ingediend", date(2026, 11, 20)), NOW)
        await record_step(db, filed, Step.FILED, date(2026, 11, 25), NOW)
        await create_dossier(db, _dossier(OTHER, "Van een ander", date(2026, 11, 26)), NOW)
        invitation = NewInvitation(
            "kbo:0123456749|excel|2026-11-27",
            "Bedrijf",
            "0123456749",
            "opleiding",
            "algemeen",
            "Excel",
            date(2026, 11, 27),
            date(2026, 12, 11),
        )
        await create_invitation(db, invitation, new_code(), STAFF, NOW)
        await db.close()

    asyncio.run(build())
    return path


def _dossier(client: int, title: str, start: date) -> NewDossier:
    return NewDossier(client, "opleiding", "algemeen", title, start)


@pytest.fixture
def copy_of_world(world: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bot.sqlite3"
    copy.write_bytes(world.read_bytes())
    return copy


@pytest.fixture
async def db(copy_of_world: Path) -> AsyncIterator[Database]:
    database = Database(copy_of_world)
    await database.open()
    yield database
    await database.close()


class _UndoError(Exception):
    """Ends the example's transaction without keeping anything."""


def _press_update(user_id: int, data: str) -> Update:
    sender = {"id": user_id, "is_bot": False, "first_name": "Klant"}
    message = {"message_id": 5, "date": 0, "chat": {"id": user_id, "type": "private"}}
    payload = {
        "update_id": 1,
        "callback_query": {
            "id": "q",
            "from": sender,
            "chat_instance": "c",
            "data": data,
            "message": {**message, "text": "x"},
        },
    }
    return Update.de_json(payload, None)


def _pressed_data() -> st.SearchStrategy[str]:
    kinds = buttons.registered()
    plausible = st.tuples(
        st.sampled_from(kinds),
        st.one_of(
            st.sampled_from(WORDS),
            st.integers(0, 7).map(str),
            st.tuples(st.integers(0, 5), st.sampled_from([s.value for s in Step])).map(
                lambda pair: f"{pair[0]}:{pair[1]}"
            ),
            st.text(max_size=12),
            st.just(""),
        ),
    ).map(lambda pair: f"{pair[0].prefix}:{pair[1]}" if pair[1] else pair[0].prefix)
    return st.one_of(plausible, st.text(max_size=70))


async def _snapshot(tx: Tx, user_id: int) -> dict[str, Any]:
    """What a press must not change unless it was offered: domain rows and the conversation."""
    tables = {}
    for table, order in (
        ("clients", "user_id"),
        ("dossiers", "id"),
        ("reminders", "id"),
        ("broadcasts", "id"),
        ("staff_audit", "id"),
        ("invitations", "id"),
        ("imports", "id"),
    ):
        rows = await tx.fetch_all(f"SELECT * FROM {table} ORDER BY {order}")
        tables[table] = [
            {k: row[k] for k in row.keys() if k != "updated_at"}  # noqa: SIM118 (a Row)
            for row in rows
        ]
    state = await active_flow(tx, user_id)
    tables["flow"] = None if state is None else (state.flow, state.step, state.draft)
    return tables


async def _offered_anywhere(services: Services, tx: Tx, user_id: int) -> set[str]:
    """The "anywhere" buttons this user could have been shown now."""
    offered = {f"menu:{item}" for item in buttons.MENU_ITEMS}
    for dossier in await list_open_dossiers(tx, user_id):
        step = next_step(dossier, services.rules.scheme_for(dossier.start_date))
        offered |= {f"hulp:{dossier.id}", f"agenda:{dossier.id}", f"aanvul:{dossier.id}"}
        if step is not None:
            offered |= {f"stap:{dossier.id}:{step.value}", f"klaar:{dossier.id}:{step.value}"}
    row = await tx.fetch_one("SELECT registration_step FROM clients WHERE user_id = ?", (user_id,))
    if row is not None:
        current = row["registration_step"]
        offered |= {f"reg:gedaan:{current}", f"reg:hulp:{current}"}
        offered |= {"reg:later", "reg:al", "reg:opnieuw"}
    if services.is_staff(user_id):
        offered |= {f"dos:{page}" for page in range(1, 100)}
        offered |= {f"uitp:{page}" for page in range(1, 100)}
        for invitation in await waiting_invitations(tx, NOW.date()):
            offered.add(f"uitk:{invitation.id}")
            offered |= {f"uita:{invitation.id}:{a}" for a in buttons.INVITATION_ACTIONS}
    return offered


async def _into_state(turn: Turn, router: Router, state: tuple[str, str] | None) -> None:
    if state is None:
        return
    flow = router.flows[state[0]]
    await turn.begin(flow, state[1], DRAFTS.get(state, {}))
    await flow.steps[state[1]].ask(turn)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user_id=st.sampled_from(USERS),
    state=st.sampled_from(STATES),
    data=_pressed_data(),
)
async def test_nothing_changes_that_was_not_offered(
    db: Database, user_id: int, state: tuple[str, str] | None, data: str
) -> None:
    assume(not (user_id == STRANGER and state is not None and state[0] in CLIENT_FLOWS))
    config = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_IDS": str(STAFF), "DATABASE_PATH": str(db.path)},
        env_file=None,
    )
    clock = Clock(config.timezone)
    clock.travel_to(NOW)
    services = Services(config, db, load_rules(), clock)
    router = build_router()
    with contextlib.suppress(_UndoError):  # the example's changes are rolled back
        async with db.transaction() as tx:
            setup = Turn(services, tx, user_id, router.flows, None)
            await _into_state(setup, router, state)
            await setup.save()
            current = await active_flow(tx, user_id)
            offered = set(current.offered if current else ()) | await _offered_anywhere(
                services, tx, user_id
            )
            before = await _snapshot(tx, user_id)
            update = _press_update(user_id, data)
            turn = Turn(services, tx, user_id, router.flows, current, update)
            await router.route(turn)
            after = await _snapshot(tx, user_id)
            if data not in offered:
                assert after == before, (user_id, state, data)
            raise _UndoError


def test_every_state_of_every_flow_is_covered() -> None:
    covered = {state for state in STATES if state is not None}
    expected = {(flow.name, step) for flow in FLOWS for step in flow.steps if step != RESUME_STEP}
    assert covered == expected
    assert len(list(itertools.chain(*(flow.steps for flow in FLOWS)))) > 15
    assert STEP_COUNT == 6
