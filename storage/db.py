"""One SQLite file, used from the event loop's own thread: WAL mode, numbered migrations, one
transaction at a time.

Storage functions take a `Store`: either the `Database` (each call its own transaction, for
the scheduler, the tools and the tests) or a `Tx` (a transaction in progress, so that an
update's writes commit together or not at all). Moments are stored in one format only,
`stamp()`: UTC, ISO 8601, milliseconds, e.g. "2026-11-28T09:00:00.000Z" (what SQLite's
`strftime('%Y-%m-%dT%H:%M:%fZ')` writes, so SQL and Python agree and the text sorts in time).

Why not a thread (aiosqlite, as before): the bot's statements are small and indexed, tens of
microseconds each, and handing each one to a worker thread and back cost more than running
it (a quarter of the bot's CPU; see docs/benchmarks.md). So the statements run right here,
and the functions stay `async` so that callers need not know. Two consequences:

- A task that only talks to the database never gives the event loop back. Each commit
  therefore yields once (`transaction()`), so that the sender gets its turn between two
  updates of a batch.
- A statement that reads or writes a lot would hold up everything else. Such reads (staff
  overviews of every dossier, exports) pass `heavy=True`: they run on a worker thread, on the
  same connection, while the database lock keeps every other task away from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

_LOGGER = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Params = Sequence[Any]
T = TypeVar("T")
# Seconds `close()` waits for a transaction in progress to end.
CLOSE_TIMEOUT = 10.0
# A row read back: by column name (row["id"]) or by position (row[0]).
Row = sqlite3.Row
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


class Cursor:
    """The outcome of one statement (`Connection.execute`)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self._cursor = cursor

    async def fetchone(self) -> Row | None:
        row: Row | None = self._cursor.fetchone()
        return row

    async def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()


class Connection:
    """The connection of a transaction in progress (`Tx.conn`), for storage code that walks
    the schema itself (storage/privacy.py). Only while its transaction is open."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def execute(self, sql: str, params: Params = ()) -> Cursor:
        return Cursor(self._raw.execute(sql, params))

    @property
    def total_changes(self) -> int:
        return self._raw.total_changes

    @property
    def in_transaction(self) -> bool:
        return self._raw.in_transaction


class Tx:
    """A transaction in progress on the shared connection (`Database.transaction()`)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw
        self.conn = Connection(raw)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the affected row count."""
        return self._raw.execute(sql, params).rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._raw.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; returns the new rowid."""
        rowid = self._raw.execute(sql, params).lastrowid
        if rowid is None:
            raise RuntimeError("INSERT returned no rowid")
        return rowid

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self._raw.execute(sql, params).fetchone()
        return row

    async def fetch_all(self, sql: str, params: Params = (), *, heavy: bool = False) -> list[Row]:
        """All rows; `heavy` for a read of a whole table (on a worker thread, see above)."""
        if heavy:
            return await _in_thread(_fetch_all, self._raw, sql, params)
        return self._raw.execute(sql, params).fetchall()


class Database:
    """A single connection shared by the update handler, the sender and the scheduler.

    SQLite has one writer at a time anyway; one asyncio lock keeps a transaction of one task
    from interleaving with statements of another on the shared connection.
    """

    def __init__(self, path: Path, before_migration: BeforeMigration | None = None) -> None:
        self.path = path
        self._before_migration = before_migration
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect and migrate; safe to call more than once."""
        async with self._open_lock:
            if self._conn is not None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode (BEGIN and COMMIT are ours); a worker thread may use the
            # connection for a heavy read while the lock keeps everyone else away.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            try:
                for pragma in (
                    "PRAGMA journal_mode=WAL",
                    "PRAGMA synchronous=NORMAL",
                    "PRAGMA busy_timeout=5000",
                    "PRAGMA foreign_keys=ON",
                ):
                    conn.execute(pragma)
                self._conn = conn
                async with self._lock:
                    await self._migrate()
            except BaseException:
                self._conn = None
                conn.close()
                raise

    async def close(self) -> None:
        async with self._open_lock:
            if self._conn is not None:
                # A transaction in progress (or a heavy read on its thread) ends first.
                try:
                    async with asyncio.timeout(CLOSE_TIMEOUT), self._lock:
                        self._conn.close()
                except TimeoutError:
                    _LOGGER.warning("The database was still in use; closed anyway")
                    self._conn.close()
                self._conn = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("Database.open() was not awaited")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """`BEGIN IMMEDIATE` … `COMMIT`, rolled back when the block raises."""
        async with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # also when COMMIT itself failed (disk full, ...)
                    conn.execute("ROLLBACK")
                raise
        # The statements never gave the event loop back: let the other tasks run now.
        await asyncio.sleep(0)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement (alone, it is its own transaction); the affected rows."""
        async with self._lock:
            rowcount = self._connection().execute(sql, params).rowcount
        await asyncio.sleep(0)
        return rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT in its own transaction; returns the new rowid."""
        async with self.transaction() as tx:
            return await tx.insert(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._lock:
            row: Row | None = self._connection().execute(sql, params).fetchone()
            return row

    async def fetch_all(self, sql: str, params: Params = (), *, heavy: bool = False) -> list[Row]:
        """All rows; `heavy` for a read of a whole table (on a worker thread, see above)."""
        async with self._lock:
            conn = self._connection()
            if heavy:
                return await _in_thread(_fetch_all, conn, sql, params)
            return conn.execute(sql, params).fetchall()

    async def _migrate(self) -> None:
        conn = self._connection()
        row = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        existing = bool(row and row[0])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_version")}
        pending = [m for m in _migrations() if m[0] not in applied]
        if pending and existing and applied and self._before_migration is not None:
            # Data written by an older version: keep a copy before changing its shape.
            await self._before_migration(self.path, pending[0][0])
        for version, name, sql in pending:
            _LOGGER.info("Applying migration %s", name)
            # One script, one transaction: a failing migration leaves the schema untouched.
            # On a worker thread: a migration may rewrite big tables.
            script = (
                f"BEGIN IMMEDIATE;\n{sql}\n"
                "INSERT INTO schema_version (version, name, applied_at) VALUES"
                f" ({version}, '{name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));\n"
                "COMMIT;"
            )
            try:
                await _in_thread(conn.executescript, script)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise


def _fetch_all(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    return conn.execute(sql, params).fetchall()


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` on a worker thread. When the caller is cancelled meanwhile, this
    still waits for the thread to finish: until then the connection is in use, and the
    caller's lock (and a rollback) must wait for it."""
    work = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.wait({work})
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
