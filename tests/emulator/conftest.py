from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.emulator import BotApiEmulator

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
CHAT = 1001


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(clock=lambda: 1_700_000_000.0) as emulator:
        emulator.user(CHAT, "Jan", "jan_kmo", language_code="nl")
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    telegram_bot = Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with telegram_bot:
        yield telegram_bot
