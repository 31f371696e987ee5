"""A restart or a kill -9 in the middle of a flow: the client simply goes on."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from conversations.application import State
from tests.e2e.conftest import TOKEN, say, walk_to_start_date
from tests.e2e.process import BotProcess


async def test_restart_mid_flow_keeps_the_question(
    settings: Settings, clock: Clock, client: FakeUser
) -> None:
    first = BotRuntime(settings, clock)
    await first.start()
    await walk_to_start_date(client, "Na herstart")
    await first.stop()

    second = BotRuntime(settings, clock)
    await second.start()
    try:
        [deadline] = await say(client, "1/12/2026")
        assert "Na herstart" in deadline.text
        assert "dinsdag 15 december 2026" in deadline.text
    finally:
        await second.stop()


async def _wait_for_state(db_path: Path, state: int) -> None:
    for _ in range(100):
        with closing(sqlite3.connect(db_path)) as db:
            rows = db.execute("SELECT state FROM conversations WHERE name = 'aanvraag'").fetchall()
        if rows == [(str(int(state)),)]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"conversation state never became {state!r}")


async def test_kill_9_mid_flow_then_restart(
    emulator: BotApiEmulator, tmp_path: Path, client: FakeUser
) -> None:
    bot = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    await bot.start()
    await walk_to_start_date(client, "Na kill")
    # The state is committed right after the reply (see bot.app): wait for that commit.
    # A kill inside those milliseconds would replay the previous question instead.
    await _wait_for_state(tmp_path / "bot.sqlite3", State.START_DATE)
    await bot.kill()

    restarted = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    await restarted.start()
    [deadline] = await say(client, "vandaag")
    assert "Na kill" in deadline.text
    assert "Dien uw subsidieaanvraag in ten laatste op" in deadline.text
    code, _ = await restarted.terminate()
    assert code == 0
