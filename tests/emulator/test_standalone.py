"""The emulator as a separate process, and lifecycle details."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp
import pytest
from telegram import Bot

from bot.emulator import BotApiEmulator

from .conftest import CHAT, TOKEN


async def test_standalone_process() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--user",
        "5:Ann",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        info = json.loads(line)
        assert info["base_url"].startswith("http://127.0.0.1:")
        async with Bot(TOKEN, base_url=info["base_url"]) as bot:
            message = await bot.send_message(5, "hallo Ann")
            assert message.chat.first_name == "Ann"
    finally:
        process.terminate()
        await process.wait()


async def test_lifecycle_and_loopback_only() -> None:
    emu = BotApiEmulator()
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    await emu.start()
    try:
        assert emu.running
        assert emu.base_url == f"http://127.0.0.1:{emu.port}/bot"
        assert emu.base_file_url == f"http://127.0.0.1:{emu.port}/file/bot"
    finally:
        await emu.stop()
    assert not emu.running
    with pytest.raises(ValueError, match="loopback"):
        BotApiEmulator(host="0.0.0.0")
    with pytest.raises(ValueError, match="token"):
        BotApiEmulator(token="nope")


async def test_stop_releases_a_pending_long_poll() -> None:
    emu = BotApiEmulator()
    await emu.start()
    bot = Bot(TOKEN, base_url=emu.base_url)
    async with bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        await emu.stop()
        assert await asyncio.wait_for(poll, 5) == ()


async def test_second_poller_ends_the_first_with_conflict(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(raw_get_updates(emu, poll_seconds=5))
    await asyncio.sleep(0.1)
    assert await bot.get_updates(timeout=0) == ()
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def raw_get_updates(emu: BotApiEmulator, poll_seconds: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{emu.base_url}{TOKEN}/getUpdates", json={"timeout": poll_seconds}) as resp,
    ):
        return resp.status, await resp.json()


async def test_wait_until_idle_needs_a_polling_bot(emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    await user.send("hallo")
    with pytest.raises(AssertionError, match="undelivered"):
        await user.wait_until_idle(quiet=0.05, timeout=0.2)
