"""Local, strict Telegram Bot API emulator (tests, benchmarks, terminal sandbox).

Usage::

    async with BotApiEmulator() as emu:
        alice = emu.user(1001, "Alice")
        app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url)
        ...
        await alice.send("/start")
        [reply] = await alice.wait_for_messages(1)

Modules: ``server`` (the server and the test-side API), ``users`` (fake users),
``records`` (what tests inspect), ``dispatch``/``request``/``formatting`` (routing, parsing and
checking requests), ``chats``, ``files``, ``profile``, ``updates``, ``webhook`` (the Bot API
methods), ``faults`` (injected failures and flood limits), ``control`` (the JSON control API),
``html`` (Telegram's HTML parse mode).
"""

from bot.emulator.faults import FaultWindow
from bot.emulator.html import HtmlError, parse_telegram_html, utf16_len
from bot.emulator.records import ApiCall, CallbackAnswer, EmulatorStats, SentMessage, StoredFile
from bot.emulator.request import ApiError
from bot.emulator.server import BotApiEmulator
from bot.emulator.users import FakeUser

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "CallbackAnswer",
    "EmulatorStats",
    "FakeUser",
    "FaultWindow",
    "HtmlError",
    "SentMessage",
    "StoredFile",
    "parse_telegram_html",
    "utf16_len",
]
