"""Everything stored about one client: handed over (/mijngegevens) or erased (/vergeetmij).

Both look at every table in the file, not at a fixed list, so that tables added later
(broadcast recipients, audit lines, ...) are included without touching this module: a row
is about the client when a column named like a person id holds their Telegram id, or when
its `dossier_id` is one of their dossiers.

Erasing deletes the clients row and every such row that no foreign key takes care of. A
foreign key to `clients` or `dossiers` that cascades or sets NULL is left to do what its
table's author chose (e.g. staff audit lines stay, without the dossier).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from storage.db import Connection, Store, atomic

# Columns that hold a Telegram user id (a private chat's id is the user's id).
PERSON_COLUMNS: Final = frozenset({"user_id", "client_id", "chat_id"})
DOSSIER_COLUMN: Final = "dossier_id"
# Messages on their way in or out: erased with the client, but not "data kept about" them
# (an update's content goes once it is handled, a message's once it is delivered).
TRANSIENT_TABLES: Final = frozenset({"inbox", "outbox"})
# The client's own rows; erased last, in this order, since other rows may refer to them.
_PARENTS: Final = ("dossiers", "clients")
# Foreign-key actions that already remove the link when the parent row goes.
_SELF_CLEANING: Final = frozenset({"CASCADE", "SET NULL", "SET DEFAULT"})

Row = dict[str, Any]


@dataclass(frozen=True)
class _Match:
    table: str
    column: str
    values: tuple[int, ...]
    left_to_foreign_key: bool

    @property
    def condition(self) -> str:
        marks = ", ".join("?" for _ in self.values)
        return f"{_quote(self.column)} IN ({marks})"


async def export_client_data(store: Store, user_id: int) -> dict[str, list[Row]]:
    """Every row about the client, per table (tables without such rows are left out;
    messages still on their way are not data kept about them)."""
    found: dict[str, list[Row]] = {}
    async with atomic(store) as tx:
        conn = tx.conn
        for table, matches in _by_table(await _matches(conn, user_id)).items():
            if table in TRANSIENT_TABLES:
                continue
            where, params = _where(matches)
            cursor = await conn.execute(f"SELECT * FROM {_quote(table)} WHERE {where}", params)
            rows = [
                {key: _exportable(value) for key, value in zip(row.keys(), row, strict=True)}
                for row in await cursor.fetchall()
            ]
            if rows:
                found[table] = rows
    return found


async def forget_client(store: Store, user_id: int) -> dict[str, int]:
    """Delete every row about the client in one transaction; rows deleted per table.

    Counts only the rows deleted directly (not those that foreign keys cascade to). A
    foreign key that forbids the deletion makes the whole erasure fail and roll back
    rather than leave half of the client behind.
    """
    deleted: dict[str, int] = {}
    async with atomic(store) as tx:
        conn = tx.conn
        matches = [m for m in await _matches(conn, user_id) if not m.left_to_foreign_key]
        order = {name: index for index, name in enumerate(_PARENTS, start=1)}
        by_table = _by_table(matches)
        for table in sorted(by_table, key=lambda name: order.get(name, 0)):
            where, params = _where(by_table[table])
            cursor = await conn.execute(f"DELETE FROM {_quote(table)} WHERE {where}", params)
            if cursor.rowcount:
                deleted[table] = cursor.rowcount
    return deleted


async def _matches(conn: Connection, user_id: int) -> list[_Match]:
    """Every (table, column) that can point at the client, with the ids to look for."""
    cursor = await conn.execute("SELECT id FROM dossiers WHERE client_id = ?", (user_id,))
    dossier_ids = tuple(row[0] for row in await cursor.fetchall())
    cursor = await conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    tables = [row[0] for row in await cursor.fetchall()]
    found = []
    for table in tables:
        cursor = await conn.execute(f"PRAGMA foreign_key_list({_quote(table)})")
        self_cleaning = {
            row["from"].lower()
            for row in await cursor.fetchall()
            if row["table"] in _PARENTS and row["on_delete"].upper() in _SELF_CLEANING
        }
        cursor = await conn.execute(f"PRAGMA table_info({_quote(table)})")
        for row in await cursor.fetchall():
            column: str = row["name"]
            if column.lower() in PERSON_COLUMNS:
                values: tuple[int, ...] = (user_id,)
            elif column.lower() == DOSSIER_COLUMN and dossier_ids:
                values = dossier_ids
            else:
                continue
            found.append(_Match(table, column, values, column.lower() in self_cleaning))
    return found


def _exportable(value: Any) -> Any:
    """Column values as JSON can hold them: a file (BLOB) is described, not embedded."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _by_table(matches: list[_Match]) -> dict[str, list[_Match]]:
    grouped: dict[str, list[_Match]] = {}
    for match in matches:
        grouped.setdefault(match.table, []).append(match)
    return grouped


def _where(matches: list[_Match]) -> tuple[str, list[int]]:
    return (
        " OR ".join(match.condition for match in matches),
        [value for match in matches for value in match.values],
    )


def _quote(identifier: str) -> str:
    """An SQL identifier from the schema itself, quoted (names come from sqlite_master)."""
    return '"' + identifier.replace('"', '""') + '"'
