"""The emulator as seen through a real python-telegram-bot ``Bot``."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from bot.emulator import BotApiEmulator

from .conftest import CHAT, TOKEN


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"knop {i}", callback_data=d)] for i, d in enumerate(data)]
    )


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789
    assert me.is_bot
    assert me.username == "emulator_bot"


async def test_malformed_token_is_unauthorized(emu: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123:short", base_url=emu.base_url):
            pass
    assert emu.stats.responses[401] == 1


async def test_enforced_token() -> None:
    async with BotApiEmulator(token=TOKEN) as emu:
        with pytest.raises(InvalidToken):
            async with Bot("42:" + "x" * 35, base_url=emu.base_url):
                pass
        assert emu.stats.responses[401] == 1
        async with Bot(TOKEN, base_url=emu.base_url) as good:
            assert (await good.get_me()).id == 123456789


async def test_send_html_message(bot: Bot, emu: BotApiEmulator) -> None:
    markup = keyboard("menu:ja", "menu:nee")
    message = await bot.send_message(
        CHAT,
        "<b>Welkom</b> bij de <i>KMO-portefeuille</i>",
        parse_mode="HTML",
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert message.text == "Welkom bij de KMO-portefeuille"
    assert message.chat.id == CHAT
    assert message.chat.first_name == "Jan"
    assert message.from_user is not None
    assert message.from_user.is_bot
    assert message.date == dtm.datetime.fromtimestamp(1_700_000_000, dtm.UTC)
    assert message.reply_markup == markup
    assert [e.type for e in message.entities] == ["bold", "italic"]

    sent = emu.user(CHAT).last
    assert sent.message_id == message.message_id
    assert sent.html == "<b>Welkom</b> bij de <i>KMO-portefeuille</i>"
    assert sent.text == message.text
    assert sent.buttons == ["knop 0", "knop 1"]
    assert sent.callback_data == {"knop 0": "menu:ja", "knop 1": "menu:nee"}
    assert sent.link_preview_options == {"is_disabled": True}


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<b>x", "can't find end tag"),
        ("Jansen & Zonen", 'unescaped "&"'),
        ("<foo>x</foo>", 'unsupported start tag "foo"'),
    ],
)
async def test_invalid_html_is_rejected(
    bot: Bot, emu: BotApiEmulator, text: str, detail: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert info.value.message.lower().startswith("can't parse entities: ")
    assert detail in info.value.message.lower()
    assert emu.user(CHAT).messages == []
    assert emu.stats.bad_requests == 1


async def test_escaped_html_is_plain_text(bot: Bot) -> None:
    message = await bot.send_message(
        CHAT, "&lt;b&gt;Jansen &amp; Zonen&lt;/b&gt;", parse_mode="HTML"
    )
    assert message.text == "<b>Jansen & Zonen</b>"
    assert message.entities == ()


async def test_without_parse_mode_markup_is_literal(bot: Bot) -> None:
    message = await bot.send_message(CHAT, "<b>a & b</b>")
    assert message.text == "<b>a & b</b>"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("<b>" + "x" * 4096 + "</b>", True),
        ("<b>" + "x" * 4097 + "</b>", False),
        ("&amp;" * 4096, True),
        ("&amp;" * 4097, False),
        ("😀" * 2048, True),  # 4096 UTF-16 code units
        ("😀" * 2048 + "x", False),
        ("\n  " + "x" * 4096 + "  \n", True),  # surrounding whitespace is trimmed
    ],
)
async def test_length_limit_counts_after_parsing(bot: Bot, text: str, ok: bool) -> None:
    if ok:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    else:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(CHAT, text, parse_mode="HTML")


@pytest.mark.parametrize("text", ["<b></b>", "  \n ", "<i> </i>"])
async def test_empty_text_after_parsing(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(CHAT, text, parse_mode="HTML")


async def test_surrounding_whitespace_is_trimmed_with_entities(bot: Bot) -> None:
    message = await bot.send_message(CHAT, "\n <b> vet</b> ", parse_mode="HTML")
    assert message.text == "vet"
    assert message.entities[0].offset == 0
    assert message.entities[0].length == 3


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ("x" * 64, True),
        ("x" * 65, False),
        ("é" * 32, True),  # 64 bytes
        ("é" * 32 + "x", False),  # 65 bytes, 33 characters
        ("€" * 21 + "x", True),  # 64 bytes
        ("€" * 22, False),  # 66 bytes
    ],
)
async def test_callback_data_limit_is_in_bytes(bot: Bot, data: str, ok: bool) -> None:
    if ok:
        await bot.send_message(CHAT, "kies", reply_markup=keyboard(data))
    else:
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(CHAT, "kies", reply_markup=keyboard(data))


async def test_button_without_action_and_bad_url(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(
            CHAT, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x")]])
        )
    with pytest.raises(BadRequest, match="is invalid"):
        await bot.send_message(
            CHAT,
            "x",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", url="vlaio.be")]]),
        )


async def test_reply_keyboards(bot: Bot, emu: BotApiEmulator) -> None:
    message = await bot.send_message(
        CHAT, "Kies", reply_markup=ReplyKeyboardMarkup([["Ja", KeyboardButton("Nee")]])
    )
    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    assert emu.user(CHAT).last.buttons == ["Ja", "Nee"]
    await bot.send_message(CHAT, "Weg", reply_markup=ReplyKeyboardRemove())


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hallo")


async def test_blocked_user(bot: Bot, emu: BotApiEmulator) -> None:
    emu.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hallo")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(CHAT, "typing")
    assert emu.stats.forbidden == 2
    emu.unblock(CHAT)
    await bot.send_message(CHAT, "hallo")


async def test_global_rate_limit(
    bot: Bot, emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    emu.global_rate_limit = 2
    emu.retry_after = 3
    await bot.send_message(CHAT, "1")
    await bot.send_message(CHAT, "2")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(CHAT, "3")
    assert info.value.retry_after == dtm.timedelta(seconds=3)
    assert emu.stats.rate_limited == 1
    await bot.send_chat_action(CHAT, "typing")  # not a sending method
    assert len(emu.user(CHAT).messages) == 2


async def test_per_chat_rate_limit_window_slides(
    bot: Bot, emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    emu.user(2002)
    emu.per_chat_rate_limit = 5  # 5 per second
    for i in range(5):
        await bot.send_message(CHAT, str(i))
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(CHAT, "te veel")
    assert info.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(2002, "andere chat")
    await asyncio.sleep(1.05)
    await bot.send_message(CHAT, "weer toegelaten")


async def test_fail_next(bot: Bot, emu: BotApiEmulator) -> None:
    emu.fail_next("sendMessage", 502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(CHAT, "1")
    await bot.send_message(CHAT, "2")

    emu.fail_next("sendMessage", 500, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "3")

    emu.user(2002)
    emu.fail_next("sendMessage", 502, chat_id=2002)
    await bot.send_message(CHAT, "4")
    with pytest.raises(NetworkError):
        await bot.send_message(2002, "5")
    assert emu.stats.server_errors == 4
    assert [m.text for m in emu.user(CHAT).messages] == ["2", "3", "4"]


async def test_fail_next_429(
    bot: Bot, emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    emu.fail_next("sendMessage", 429)
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "x")


async def test_get_updates_long_poll(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    assert await bot.get_updates(timeout=0) == ()

    async def later() -> None:
        await asyncio.sleep(0.1)
        await user.send("/start@emulator_bot nu")

    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=5)
    await task
    assert loop.time() - started < 2
    [update] = updates
    assert update.message is not None
    assert update.message.text == "/start@emulator_bot nu"
    assert update.message.from_user is not None
    assert update.message.from_user.username == "jan_kmo"
    entity = update.message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 19)

    # Unconfirmed updates come again; an offset confirms them.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1) == ()

    sent = await bot.send_message(CHAT, "Kies", reply_markup=keyboard("a:1", "a:2"))
    query_id = await user.press("knop 1")
    [press] = await bot.get_updates(offset=update.update_id + 1, timeout=5)
    assert press.update_id > update.update_id
    assert press.callback_query is not None
    assert press.callback_query.id == query_id
    assert press.callback_query.data == "a:2"
    assert press.callback_query.message is not None
    assert press.callback_query.message.message_id == sent.message_id
    assert emu.unanswered_callbacks() == [query_id]
    assert await bot.answer_callback_query(query_id, text="Oké")
    assert emu.answered_callbacks[0].text == "Oké"
    assert emu.unanswered_callbacks() == []


async def test_allowed_updates(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    await bot.send_message(CHAT, "Kies", reply_markup=keyboard("a"))
    await user.press(0)
    await user.send("tekst")
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["tekst"]
    assert len(updates) == 1


async def test_media_updates_parse(
    bot: Bot, emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    user = emu.user(CHAT)
    await user.send_sticker()
    await user.send_photo(caption="factuur")
    await user.send_voice()
    await user.send_document(b"%PDF-1.4", "offerte.pdf", "application/pdf")
    sticker, photo, voice, document = await bot.get_updates()
    assert sticker.message
    assert sticker.message.sticker
    assert sticker.message.sticker.emoji == "👍"
    assert photo.message
    assert photo.message.caption == "factuur"
    assert voice.message
    assert voice.message.voice
    assert voice.message.voice.duration == dtm.timedelta(seconds=2)
    assert document.message
    assert document.message.document
    file = await bot.get_file(document.message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4"
    photo_file = await bot.get_file(photo.message.photo[-1].file_id)
    assert (await photo_file.download_as_bytearray()).startswith(b"\x89PNG")


async def test_send_document(bot: Bot, emu: BotApiEmulator) -> None:
    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    message = await bot.send_document(
        CHAT,
        content,
        filename="termijnen.ics",
        caption="<b>Je termijnen</b>",
        parse_mode="HTML",
    )
    assert message.document is not None
    assert message.document.file_name == "termijnen.ics"
    assert message.caption == "Je termijnen"
    sent = emu.user(CHAT).last
    assert (sent.kind, sent.filename, sent.document) == ("document", "termijnen.ics", content)
    assert sent.mime_type == "text/calendar"
    again = await bot.send_document(CHAT, message.document.file_id)
    assert emu.user(CHAT).last.document == content
    assert again.document is not None
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(CHAT, b"x", filename="a.txt", caption="x" * 1025)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(CHAT, "no-such-file-id")


async def test_commands_per_scope(bot: Bot, emu: BotApiEmulator) -> None:
    chat_commands = [BotCommand("start", "Begin opnieuw"), BotCommand("help", "Hulp")]
    assert await bot.set_my_commands(chat_commands, scope=BotCommandScopeChat(CHAT))
    assert await bot.set_my_commands([BotCommand("start", "Start")])
    assert await bot.get_my_commands(scope=BotCommandScopeChat(CHAT)) == tuple(chat_commands)
    assert await bot.get_my_commands() == (BotCommand("start", "Start"),)
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    assert [c["command"] for c in emu.user(CHAT).commands()] == ["start", "help"]
    assert [c["command"] for c in emu.user(2002).commands()] == ["start"]
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(CHAT))
    assert [c["command"] for c in emu.user(CHAT).commands()] == ["start"]

    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "hoofdletter")])
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("x" * 33, "te lang")])
    with pytest.raises(BadRequest, match="Bot_command_description_invalid"):
        await bot.set_my_commands([BotCommand("ok", "x" * 257)])
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands([BotCommand("ok", "ok")], scope=BotCommandScopeChat(999))


async def test_edit_message_text(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    sent = await bot.send_message(
        CHAT, "<b>Stap 1</b>", parse_mode="HTML", reply_markup=keyboard("s:1")
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Stap 1</b>", CHAT, sent.message_id, parse_mode="HTML", reply_markup=keyboard("s:1")
        )
    # Same text but without the keyboard: the keyboard goes away, so it is modified.
    edited = await bot.edit_message_text("<b>Stap 1</b>", CHAT, sent.message_id, parse_mode="HTML")
    assert not isinstance(edited, bool)
    assert edited.reply_markup is None
    assert edited.edit_date is not None
    stored = await user.wait_for_edit(sent.message_id, timeout=1)
    assert stored.edited == 1
    assert stored.buttons == []

    await bot.edit_message_text("Stap 2", CHAT, sent.message_id)
    assert user.last.text == "Stap 2"
    assert user.last.history == ["Stap 1", "Stap 1"]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", CHAT, 12345)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.edit_message_text("<b>x", CHAT, sent.message_id, parse_mode="HTML")


async def test_edit_reply_markup_and_delete(bot: Bot, emu: BotApiEmulator) -> None:
    sent = await bot.send_message(CHAT, "Kies", reply_markup=keyboard("k:1"))
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    assert emu.user(CHAT).last.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    assert await bot.delete_message(CHAT, sent.message_id)
    assert emu.user(CHAT).last.deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", CHAT, sent.message_id)


async def test_answer_callback_query(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")
    await bot.send_message(CHAT, "Kies", reply_markup=keyboard("k:1"))
    query_id = await user.press("knop 0")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="x" * 200, show_alert=True)
    answer = await user.wait_for_answer(query_id, timeout=1)
    assert answer.show_alert
    assert answer.data == "k:1"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)

    emu.callback_query_ttl = 0.0
    stale = await user.press(0)
    await asyncio.sleep(0.01)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(stale)


async def test_press_errors_list_buttons(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user(CHAT)
    with pytest.raises(AssertionError, match="no message with an inline keyboard"):
        await user.press("Ja")
    await bot.send_message(CHAT, "Kies", reply_markup=keyboard("k:1", "k:2"))
    with pytest.raises(AssertionError, match=r"available: \['knop 0', 'knop 1'\]"):
        await user.press("Ja")
    with pytest.raises(AssertionError, match="no button 5"):
        await user.press(5)


async def test_press_data_on_deleted_message_is_inaccessible(
    bot: Bot, emu: BotApiEmulator
) -> None:
    user = emu.user(CHAT)
    sent = await bot.send_message(CHAT, "Kies", reply_markup=keyboard("k:1"))
    await bot.delete_message(CHAT, sent.message_id)
    await user.press_data(sent.message_id, "k:1")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "k:1"
    message = update.callback_query.message
    assert message is not None
    assert not message.is_accessible


async def test_unknown_method(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_chat_action_and_misc(bot: Bot, emu: BotApiEmulator) -> None:
    assert await bot.send_chat_action(CHAT, "typing")
    assert emu.chat_actions == [(CHAT, "typing")]
    assert await bot.delete_webhook(drop_pending_updates=True)
    info = await bot.get_webhook_info()
    assert info.url == ""
    assert await bot.set_my_description("Beschrijving")
    assert (await bot.get_my_description()).description == "Beschrijving"
    assert await bot.log_out()
    assert await bot.close()
    assert emu.calls("sendChatAction")[0]["action"] == "typing"
