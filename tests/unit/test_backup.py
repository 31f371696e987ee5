"""storage.backup: consistent online backups, checks, the run lock, restore and rotation."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from storage.backup import (
    BackupError,
    CheckFailedError,
    DatabaseInUseError,
    RunLock,
    backup,
    backup_before_migration,
    check,
    daily_backup,
    is_running,
    lock_path,
    restore,
    schema_version,
)

LEGACY = Path(__file__).resolve().parent.parent / "fixtures" / "legacy-c3090e0.sqlite3"
ROOT = Path(__file__).resolve().parent.parent.parent


def make_db(path: Path, rows: int = 0) -> Path:
    """A small database in WAL mode, shaped like the bot's (schema_version + a table)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "INSERT INTO schema_version VALUES (1, '0001_x.sql');"
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
        )
        conn.executemany(
            "INSERT INTO notes (body) VALUES (?)", [(f"note {i} " * 20,) for i in range(rows)]
        )
        conn.commit()
    return path


def bodies(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        return [row[0] for row in conn.execute("SELECT body FROM notes ORDER BY id")]


def side_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


class Writer(threading.Thread):
    """Keeps inserting rows, one commit each, through its own WAL connection."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0  # highest id known committed
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as conn:
                conn.execute("PRAGMA busy_timeout=30000")
                while not self.stop.is_set():
                    cursor = conn.execute("INSERT INTO notes (body) VALUES ('row')")
                    conn.commit()
                    assert cursor.lastrowid is not None
                    self.committed = cursor.lastrowid
        except BaseException as exc:
            self.error = exc


def test_backup_while_another_thread_writes_holds_every_committed_row(tmp_path: Path) -> None:
    db = make_db(tmp_path / "live.sqlite3", rows=20_000)  # some MB: the copy takes a while
    writer = Writer(db)
    writer.start()
    written_during = 0
    try:
        copies = []
        for n in range(5):
            start = writer.committed
            while writer.committed < start + 300:  # let it write between the backups
                time.sleep(0.001)
            committed_before = writer.committed
            target = backup(db, tmp_path / "copies" / f"copy-{n}.sqlite3")
            written_during += writer.committed - committed_before
            copies.append((target, committed_before))
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None
    assert written_during > 0  # the writer was not blocked by the backups
    for target, committed_before in copies:
        assert check(target) == []
        with closing(sqlite3.connect(target)) as conn:
            ids = {row[0] for row in conn.execute("SELECT id FROM notes")}
            assert set(range(1, committed_before + 1)) <= ids
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    # Standalone: journal mode DELETE in the header (bytes 18-19), nothing beside it.
    header = copies[0][0].read_bytes()[:100]
    assert header[18:20] == b"\x01\x01"
    assert sorted(p.name for p in (tmp_path / "copies").iterdir()) == [
        f"copy-{n}.sqlite3" for n in range(5)
    ]


def test_backup_of_the_real_schema_passes_check(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    shutil.copyfile(LEGACY, db)
    target = backup(db, tmp_path / "deep" / "folder" / "copy.sqlite3")
    assert check(target) == []
    assert schema_version(target) == 5


def test_backup_refuses_a_missing_database_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database at"):
        backup(tmp_path / "missing.sqlite3", tmp_path / "out" / "copy.sqlite3")
    assert not (tmp_path / "missing.sqlite3").exists()  # not created as a side effect


def test_backup_of_a_damaged_database_never_takes_the_target_name(tmp_path: Path) -> None:
    db = tmp_path / "bad.sqlite3"
    db.write_bytes(b"this is not a database at all" * 200)
    target = tmp_path / "copy.sqlite3"
    target.write_bytes(b"previous good copy")
    with pytest.raises(BackupError):
        backup(db, target)
    assert target.read_bytes() == b"previous good copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.sqlite3", "copy.sqlite3"]


def test_check_reports_missing_and_garbage_files(tmp_path: Path) -> None:
    assert check(tmp_path / "nope.sqlite3") == [f"{tmp_path / 'nope.sqlite3'}: no such file"]
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"\x00\xff" * 4096)
    assert check(garbage) != []


def test_check_reports_broken_foreign_keys(tmp_path: Path) -> None:
    db = tmp_path / "fk.sqlite3"
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id REFERENCES parent(id));"
            "INSERT INTO child VALUES (1, 42);"
        )
    assert check(db) == ["row 1 of table child refers to a missing row of parent"]


# --- run lock -----------------------------------------------------------------------------


def test_run_lock_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.sqlite3"
    assert not is_running(db)
    assert not lock_path(db).exists()  # asking does not create the lock file
    with RunLock(db) as lock:
        assert lock.held
        assert is_running(db)
        with pytest.raises(DatabaseInUseError, match=r"in use by a running kmo-bot \(pid \d+\)"):
            RunLock(db).acquire()
    assert not is_running(db)
    with RunLock(db):  # free again
        pass


def test_run_lock_is_released_when_its_process_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from storage.backup import RunLock;"
            "RunLock(Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)",
            str(db),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert is_running(db)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    assert not is_running(db)


# --- restore ------------------------------------------------------------------------------


def test_restore_refuses_while_the_run_lock_is_held(tmp_path: Path) -> None:
    db = make_db(tmp_path / "bot.sqlite3", rows=3)
    source = backup(make_db(tmp_path / "other.sqlite3", rows=7), tmp_path / "b.sqlite3")
    with RunLock(db), pytest.raises(DatabaseInUseError, match="stop it first"):
        restore(source, db)
    assert len(bodies(db)) == 3


@pytest.mark.parametrize("where", ["header", "pages"])
def test_restore_refuses_a_corrupt_copy(tmp_path: Path, where: str) -> None:
    db = make_db(tmp_path / "bot.sqlite3", rows=3)
    source = backup(make_db(tmp_path / "other.sqlite3", rows=500), tmp_path / "b.sqlite3")
    data = bytearray(source.read_bytes())
    assert len(data) > 8 * 4096
    start = 0 if where == "header" else 4096
    data[start : start + 3 * 4096] = b"\xde\xad\xbe\xef" * 3 * 1024
    source.write_bytes(bytes(data))
    with pytest.raises(CheckFailedError, match="failed the integrity check"):
        restore(source, db)
    assert len(bodies(db)) == 3
    assert not is_running(db)  # the lock was released


def test_restore_refuses_a_database_that_is_not_the_bots(tmp_path: Path) -> None:
    db = make_db(tmp_path / "bot.sqlite3", rows=3)
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError, match="not a kmo-bot database"):
        restore(other, db)


def test_restore_replaces_the_database_and_removes_a_stale_wal(tmp_path: Path) -> None:
    db = make_db(tmp_path / "bot.sqlite3", rows=3)
    source = backup(make_db(tmp_path / "other.sqlite3", rows=7), tmp_path / "b.sqlite3")
    # A real stale log, as a killed bot leaves it: frames that were never checkpointed.
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.executemany("INSERT INTO notes (body) VALUES (?)", [("old",)] * 50)
        conn.commit()
        stale = {n: (tmp_path / n).read_bytes() for n in ("bot.sqlite3-wal", "bot.sqlite3-shm")}
    for name, content in stale.items():
        (tmp_path / name).write_bytes(content)
    assert side_files(db) == ["bot.sqlite3-shm", "bot.sqlite3-wal"]

    saved = restore(source, db, keep_current=tmp_path / "backups" / "before.sqlite3")

    assert side_files(db) == []
    assert check(db) == []
    assert bodies(db) == bodies(tmp_path / "other.sqlite3")
    assert saved == tmp_path / "backups" / "before.sqlite3"
    assert len(bodies(saved)) == 53  # the replaced database, its stale log included
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_restore_onto_a_new_machine_creates_the_folder(tmp_path: Path) -> None:
    source = backup(make_db(tmp_path / "other.sqlite3", rows=2), tmp_path / "b.sqlite3")
    db = tmp_path / "new" / "data" / "bot.sqlite3"
    assert restore(source, db, keep_current=tmp_path / "keep.sqlite3") is None
    assert len(bodies(db)) == 2


# --- daily backups, and the copy before a migration ---------------------------------------


def test_daily_backup_keeps_the_newest_and_touches_nothing_else(tmp_path: Path) -> None:
    db = make_db(tmp_path / "bot.sqlite3", rows=1)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "kmo-bot-manual.sqlite3").write_bytes(b"")
    (folder / "bot.sqlite3.before-migration-0001.sqlite3").write_bytes(b"")
    written = [
        daily_backup(db, folder, 3, datetime(2026, 11, day, 3, 0, 5)) for day in range(20, 26)
    ]
    assert written[-1] == folder / "kmo-bot-20261125-030005.sqlite3"
    assert sorted(p.name for p in folder.iterdir()) == [
        "bot.sqlite3.before-migration-0001.sqlite3",
        "kmo-bot-20261123-030005.sqlite3",
        "kmo-bot-20261124-030005.sqlite3",
        "kmo-bot-20261125-030005.sqlite3",
        "kmo-bot-manual.sqlite3",
        "notes.txt",
    ]
    # A clock set back never deletes the copy just written.
    earlier = daily_backup(db, folder, 3, datetime(2026, 1, 1, 3, 0, 0))
    assert earlier.exists()
    assert len([p for p in folder.iterdir() if p.name.startswith("kmo-bot-2026")]) == 3


def test_backup_before_migration(tmp_path: Path) -> None:
    assert backup_before_migration(tmp_path / "missing.sqlite3") is None
    empty = tmp_path / "empty.sqlite3"
    with closing(sqlite3.connect(empty)) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT)")
    assert backup_before_migration(empty) is None  # fresh: only an empty schema_version
    (tmp_path / "zero.sqlite3").write_bytes(b"")
    assert backup_before_migration(tmp_path / "zero.sqlite3") is None

    db = tmp_path / "bot.sqlite3"
    shutil.copyfile(LEGACY, db)
    beside = backup_before_migration(db)  # the file is at version 5: before migration 6
    assert beside == tmp_path / "bot.sqlite3.before-migration-0006.sqlite3"
    into = backup_before_migration(db, tmp_path / "backups", version=7)
    assert into == tmp_path / "backups" / "bot.sqlite3.before-migration-0007.sqlite3"
    assert check(into) == []
    assert schema_version(into) == 5
