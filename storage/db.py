"""One SQLite file through aiosqlite: WAL mode, numbered migrations, one transaction at a time.

Storage functions take a `Store`: either the `Database` (each call its own transaction, for
the scheduler, the tools and the tests) or a `Tx` (a transaction in progress, so that an
update's writes commit together or not at all). Moments are stored in one format only,
`stamp()`: UTC, ISO 8601, milliseconds, e.g. "2026-11-28T09:00:00.000Z" (what SQLite's
`strftime('%Y-%m-%dT%H:%M:%fZ')` writes, so SQL and Python agree and the text sorts in time).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

_LOGGER = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Params = Sequence[Any]
# Called with (database path, version) before a migration changes an existing file.
BeforeMigration = Callable[[Path, int], Awaitable[None]]


def stamp(moment: datetime) -> str:
    """The one way a moment is written to the database."""
    if moment.tzinfo is None:
        raise ValueError("stamp() needs an aware datetime")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def unstamp(value: str) -> datetime:
    """A moment read back from the database (aware, UTC)."""
    return datetime.fromisoformat(value).astimezone(UTC)


class Tx:
    """A transaction in progress on the shared connection (`Database.transaction()`)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the affected row count."""
        cursor = await self.conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self.conn.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; returns the new rowid."""
        cursor = await self.conn.execute(sql, params)
        if cursor.lastrowid is None:
            raise RuntimeError("INSERT returned no rowid")
        return cursor.lastrowid

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        cursor = await self.conn.execute(sql, params)
        return await cursor.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        cursor = await self.conn.execute(sql, params)
        return list(await cursor.fetchall())


class Database:
    """A single connection shared by the update handler, the sender and the scheduler.

    SQLite has one writer at a time anyway; one asyncio lock keeps a transaction of one task
    from interleaving with statements of another on the shared connection.
    """

    def __init__(self, path: Path, before_migration: BeforeMigration | None = None) -> None:
        self.path = path
        self._before_migration = before_migration
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect and migrate; safe to call more than once."""
        async with self._open_lock:
            if self._conn is not None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            conn.row_factory = aiosqlite.Row
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA busy_timeout=5000",
                "PRAGMA foreign_keys=ON",
            ):
                await conn.execute(pragma)
            self._conn = conn
            await self._migrate()

    async def close(self) -> None:
        async with self._open_lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("Database.open() was not awaited")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """`BEGIN IMMEDIATE` … `COMMIT`, rolled back when the block raises."""
        async with self._lock:
            conn = self._connection()
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns the affected row count."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT in its own transaction; returns the new rowid."""
        async with self.transaction() as tx:
            return await tx.insert(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._lock:
            cursor = await self._connection().execute(sql, params)
            return await cursor.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            cursor = await self._connection().execute(sql, params)
            return list(await cursor.fetchall())

    async def _migrate(self) -> None:
        conn = self._connection()
        cursor = await conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        )
        row = await cursor.fetchone()
        existing = bool(row and row[0])
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
        )
        cursor = await conn.execute("SELECT version FROM schema_version")
        applied = {row[0] for row in await cursor.fetchall()}
        pending = [m for m in _migrations() if m[0] not in applied]
        if pending and existing and applied and self._before_migration is not None:
            # Data written by an older version: keep a copy before changing its shape.
            await self._before_migration(self.path, pending[0][0])
        for version, name, sql in pending:
            _LOGGER.info("Applying migration %s", name)
            # One script, one transaction: a failing migration leaves the schema untouched.
            try:
                await conn.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\n"
                    "INSERT INTO schema_version (version, name, applied_at) VALUES"
                    f" ({version}, '{name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));\n"
                    "COMMIT;"
                )
            except BaseException:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise


Store = Database | Tx


@asynccontextmanager
async def atomic(store: Store) -> AsyncIterator[Tx]:
    """The caller's transaction, or a new one when given the database itself."""
    if isinstance(store, Tx):
        yield store
        return
    async with store.transaction() as tx:
        yield tx


def _migrations() -> list[tuple[int, str, str]]:
    """The packaged `NNNN_name.sql` files in version order."""
    folder = resources.files("storage.migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"Two migrations share a number: {versions}")
    return found
