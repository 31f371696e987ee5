"""A restart or a kill -9 in the middle of a flow: the client simply goes on."""

from __future__ import annotations

from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import TOKEN, say, walk_to_start_date
from tests.e2e.process import BotProcess


async def test_restart_mid_flow_keeps_the_question(
    settings: Settings, clock: Clock, client: FakeUser
) -> None:
    first = BotRuntime(settings, clock)
    await first.start()
    await walk_to_start_date(client)
    await first.stop()

    second = BotRuntime(settings, clock)
    await second.start()
    try:
        deadline, _ = await say(client, "1/12/2026", replies=2)
        assert "Uw dossier voor opleiding" in deadline.text
        assert "dinsdag 15 december 2026" in deadline.text
    finally:
        await second.stop()


async def test_kill_9_mid_flow_then_restart(
    emulator: BotApiEmulator, tmp_path: Path, client: FakeUser
) -> None:
    bot = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    await bot.start()
    await walk_to_start_date(client)
    # The reply went out only after its update's commit, state included: kill at once.
    await bot.kill()

    restarted = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    await restarted.start()
    await client.send("vandaag")
    messages = await client.wait_until_idle(timeout=10)
    # The question was in flight at the kill: it may come once more, never more than that.
    *repeated, deadline, ask_theme = messages
    assert len(repeated) <= 1
    assert all("startdatum" in m.text for m in repeated)
    assert "Dien uw subsidieaanvraag in ten laatste op" in deadline.text
    assert "thema" in ask_theme.text
    code, _ = await restarted.terminate()
    assert code == 0
