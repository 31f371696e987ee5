"""`wait_for_events`: an in-process watcher follows every chat without polling."""

from __future__ import annotations

import asyncio

from telegram import Bot

from bot.emulator import BotApiEmulator

from .conftest import CHAT


async def test_returns_new_events_at_once_and_waits_for_the_next(
    emu: BotApiEmulator, bot: Bot
) -> None:
    await bot.send_message(CHAT, "<b>een</b>", parse_mode="HTML")
    [first] = await emu.wait_for_events(0, timeout=1)
    assert first["seq"] == 1
    assert first["type"] == "message"
    assert first["message"]["text"] == "een"

    waiter = asyncio.create_task(emu.wait_for_events(first["seq"], timeout=5))
    await asyncio.sleep(0.05)
    assert not waiter.done()  # nothing new yet: it waits
    await bot.send_message(CHAT, "twee")
    [second] = await asyncio.wait_for(waiter, timeout=2)
    assert second["seq"] == 2
    assert second["message"]["text"] == "twee"


async def test_timeout_and_stop_give_an_empty_list(emu: BotApiEmulator) -> None:
    assert await emu.wait_for_events(0, timeout=0.05) == []
    waiter = asyncio.create_task(emu.wait_for_events(0, timeout=30))
    await asyncio.sleep(0.05)
    await emu.stop()
    assert await asyncio.wait_for(waiter, timeout=2) == []
