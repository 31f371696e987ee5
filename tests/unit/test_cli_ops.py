"""`kmo-bot backup|restore|check`: exit codes, one-line messages, settings; the backup loop."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.ops import backup_loop, before_migration_hook, next_backup_at
from storage.backup import DAILY_NAME, RunLock, check

ROOT = Path(__file__).resolve().parent.parent.parent
LEGACY = ROOT / "tests" / "fixtures" / "legacy-c3090e0.sqlite3"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
BRUSSELS = ZoneInfo("Europe/Brussels")
# Every setting the bot reads: none may leak in from the environment running the tests.
SETTINGS = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "DATABASE_PATH",
    "STAFF_IDS",
    "TIMEZONE",
    "LOG_LEVEL",
    "REMINDER_DAYS_BEFORE",
    "REMINDER_TIME",
    "BROADCAST_RATE",
    "VIGC_CONTACT",
    "RULES_PATH",
    "TELEGRAM_TIMEOUT",
    "FLOOD_LIMIT",
    "FLOOD_WINDOW",
    "INVITATION_RETENTION_DAYS",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "LISTEN_HOST",
    "LISTEN_PORT",
    "HEALTH_PORT",
    "BACKUP_DIR",
    "BACKUP_KEEP",
    "BACKUP_TIME",
    "ALERT_CHAT_ID",
    "LOG_FORMAT",
]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a real bot database; a clean environment without a token; cwd = tmp_path."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "data" / "kmo-bot.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(LEGACY, path)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`main(argv)` in-process; the logging set-up it makes is undone afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = main(argv)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(text: str) -> str:
    assert text.endswith("\n")
    assert text.count("\n") == 1, text
    assert "Traceback" not in text
    return text


def count_clients(path: Path) -> int:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM clients").fetchone()[0])


def test_check_without_a_token(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check"], capsys)
    assert code == 0
    assert one_line(out) == f"kmo-bot check: {db} is fine (schema version 5)\n"
    assert err == ""


def test_check_of_a_damaged_database_fails(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(db.read_bytes())
    data[4096 : 4 * 4096] = b"\xde\xad" * (3 * 2048)
    db.write_bytes(bytes(data))
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert out == ""
    assert one_line(err).startswith(f"kmo-bot check: {db} is damaged: ")


def test_check_without_a_database_fails(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(db.parent / "missing.sqlite3"))
    code, _, err = run(["check"], capsys)
    assert code == 1
    assert one_line(err) == f"kmo-bot check: no database at {db.parent / 'missing.sqlite3'}\n"
    assert not (db.parent / "missing.sqlite3").exists()


def test_a_malformed_token_is_still_bad_use(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "12:secret-but-short")
    code, out, err = run(["check"], capsys)
    assert code == 2
    assert out == ""
    assert one_line(err).startswith("kmo-bot check: TELEGRAM_BOT_TOKEN is malformed")
    assert "secret" not in err


def test_other_bad_settings_are_bad_use(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKUP_KEEP", "none")
    code, _, err = run(["backup"], capsys)
    assert code == 2
    assert one_line(err) == "kmo-bot backup: BACKUP_KEEP must be a whole number\n"


def test_settings_come_from_dot_env_too(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_PATH")
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nDATABASE_PATH={db}\n")
    code, out, err = run(["check"], capsys)
    assert code == 0, err
    assert TOKEN not in out + err


def test_run_still_needs_the_token(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([], capsys)
    assert code == 2
    assert one_line(err) == ("kmo-bot: TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)\n")


def test_backup_to_a_file(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "off-site" / "copy.sqlite3"
    code, out, err = run(["backup", str(target)], capsys)
    assert code == 0, err
    assert one_line(out).startswith(f"kmo-bot backup: {db} copied to {target} (")
    assert check(target) == []
    assert count_clients(target) == count_clients(db)


def test_backup_into_a_folder(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["backup", str(tmp_path)], capsys)
    assert code == 0, err
    assert len([p for p in tmp_path.iterdir() if DAILY_NAME.match(p.name)]) == 1


def test_backup_without_file_uses_backup_dir(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["backup"], capsys)
    assert (code, out) == (2, "")
    assert one_line(err) == "kmo-bot backup: give a FILE or set BACKUP_DIR\n"

    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("BACKUP_KEEP", "2")
    for _ in range(3):
        code, out, err = run(["backup"], capsys)
        assert code == 0, err
        one_line(out)
    dailies = [p for p in (tmp_path / "backups").iterdir() if DAILY_NAME.match(p.name)]
    assert 1 <= len(dailies) <= 2  # one per second: the same name within a second


def test_backup_failures(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["backup", str(db)], capsys)
    assert code == 2
    assert one_line(err) == f"kmo-bot backup: {db} is the database itself\n"

    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "missing.sqlite3"))
    code, _, err = run(["backup", str(tmp_path / "copy.sqlite3")], capsys)
    assert code == 1
    assert one_line(err) == f"kmo-bot backup: no database at {tmp_path / 'missing.sqlite3'}\n"


def test_restore_refused_while_a_bot_runs(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.sqlite3"
    assert run(["backup", str(copy)], capsys)[0] == 0
    with RunLock(db):
        code, out, err = run(["restore", str(copy)], capsys)
    assert (code, out) == (1, "")
    assert one_line(err) == (
        f"kmo-bot restore: {db} is in use by a running kmo-bot (pid {os.getpid()}); "
        "stop it first\n"
    )


def test_restore_refuses_a_corrupt_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(b"garbage, not a backup\n" * 500)
    code, _, err = run(["restore", str(copy)], capsys)
    assert code == 1
    assert one_line(err).startswith(f"kmo-bot restore: {copy} failed the integrity check: ")
    assert check(db) == []


def test_restore_bad_use(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["restore", str(tmp_path / "nope.sqlite3")], capsys)
    assert code == 2
    assert one_line(err) == f"kmo-bot restore: {tmp_path / 'nope.sqlite3'}: no such file\n"
    code, _, err = run(["restore", str(db)], capsys)
    assert code == 2
    with pytest.raises(SystemExit) as exited:
        run(["restore"], capsys)
    assert exited.value.code == 2


def test_restore_replaces_and_keeps_the_previous_database(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.sqlite3"
    assert run(["backup", str(copy)], capsys)[0] == 0
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("DELETE FROM broadcast_recipients")
        conn.execute("DELETE FROM staff_audit")
        conn.commit()
    code, out, err = run(["restore", str(copy)], capsys)
    assert code == 0, err
    kept = [p for p in db.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1
    assert one_line(out) == (
        f"kmo-bot restore: {db} restored from {copy}; the previous database is kept as {kept[0]}\n"
    )
    assert check(db) == []
    assert count_clients(db) == count_clients(copy)


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "sandbox", "backup", "restore", "check"):
        assert command in out


def _env_for_subprocess(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["DATABASE_PATH"] = str(db)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_python_dash_m_bot_check_in_a_real_process(db: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        env=_env_for_subprocess(db),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"kmo-bot check: {db} is fine (schema version 5)\n"
    assert result.stderr == ""

    db.write_bytes(b"not a database" * 1000)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        env=_env_for_subprocess(db),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert one_line(result.stderr).startswith(f"kmo-bot check: {db} is damaged: ")


# --- the daily backup loop ----------------------------------------------------------------


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_next_backup_at() -> None:
    at = time(3, 0)
    before = datetime(2026, 11, 28, 2, 0, tzinfo=BRUSSELS)
    assert next_backup_at(before, at, BRUSSELS) == datetime(2026, 11, 28, 3, tzinfo=BRUSSELS)
    exactly = datetime(2026, 11, 28, 3, 0, tzinfo=BRUSSELS)
    assert next_backup_at(exactly, at, BRUSSELS) == datetime(2026, 11, 29, 3, tzinfo=BRUSSELS)
    # Across the change to summer time the wall clock time is kept (01:00 UTC, not 02:00).
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    due = next_backup_at(saturday, at, BRUSSELS)
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


async def test_backup_loop_catches_up_at_start_then_waits(tmp_path: Path) -> None:
    db = tmp_path / "kmo-bot.sqlite3"
    shutil.copyfile(LEGACY, db)
    folder = tmp_path / "backups"
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": str(db), "BACKUP_DIR": str(folder)},
        env_file=None,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(backup_loop(settings, stop))
    for _ in range(200):
        if any(DAILY_NAME.match(name) for name in listing(folder)):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    first = listing(folder)
    assert len(first) == 1
    assert check(folder / first[0]) == []

    # A backup of today exists: the loop now waits for BACKUP_TIME and stops promptly.
    stop = asyncio.Event()
    task = asyncio.create_task(backup_loop(settings, stop))
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert listing(folder) == first


async def test_backup_loop_does_nothing_without_backup_dir(tmp_path: Path) -> None:
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": str(tmp_path / "x.sqlite3")},
        env_file=None,
    )
    await asyncio.wait_for(backup_loop(settings, asyncio.Event()), timeout=1)
    assert listing(tmp_path) == []


async def test_before_migration_hook_copies_into_backup_dir(tmp_path: Path) -> None:
    db = tmp_path / "kmo-bot.sqlite3"
    shutil.copyfile(LEGACY, db)
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_PATH": str(db),
            "BACKUP_DIR": str(tmp_path / "backups"),
        },
        env_file=None,
    )
    await before_migration_hook(settings)(db, 6)
    assert listing(tmp_path / "backups") == ["kmo-bot.sqlite3.before-migration-0006.sqlite3"]
