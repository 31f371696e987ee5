"""Consistent copies of the SQLite file, restore, integrity checks, and the bot's run lock.

Plain `sqlite3` and synchronous on purpose: the command line calls these directly, the
running bot through `asyncio.to_thread`. Nothing here imports the bot.

- `backup` uses SQLite's online backup API in one step, i.e. one read transaction: in WAL
  mode the bot keeps writing meanwhile, and the copy holds exactly what was committed when
  the step began. The copy is written to a temporary file beside the target, checked,
  switched to `journal_mode=DELETE` (one standalone file, no `-wal` needed), fsynced and
  renamed, so a half-written file never carries the target's name.
- `RunLock` is an exclusive `flock` on `<database>.lock`, held by a running bot for its whole
  life and by `restore` while it works. The kernel drops it when the process dies (even
  `kill -9`), so a stale lock file means nothing; the file is never deleted (deleting a
  lock file other processes may hold open would let two holders in).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType

_LOGGER = logging.getLogger(__name__)

DAILY_FORMAT = "kmo-bot-%Y%m%d-%H%M%S.sqlite3"
DAILY_NAME = re.compile(r"^kmo-bot-\d{8}-\d{6}\.sqlite3$")
# What SQLite may keep beside a database file; all of it belongs to the file it sits beside.
_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup, restore or check could not be done; the message names paths, never secrets."""


class DatabaseInUseError(BackupError):
    """Another process (a running bot, or a restore) holds the database's run lock."""


