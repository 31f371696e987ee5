"""Operator commands (`kmo-bot backup|restore|check`) and the daily backup loop of the bot.

Exit codes of the commands: 0 success (one short line on stdout), 1 the operation failed,
2 bad use (a wrong argument or setting). A failure is one line on stderr, without a
traceback; messages name paths only, never the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from storage.backup import (
    DAILY_FORMAT,
    DAILY_NAME,
    BackupError,
    backup,
    backup_before_migration,
    check,
    daily_backup,
    restore,
    schema_version,
)

_LOGGER = logging.getLogger(__name__)

OK, FAILED, BAD_USE = 0, 1, 2
# The backup loop wakes at least this often, so a changed clock or a suspended machine
# delays the daily backup by at most this much.
_MAX_SLEEP = 60.0


def run_backup(settings: Settings, target: Path | None, *, now: datetime | None = None) -> int:
    """`kmo-bot backup [FILE]`: a consistent copy, safe while the bot runs.

    Without FILE: into BACKUP_DIR with the daily naming (and its rotation to BACKUP_KEEP).
    FILE an existing folder: a daily-named copy inside it (no rotation).
    """
    db_path = settings.database_path
    local_now = (now or datetime.now(UTC)).astimezone(settings.timezone)
    try:
        if target is None:
            if settings.backup_dir is None:
                return _fail("backup", "give a FILE or set BACKUP_DIR", BAD_USE)
            written = daily_backup(db_path, settings.backup_dir, settings.backup_keep, local_now)
        else:
            if target.is_dir():
                target = target / local_now.strftime(DAILY_FORMAT)
            if _same_file(target, db_path):
                return _fail("backup", f"{target} is the database itself", BAD_USE)
            written = backup(db_path, target)
    except (BackupError, OSError, sqlite3.Error) as exc:
        return _fail("backup", str(exc), FAILED)
    print(f"kmo-bot backup: {db_path} copied to {written} ({_size(written)})")
    return OK


def run_restore(settings: Settings, source: Path, *, now: datetime | None = None) -> int:
    """`kmo-bot restore FILE`: refuses while a bot runs; keeps the replaced database.

    The database being replaced is first copied to
    `<BACKUP_DIR or its folder>/<name>.before-restore-YYYYMMDD-HHMMSS.sqlite3`.
    """
    db_path = settings.database_path
    if not source.is_file():
        return _fail("restore", f"{source}: no such file", BAD_USE)
    if _same_file(source, db_path):
        return _fail("restore", f"{source} is the database itself", BAD_USE)
    local_now = (now or datetime.now(UTC)).astimezone(settings.timezone)
    folder = settings.backup_dir or db_path.parent
    keep = folder / f"{db_path.name}.before-restore-{local_now:%Y%m%d-%H%M%S}.sqlite3"
    try:
        saved = restore(source, db_path, keep_current=keep)
    except (BackupError, OSError, sqlite3.Error) as exc:
        return _fail("restore", str(exc), FAILED)
    kept = f"; the previous database is kept as {saved}" if saved else ""
    print(f"kmo-bot restore: {db_path} restored from {source}{kept}")
    return OK


def run_check(settings: Settings) -> int:
    """`kmo-bot check`: integrity and foreign keys of the database (fine while the bot runs)."""
    db_path = settings.database_path
    if not db_path.is_file():
        return _fail("check", f"no database at {db_path}", FAILED)
    problems = check(db_path)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return _fail("check", f"{db_path} is damaged: {problems[0]}{more}", FAILED)
    try:
        version = schema_version(db_path)
    except sqlite3.Error as exc:
        return _fail("check", f"{db_path}: {exc}", FAILED)
    if version is None:
        return _fail("check", f"{db_path} is not a kmo-bot database (no schema_version)", FAILED)
    print(f"kmo-bot check: {db_path} is fine (schema version {version})")
    return OK


# --- the daily backup loop of the running bot ---------------------------------------------


def next_backup_at(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first moment after `now` (aware) whose local time in `tz` is `at`."""
    local = now.astimezone(tz)
    day: date = local.date()
    candidate = datetime.combine(day, at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=1), at, tzinfo=tz)
    return candidate


def last_daily_backup_age(folder: Path) -> float | None:
    """Seconds since the newest daily backup in `folder` was written, None when there is none."""
    if not folder.is_dir():
        return None
    mtimes = [p.stat().st_mtime for p in folder.iterdir() if DAILY_NAME.match(p.name)]
    return datetime.now(UTC).timestamp() - max(mtimes) if mtimes else None


async def backup_loop(
    settings: Settings, stop: asyncio.Event, now: Callable[[], datetime] | None = None
) -> None:
    """Daily backups into BACKUP_DIR at BACKUP_TIME (local), until `stop` is set.

    Right after start-up too when the newest daily backup is more than a day old (or there
    is none), so a machine that is off or restarting at BACKUP_TIME still gets one a day.
    A failed backup is logged at ERROR and retried at the next BACKUP_TIME; it never stops
    the bot. `now` gives the aware current time (the runtime passes its `Clock.now`).
    """
    folder = settings.backup_dir
    if folder is None:
        return

    def current() -> datetime:
        return now() if now is not None else datetime.now(UTC)

    age = await asyncio.to_thread(last_daily_backup_age, folder)
    if age is None or age > 24 * 3600:
        due = current()
    else:
        due = next_backup_at(current(), settings.backup_time, settings.timezone)
    while not stop.is_set():
        remaining = (due - current()).total_seconds()
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(remaining, _MAX_SLEEP))
            continue
        await _backup_once(settings, folder, current())
        due = next_backup_at(current(), settings.backup_time, settings.timezone)


async def _backup_once(settings: Settings, folder: Path, now: datetime) -> None:
    try:
        path = await asyncio.to_thread(
            daily_backup,
            settings.database_path,
            folder,
            settings.backup_keep,
            now.astimezone(settings.timezone),
        )
    except (BackupError, OSError, sqlite3.Error):
        _LOGGER.exception("Daily backup into %s failed", folder)
    else:
        _LOGGER.info("Daily backup written to %s", path)


# --- the copy before a migration ----------------------------------------------------------


def before_migration_hook(settings: Settings) -> Callable[[Path, int], Awaitable[None]]:
    """For `Database(path, before_migration=...)`: copies the file before migration `version`.

    Into BACKUP_DIR when set, else beside the database (`storage.backup.backup_before_migration`).
    A failed copy raises, so that the bot neither migrates nor starts without one.
    """

    async def hook(db_path: Path, version: int) -> None:
        copy = await asyncio.to_thread(
            backup_before_migration, db_path, settings.backup_dir, version
        )
        if copy is not None:
            _LOGGER.info("Copied the database before migration %04d to %s", version, copy)

    return hook


# --- helpers ------------------------------------------------------------------------------


def _fail(command: str, message: str, code: int) -> int:
    print(f"kmo-bot {command}: {message}", file=sys.stderr)
    return code


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _size(path: Path) -> str:
    size = path.stat().st_size
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} kB"
