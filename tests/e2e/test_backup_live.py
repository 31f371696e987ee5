"""A backup taken while 100 clients are busy restores to a database that holds every dossier
committed before the backup began, and the bot starts on it; `restore` refuses while the bot
runs. The operator commands run as real `python -m bot backup|restore|check` processes."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.limiter import Limiter
from bot.runner import BotRuntime
from tests.e2e.conftest import TOKEN, create_dossier, make_settings, say

CLIENTS = 100  # issue 12: a backup during a 100-client load


async def kmo_bot(workdir: Path, db_path: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    """`python -m bot ARGS` with DATABASE_PATH set (no token: the operator commands need none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["DATABASE_PATH"] = str(db_path)
    env.update(extra)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def fast_runtime(settings: Settings, clock: Clock) -> BotRuntime:
    """The load's pace, not Telegram's 30 messages a second (the limiter has its own tests)."""
    runtime = BotRuntime(settings, clock)
    runtime.sender.limiter = Limiter(25, global_rate=10_000, chat_rate=100, chat_burst=100)
    return runtime


def dossiers(db_path: Path) -> set[tuple[int, int]]:
    """(dossier id, client id) of every committed dossier (read like another process would)."""
    with closing(sqlite3.connect(db_path)) as conn:
        return {(row[0], row[1]) for row in conn.execute("SELECT id, client_id FROM dossiers")}


async def test_a_backup_under_load_restores_what_was_committed_before_it(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    settings = make_settings(emulator, db_path)
    runtime = fast_runtime(settings, clock)
    await runtime.start()
    clients = [emulator.user(20_000 + n, f"Klant{n}") for n in range(CLIENTS)]

    async def apply(client: FakeUser, delay: float) -> None:
        await asyncio.sleep(delay)
        await create_dossier(client, f"Project {client.id}", "1/12/2026")

    load = asyncio.gather(*(apply(c, n * 0.02) for n, c in enumerate(clients)))
    try:
        async with asyncio.timeout(30):
            while len(await asyncio.to_thread(dossiers, db_path)) < CLIENTS // 4:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        committed = await asyncio.to_thread(dossiers, db_path)  # before the backup begins
        backup = tmp_path / "backups" / "under-load.sqlite3"
        backup.parent.mkdir()
        code, out, err = await kmo_bot(tmp_path, db_path, "backup", str(backup))
        assert code == 0, err
        assert "copied to" in out
        # Restore refuses while the bot runs.
        code, _, err = await kmo_bot(tmp_path, db_path, "restore", str(backup))
        assert code == 1
        assert "in use by a running kmo-bot" in err
        # So does a second bot on the same database (one line, exit 1).
        code, _, err = await kmo_bot(
            tmp_path, db_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=emulator.base_url
        )
        assert code == 1
        in_use = f"is in use by a running kmo-bot (pid {os.getpid()}); stop it first"
        assert err.strip().splitlines()[-1].endswith(in_use)
        await asyncio.wait_for(load, timeout=60)
        await runtime.settle()
    finally:
        if not load.done():
            load.cancel()
        await runtime.stop()

    everything = dossiers(db_path)
    in_backup = dossiers(backup)
    assert len(everything) == CLIENTS
    assert len(committed) < CLIENTS, "the load was over before the backup: nothing tested"
    assert len(in_backup) < CLIENTS, "the load was over during the backup: nothing tested"
    assert committed <= in_backup <= everything

    code, out, err = await kmo_bot(tmp_path, db_path, "restore", str(backup))
    assert code == 0, err
    assert dossiers(db_path) == in_backup
    code, _, err = await kmo_bot(tmp_path, db_path, "check")
    assert code == 0, err

    # The bot starts on the restored database: it handles what was stored but not handled
    # when the backup began, then what comes now.
    restarted = fast_runtime(settings, clock)
    await restarted.start()
    try:
        await restarted.settle()
        dossier_id, client_id = min(in_backup)
        client = emulator.users[client_id]
        client.mark()
        [welcome] = await say(client, "/start")
        assert welcome.text
        assert await restarted.db.fetch_one("SELECT id FROM dossiers WHERE id = ?", (dossier_id,))
    finally:
        await restarted.stop()