class CheckFailedError(BackupError):
    """A database file failed `check`; `problems` lists what SQLite reported."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{path} failed the integrity check: {problems[0]}{more}")


# --- run lock -----------------------------------------------------------------------------


def lock_path(db_path: Path) -> Path:
    """`<database>.lock`, beside the database."""
    return db_path.with_name(db_path.name + ".lock")


class RunLock:
    """Exclusive, non-blocking `flock` on `<db_path>.lock`; raises `DatabaseInUseError` when held.

    A running bot holds it from start-up to shutdown; `restore` holds it while it works.
    Usable as a context manager or through `acquire()` / `release()`.
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"the run lock of {self.db_path} is already held here")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            by = f" (pid {holder})" if holder else ""
            raise DatabaseInUseError(
                f"{self.db_path} is in use by a running kmo-bot{by}; stop it first"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # For people and for the message above: which process holds it.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def is_running(db_path: Path) -> bool:
    """True when some process holds the run lock of `db_path` (a bot is running on it)."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip())
    return None


# --- backup and check ---------------------------------------------------------------------


def backup(db_path: Path, target: Path) -> Path:
    """Write a consistent, standalone copy of `db_path` to `target`; returns `target`.

    Safe while a bot runs and writes. Parent folders of `target` are created; an existing
    `target` is replaced only once the new copy is complete and has passed `check`.
    """
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    if target.exists() and target.resolve() == db_path.resolve():
        raise BackupError(f"{target} is the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(target) as tmp:
        _copy_database(db_path, tmp)
        problems = check(tmp)
        if problems:
            raise CheckFailedError(db_path, problems)
        _fsync(tmp)
        tmp.replace(target)
        _fsync(target.parent)
    _LOGGER.info("Backup of %s written to %s", db_path, target)
    return target


def check(path: Path) -> list[str]:
    """`PRAGMA integrity_check` and `foreign_key_check`; an empty list when all is well."""
    if not path.is_file():
        return [f"{path}: no such file"]
    try:
        with contextlib.closing(_connect_read_only(path)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            problems = [str(row[0]) for row in rows if row[0] != "ok"]
            problems.extend(
                f"row {rowid} of table {table} refers to a missing row of {parent}"
                for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")
            )
    except sqlite3.Error as exc:
        return [f"not a readable SQLite database ({exc})"]
    return problems


def schema_version(path: Path) -> int | None:
    """Highest applied migration of a kmo-bot database, None when it has no schema_version."""
    with contextlib.closing(_connect_read_only(path)) as conn:
        if "schema_version" not in _tables(conn):
            return None
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(row[0])


# --- restore ------------------------------------------------------------------------------


def restore(source: Path, db_path: Path, *, keep_current: Path | None = None) -> Path | None:
    """Put the backup `source` in place of `db_path`, atomically.

    Refuses (`DatabaseInUseError`) while a bot holds the run lock, and holds the lock itself
    meanwhile so that no bot starts on a half-restored database. Refuses (`CheckFailedError`,
    `BackupError`) a source that fails `check` or is not a kmo-bot database. When
    `keep_current` is given and a database with tables is in place, that database is first
    backed up there; the path of that copy is returned (None otherwise).

    Stale `-wal`, `-shm` and `-journal` files of the old database are removed before the
    rename: SQLite would otherwise apply the old database's log to the restored file.
    """
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    if db_path.exists() and source.resolve() == db_path.resolve():
        raise BackupError(f"{source} is the database itself")
    with RunLock(db_path):
        problems = check(source)
        if problems:
            raise CheckFailedError(source, problems)
        if schema_version(source) is None:
            raise BackupError(f"{source} is not a kmo-bot database (no schema_version table)")
        saved = None
        if keep_current is not None and db_path.is_file() and _has_data_tables(db_path):
            saved = backup(db_path, keep_current)
        with _temporary_beside(db_path) as tmp:
            _copy_database(source, tmp)
            problems = check(tmp)
            if problems:
                raise CheckFailedError(source, problems)
            _fsync(tmp)
            for suffix in _SIDE_FILES:
                db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
            tmp.replace(db_path)
            _fsync(db_path.parent)
    _LOGGER.info("Restored %s from %s", db_path, source)
    return saved


# --- daily backups and the copy before a migration ----------------------------------------


def daily_backup(db_path: Path, folder: Path, keep: int, now: datetime) -> Path:
    """Back up to `folder/kmo-bot-YYYYMMDD-HHMMSS.sqlite3` (from `now`), keep the newest `keep`.

    Only files named like that are ever deleted (and never the one just written).
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    target = backup(db_path, folder / now.strftime(DAILY_FORMAT))
    prune_daily(folder, keep, spare=target)
    return target


def prune_daily(folder: Path, keep: int, spare: Path | None = None) -> list[Path]:
    """Delete the oldest daily backups in `folder` beyond `keep`; returns what was deleted."""
    dailies = sorted(p for p in folder.iterdir() if DAILY_NAME.match(p.name) and p.is_file())
    candidates = [p for p in dailies if spare is None or p.name != spare.name]
    deleted = candidates[: max(0, len(dailies) - keep)]
    for path in deleted:
        path.unlink(missing_ok=True)
        _LOGGER.info("Deleted old backup %s", path)
    return deleted


def backup_before_migration(
    db_path: Path, folder: Path | None = None, version: int | None = None
) -> Path | None:
    """Copy of a database about to be migrated; None when there is nothing to keep.

    Goes to `folder` (the runtime passes BACKUP_DIR) when set, else beside the database, as
    `<database name>.before-migration-<NNNN>.sqlite3`, NNNN being the migration about to be
    applied (`version`; by default the schema version in the file plus one). So
    `kmo-bot.sqlite3.before-migration-0006.sqlite3` is the database as it was before
    migration 0006. Skipped when the file does not exist yet or holds no tables besides an
    empty schema_version. An older copy of the same name is replaced (a failed migration
    leaves the schema as it was, so the newer copy is the better one).
    """
    if not db_path.is_file() or not _has_data_tables(db_path):
        return None
    if version is None:
        version = (schema_version(db_path) or 0) + 1
    name = f"{db_path.name}.before-migration-{version:04d}.sqlite3"
    return backup(db_path, (folder or db_path.parent) / name)


# --- helpers ------------------------------------------------------------------------------


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # A URI so that a missing file is an error rather than a new empty database.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {str(row[0]) for row in rows}


def _has_data_tables(path: Path) -> bool:
    try:
        with contextlib.closing(_connect_read_only(path)) as conn:
            tables = _tables(conn)
            if tables - {"schema_version"}:
                return True
            if not tables:
                return False
            return conn.execute("SELECT 1 FROM schema_version LIMIT 1").fetchone() is not None
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc})") from exc


def _copy_database(source: Path, dest: Path) -> None:
    """SQLite online backup of `source` into the (empty) file `dest`, in one step."""
    try:
        with (
            contextlib.closing(_connect_read_only(source)) as src,
            contextlib.closing(sqlite3.connect(dest)) as dst,
        ):
            # pages=-1: everything in one step, i.e. within one read transaction of the
            # source; in WAL mode that is a consistent snapshot and writers are not blocked.
            src.backup(dst, pages=-1)
            # The copied header still says WAL when the source is in WAL mode.
            dst.execute("PRAGMA journal_mode=DELETE").fetchall()
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy {source} ({exc})") from exc


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """An empty temporary file in `target`'s folder (same file system: rename is atomic)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        for path in (tmp, *(tmp.with_name(tmp.name + s) for s in _SIDE_FILES)):
            path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file's data, or a folder's entries (after a rename), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
