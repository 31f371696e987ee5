"""Erasing a client looks at every table: rows other modules add are found generically."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from storage.clients import upsert_client
from storage.db import Database
from storage.dossiers import NewDossier, create_dossier
from storage.privacy import export_client_data, forget_client

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CLIENT, OTHER = 1001, 1002


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "bot.sqlite3")
    await database.open()
    yield database
    await database.close()


async def _client_with_dossier(db: Database, user_id: int) -> int:
    await upsert_client(db, user_id, "Jan", None, None, NOW)
    return await create_dossier(
        db,
        NewDossier(user_id, "opleiding", "algemeen", "Veilig werken", date(2026, 12, 1)),
        NOW,
    )


async def test_tables_added_later_are_erased_or_unlinked_as_their_keys_say(db: Database) -> None:
    mine = await _client_with_dossier(db, CLIENT)
    theirs = await _client_with_dossier(db, OTHER)
    async with db.transaction() as conn:
        # No foreign key at all: found by the column name.
        await conn.execute("CREATE TABLE notes (chat_id INTEGER, text TEXT)")
        # A key that forbids deleting the dossier: the rows go first.
        await conn.execute(
            "CREATE TABLE uploads (id INTEGER PRIMARY KEY,"
            " dossier_id INTEGER REFERENCES dossiers (id))"
        )
        # A key that unlinks: the row stays, without the dossier (an audit line).
        await conn.execute(
            "CREATE TABLE audit (id INTEGER PRIMARY KEY, staff_id INTEGER,"
            " dossier_id INTEGER REFERENCES dossiers (id) ON DELETE SET NULL)"
        )
        for user_id, dossier_id in ((CLIENT, mine), (OTHER, theirs)):
            await conn.execute("INSERT INTO notes VALUES (?, 'hallo')", (user_id,))
            await conn.execute("INSERT INTO uploads (dossier_id) VALUES (?)", (dossier_id,))
            await conn.execute(
                "INSERT INTO audit (staff_id, dossier_id) VALUES (900, ?)", (dossier_id,)
            )
        await conn.execute(
            "INSERT INTO conversations (name, key, user_id, state) VALUES ('x', '[1001, 1001]',"
            " 1001, '1')"
        )
        await conn.execute("INSERT INTO user_data VALUES (1001, '{}')")

    exported = await export_client_data(db, CLIENT)
    assert set(exported) == {
        "audit",
        "clients",
        "conversations",
        "dossiers",
        "notes",
        "uploads",
        "user_data",
    }
    assert exported["dossiers"][0]["id"] == mine

    deleted = await forget_client(db, CLIENT)
    assert deleted == {
        "clients": 1,
        "conversations": 1,
        "notes": 1,
        "uploads": 1,
        "user_data": 1,
    }  # dossiers go by cascade; audit lines are unlinked
    assert await export_client_data(db, CLIENT) == {}
    audit = await db.fetch_all("SELECT dossier_id FROM audit ORDER BY id")
    assert [row["dossier_id"] for row in audit] == [None, theirs]
    left = await export_client_data(db, OTHER)
    assert {name: len(rows) for name, rows in left.items()} == {
        "audit": 1,
        "clients": 1,
        "dossiers": 1,
        "notes": 1,
        "uploads": 1,
    }


async def test_forgetting_an_unknown_user_changes_nothing(db: Database) -> None:
    await _client_with_dossier(db, OTHER)
    assert await forget_client(db, CLIENT) == {}
    assert await export_client_data(db, CLIENT) == {}
    assert "clients" in await export_client_data(db, OTHER)
