"""Local, strict Telegram Bot API emulator (tests, benchmarks, terminal sandbox).

Usage::

    async with BotApiEmulator() as emu:
        alice = emu.user(1001, "Alice")
        app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url)
        ...
        await alice.send("/start")
        [reply] = await alice.wait_for_messages(1)
"""

from bot.emulator.html import HtmlError, parse_telegram_html, utf16_len
from bot.emulator.server import ApiCall, ApiError, BotApiEmulator, EmulatorStats, StoredFile
from bot.emulator.users import CallbackAnswer, FakeUser, SentMessage

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "CallbackAnswer",
    "EmulatorStats",
    "FakeUser",
    "HtmlError",
    "SentMessage",
    "StoredFile",
    "parse_telegram_html",
    "utf16_len",
]
