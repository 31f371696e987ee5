"""/vergeetmij erases every row about a client; /mijngegevens hands them what is stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import CLIENT_ID, STANDARD_THEME, create_dossier, press, say

OTHER_ID = 1002


def _tables_mentioning(db_path: Path, user_id: int) -> dict[str, int]:
    """Per table, the rows that hold `user_id` in any INTEGER column (every table, generic)."""
    found: dict[str, int] = {}
    with sqlite3.connect(db_path) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            columns = [
                row[1]
                for row in conn.execute(f'PRAGMA table_info("{table}")')
                if "INT" in (row[2] or "").upper()
            ]
            if not columns:
                continue
            where = " OR ".join(f'"{column}" = ?' for column in columns)
            [count] = conn.execute(
                f'SELECT COUNT(*) FROM "{table}" WHERE {where}', [user_id] * len(columns)
            ).fetchone()
            if count:
                found[table] = count
    return found


def _lasting(tables: dict[str, int]) -> dict[str, int]:
    """Without the outbox: delivery records of messages, gone after a few days."""
    return {table: count for table, count in tables.items() if table != "outbox"}


def _contents_of_outbox(db_path: Path, chat_id: int) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        return {
            payload
            for (payload,) in conn.execute(
                "SELECT payload FROM outbox WHERE chat_id = ?", (chat_id,)
            )
        }


async def _build_up_a_history(client: FakeUser) -> None:
    """A client with a bit of everything: profile, company, dossier, reminders, a draft."""
    await say(client, "/start")
    await say(client, "/registratie")
    await press(client, "Ik ben al geregistreerd")
    await say(client, "Jansen bv")
    await say(client, "0123.456.749")
    await create_dossier(client, "Veilig werken", "1/12/2026", size="Middelgroot", amount="3000")
    # Half-way through a calculation: a conversation state and a draft are stored too.
    await say(client, "/berekenen")
    await press(client, "Opleiding")


async def test_vergeetmij_leaves_no_row_with_the_users_id(
    runtime: BotRuntime,
    client: FakeUser,
    emulator: BotApiEmulator,
    settings: Settings,
    clock: Clock,
) -> None:
    other = emulator.user(OTHER_ID, "Els")  # another client, who must keep everything
    await say(other, "/registratie")
    await _build_up_a_history(client)

    kept, confirm = await say(client, "/vergeetmij", replies=2)  # mid-calculation: honoured
    assert "zijn bewaard" in kept.text  # the calculation waits (until erased with the rest)
    assert "Al uw gegevens wissen?" in confirm.text
    assert confirm.buttons == ["Ja, wis al mijn gegevens", "Nee, niets wissen"]
    before = _tables_mentioning(settings.database_path, CLIENT_ID)
    assert {"clients", "dossiers", "reminders", "flows"} <= set(before)

    [unclear] = await say(client, "ja hoor")
    assert "Kies een van de knoppen" in unclear.text
    [forgotten] = await press(client, "Ja, wis al mijn gegevens")
    assert "Al uw gegevens zijn gewist" in forgotten.text
    await runtime.sender.wait_until_idle()
    # Only the delivery record of that last message, without its content.
    assert _tables_mentioning(settings.database_path, CLIENT_ID) == {"outbox": 1}
    assert _contents_of_outbox(settings.database_path, CLIENT_ID) == {"{}"}
    assert _lasting(_tables_mentioning(settings.database_path, OTHER_ID)) == {"clients": 1}

    # Old buttons recreate nothing; typing is a new message (kept only until answered).
    await client.press("Ja, wis al mijn gegevens", confirm)
    [old_button] = await client.wait_for_messages()
    assert "Typ /start" in old_button.text
    [free_text] = await say(client, "1000")  # the calculation is gone: just text now
    assert "/help" in free_text.text
    await runtime.stop()
    left = _tables_mentioning(settings.database_path, CLIENT_ID)
    assert set(left) <= {"outbox"}, left  # delivery records, without their content
    assert _contents_of_outbox(settings.database_path, CLIENT_ID) == {"{}"}

    # After a restart, /start meets a new client.
    restarted = BotRuntime(settings, clock)
    await restarted.start()
    try:
        [welcome] = await say(client, "/start")
        assert "🪪 Registreren op kmo-portefeuille.be" in welcome.buttons
        [none] = await say(client, "/termijnen")
        assert "geen lopende dossiers" in none.text
        [ask_service] = await say(client, "/aanvraag")
        assert "Nog niet geregistreerd" in ask_service.text
    finally:
        await restarted.stop()


async def test_vergeetmij_can_be_declined(
    runtime: BotRuntime, client: FakeUser, settings: Settings
) -> None:
    await _build_up_a_history(client)
    await say(client, "/vergeetmij", replies=2)
    [kept] = await press(client, "Nee, niets wissen")
    assert "niets gewist" in kept.text
    # The calculation that was open goes on where it was.
    await say(client, "/berekenen")
    [ask_theme] = await press(client, "▶️ Verder gaan")
    assert ask_theme.buttons == ["Cybersecurity", "Energie-efficiëntie", STANDARD_THEME]
    await say(client, "/annuleer")
    header, _ = await say(client, "/termijnen", replies=2)
    assert "1 lopend dossier" in header.text
    assert "clients" in _tables_mentioning(settings.database_path, CLIENT_ID)


async def test_mijngegevens_sends_a_summary_and_a_json_file(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [nothing] = await say(client, "/mijngegevens")
    assert "geen gegevens" in nothing.text

    await _build_up_a_history(client)
    await say(client, "/annuleer")
    summary, document = await say(client, "/mijngegevens", replies=2)
    assert "Jan Jansen (@jan_kmo)" in summary.text
    assert "Jansen bv, ondernemingsnummer 0123.456.749, middelgrote onderneming" in summary.text
    assert "afgerond" in summary.text
    assert "Veilig werken (start dinsdag 1 december 2026)" in summary.text
    assert "/vergeetmij" in summary.text

    assert document.kind == "document"
    assert document.filename == "mijn-gegevens-kmo-portefeuille.json"
    assert document.document is not None
    export = json.loads(document.document)
    assert export["user_id"] == CLIENT_ID
    tables = export["tables"]
    [profile] = tables["clients"]
    assert profile["company_name"] == "Jansen bv"
    assert profile["enterprise_number"] == "0123456749"
    [dossier] = tables["dossiers"]
    assert dossier["title"] == "Veilig werken"
    assert dossier["amount_cents"] == 300_000
    assert all(row["client_id"] == CLIENT_ID for row in tables["reminders"])


async def test_contact(runtime: BotRuntime, client: FakeUser) -> None:
    [contact] = await say(client, "/contact")
    assert "Contact met VIGC" in contact.text
    assert "contactpersoon" in contact.text  # the default text without VIGC_CONTACT
