"""A broadcast survives a crash: after a restart every client has it once.

Once, except a message in flight at the moment of the crash, which may arrive twice.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from storage.broadcasts import recent_broadcasts
from storage.db import Database
from tests.e2e.conftest import STAFF_ID, TOKEN, make_settings
from tests.e2e.process import BotProcess
from tests.e2e.staff_helpers import received, seed_clients, start_broadcast, wait_for

TEXT = "Belangrijk nieuws van VIGC"
CLIENTS = range(5001, 5031)


def _assert_once_each(users: list[FakeUser]) -> None:
    counts = received(users, TEXT)
    assert all(n >= 1 for n in counts.values()), "lost: " + str(
        [uid for uid, n in counts.items() if n == 0]
    )
    assert sum(counts.values()) - len(users) <= 1, "duplicated beyond the in-flight message"


async def test_crash_in_the_middle_then_restart_sends_the_rest_once(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock, staff: FakeUser
) -> None:
    settings = make_settings(emulator, tmp_path / "bot.sqlite3", BROADCAST_RATE="30")
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    users = await seed_clients(runtime.db, emulator, clock, CLIENTS)
    _, progress = await start_broadcast(staff, TEXT)
    await wait_for(emulator, lambda: sum(received(users, TEXT).values()) >= 12)

    # The crash: the sender dies mid-send; nothing marks what was in flight.
    runtime.tasks["sender"].cancel()
    await runtime.stop()
    got_before = sum(received(users, TEXT).values())
    assert got_before < len(users)
    [(unfinished, tally)] = await _broadcasts(settings)
    assert unfinished.status == "sending"
    assert tally.waiting > 0

    restarted = BotRuntime(settings, clock)
    await restarted.start()
    try:
        async with asyncio.timeout(15):
            await restarted.settle()
    finally:
        await restarted.stop()
    _assert_once_each(users)
    report = emulator.find_message(staff.id, progress.message_id)
    assert report is not None  # the same progress message became the report
    assert "Rondzending #1 klaar\nAfgeleverd: 30\nGeblokkeerd: 0\nMislukt: 0" in report.text


async def test_kill_9_of_the_bot_process_then_restart(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock, staff: FakeUser
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    db = Database(db_path)
    await db.open()
    users = await seed_clients(db, emulator, clock, CLIENTS)
    await db.close()
    settings = {"STAFF_IDS": str(STAFF_ID), "BROADCAST_RATE": "30", "LOG_LEVEL": "INFO"}
    first = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, **settings)
    await first.start()
    _, progress = await start_broadcast(staff, TEXT)
    await wait_for(emulator, lambda: sum(received(users, TEXT).values()) >= 10)
    await first.kill()
    assert sum(received(users, TEXT).values()) < len(users)

    second = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, **settings)
    await second.start()
    await wait_for(emulator, lambda: "klaar" in _text_of(emulator, progress.message_id), 20)
    code, log = await second.terminate()
    assert code == 0, log
    _assert_once_each(users)
    report = _text_of(emulator, progress.message_id)
    assert "Afgeleverd: 30\nGeblokkeerd: 0\nMislukt: 0" in report, log


def _text_of(emulator: BotApiEmulator, message_id: int) -> str:
    found = emulator.find_message(STAFF_ID, message_id)
    return "" if found is None else found.text


async def _broadcasts(settings: Settings) -> list:  # type: ignore[type-arg]
    db = Database(settings.database_path)
    await db.open()
    try:
        return await recent_broadcasts(db)
    finally:
        await db.close()
