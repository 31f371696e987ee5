"""bot/http.py: python-telegram-bot over aiohttp answers and fails as over its own httpx.

The sender tells outcomes apart by python-telegram-bot's exceptions (sent, 429, blocked,
refused, try again later), so each must come out of the aiohttp transport as it does out of
HTTPXRequest: the same request through both, against the emulator.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.emulator import BotApiEmulator
from bot.http import AiohttpRequest

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
CHAT = 1001

Transport = Callable[..., BaseRequest]
TRANSPORTS: dict[str, Transport] = {"aiohttp": AiohttpRequest, "httpx": HTTPXRequest}


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        emulator.user(CHAT, "Jan", "jan_kmo")
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request: pytest.FixtureRequest) -> Transport:
    return TRANSPORTS[request.param]


async def _bot(url: str, transport: Transport, file_url: str = "", **timeouts: float) -> Bot:
    bot = Bot(
        TOKEN,
        base_url=url,
        base_file_url=file_url or url,
        request=transport(connection_pool_size=4, **timeouts),
        get_updates_request=transport(connection_pool_size=1),
    )
    await bot.initialize()
    return bot


async def test_messages_files_and_downloads_go_through(
    emu: BotApiEmulator, transport: Transport
) -> None:
    bot = await _bot(emu.base_url, transport, emu.base_file_url)
    try:
        sent = await bot.send_message(CHAT, "<b>Dag</b> Jan", parse_mode="HTML")
        assert sent.message_id > 0
        assert emu.user(CHAT).last.text == "Dag Jan"
        upload = InputFile(b"naam;datum\nJan;1/12/2026\n", filename="lijst.csv")
        document = await bot.send_document(CHAT, upload, caption="De lijst")
        assert document.document is not None
        assert emu.user(CHAT).last.caption == "De lijst"
        await emu.user(CHAT).send_document(b"%PDF-1.4 offerte", "offerte.pdf", "application/pdf")
        [update] = await bot.get_updates(timeout=0)
        assert update.message is not None
        assert update.message.document is not None
        file = await bot.get_file(update.message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 offerte"
    finally:
        await bot.shutdown()


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, RetryAfter), (403, Forbidden), (400, BadRequest), (502, NetworkError)],
)
async def test_error_answers_become_the_same_exceptions(
    emu: BotApiEmulator,
    transport: Transport,
    status: int,
    error: type[Exception],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as bot.app.build_bot sets it
    bot = await _bot(emu.base_url, transport)
    try:
        emu.fail_next("sendMessage", status)
        with pytest.raises(error) as raised:
            await bot.send_message(CHAT, "Dag")
        if isinstance(raised.value, RetryAfter):
            assert raised.value.retry_after.total_seconds() >= 1
        assert not isinstance(raised.value, TimedOut)
    finally:
        await bot.shutdown()


async def test_a_stalled_answer_is_a_timeout(emu: BotApiEmulator, transport: Transport) -> None:
    bot = await _bot(emu.base_url, transport, read_timeout=0.3)
    try:
        emu.inject_faults(1.0, duration=5, kinds=("timeout",), methods=["sendMessage"], stall=2)
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "Dag")
    finally:
        await bot.shutdown()


async def test_nobody_listening_is_a_network_error_not_a_timeout(transport: Transport) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/bot"
    request = transport(connection_pool_size=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"{url}{TOKEN}/getMe")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await request.shutdown()


async def test_proxies_from_the_environment_are_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    request = AiohttpRequest()
    await request.initialize()
    try:
        assert request.proxy_for("https://api.telegram.org/botX/getMe") == (
            "http://proxy.invalid:3128"
        )
        assert request.proxy_for("http://127.0.0.1:8081/botX/getMe") is None
    finally:
        await request.shutdown()
