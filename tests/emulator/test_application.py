"""A real python-telegram-bot Application polling the emulator, driven by fake users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotApiEmulator

from .conftest import CHAT, TOKEN

App = Application[Any, Any, Any, Any, Any, Any]


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        "<b>Welkom</b>, kies:",
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Ja", callback_data="k:ja")],
                [InlineKeyboardButton("Nee", callback_data="k:nee")],
            ]
        ),
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Genoteerd")
    await query.edit_message_text(f"Je koos <i>{query.data}</i>", parse_mode="HTML")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    assert update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text.upper())
    await update.effective_message.reply_text("nog iets?")


@pytest.fixture
async def app(emu: BotApiEmulator) -> AsyncIterator[App]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_conversation(app: App, emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    await user.send("/start")
    [welcome] = await user.wait_for_messages(1)
    assert welcome.text == "Welkom, kies:"
    assert welcome.html == "<b>Welkom</b>, kies:"
    assert welcome.buttons == ["Ja", "Nee"]

    query_id = await user.press("Nee")
    answer = await user.wait_for_answer(query_id)
    assert answer.text == "Genoteerd"
    edited = await user.wait_for_edit(welcome)
    assert edited.text == "Je koos k:nee"
    assert edited.buttons == []

    await user.send("hallo")
    replies = await user.wait_until_idle()
    assert [m.text for m in replies] == ["HALLO", "nog iets?"]
    assert emu.unanswered_callbacks() == []


async def test_wait_for_messages_times_out_clearly(app: App, emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    await user.send("een")
    with pytest.raises(AssertionError, match=r"expected 3 new message\(s\).*got 2"):
        await user.wait_for_messages(3, timeout=0.5)
    assert [m.text for m in await user.wait_for_messages(2)] == ["EEN", "nog iets?"]


async def test_control_api_drives_the_bot(app: App, emu: BotApiEmulator) -> None:
    base = f"{emu.url}/_emulator"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/users", json={"id": 3003, "first_name": "Piet"}) as resp:
            assert resp.status == 200
        async with http.post(f"{base}/users/3003/send", json={"text": "/start"}) as resp:
            body = await resp.json()
            assert body["ok"]
            assert body["result"]["message_id"] == 1
        async with http.get(
            f"{base}/events", params={"after": "0", "timeout": "5", "chat_id": "3003"}
        ) as resp:
            events = (await resp.json())["result"]
        assert events[0]["type"] == "user_message"
        await emu.user(3003).wait_for_messages(1)
        async with http.get(f"{base}/users/3003/messages", params={"after": "0"}) as resp:
            [message] = (await resp.json())["result"]
        assert message["text"] == "Welkom, kies:"
        assert message["callback_data"] == {"Ja": "k:ja", "Nee": "k:nee"}
        async with http.post(
            f"{base}/users/3003/press", json={"message_id": message["message_id"], "data": "k:ja"}
        ) as resp:
            assert (await resp.json())["result"]["callback_query_id"]
        await emu.user(3003).wait_for_edit(message["message_id"])
        async with http.post(f"{base}/users/3003/press", json={"button": "Bestaat niet"}) as resp:
            assert resp.status == 404
        async with http.get(f"{base}/stats") as resp:
            stats = (await resp.json())["result"]
        assert stats["requests"]["sendMessage"] == 1
        assert stats["requests"]["editMessageText"] == 1
