"""Webhook mode: settings, delivery with retries and back-off, and the getUpdates conflict."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from bot.emulator import BotApiEmulator

from .conftest import CHAT, TOKEN

SECRET = "geheim_Token-1"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class Receiver:
    """A bot's webhook endpoint: records each POST and answers the next scripted status."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        """Statuses to answer, in order; 200 once they are used up."""
        self.posts: list[tuple[dict[str, Any], str | None, float]] = []
        self.url = ""
        self.on_update: Any = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.posts.append((body, secret, asyncio.get_running_loop().time()))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200 and self.on_update is not None:
            await self.on_update(body)
        return web.Response(status=status)

    @property
    def update_ids(self) -> list[int]:
        return [body["update_id"] for body, _, _ in self.posts]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


@pytest.fixture(autouse=True)
def _fast_retries(emu: BotApiEmulator) -> None:
    emu.webhook_retry_initial = 0.01
    emu.webhook_retry_max = 0.05


async def until(emu: BotApiEmulator, condition: Any, seconds: float = 5.0) -> None:
    assert await emu.wait_until(condition, seconds), "condition not met in time"


async def test_settings_round_trip(bot: Bot, emu: BotApiEmulator, receiver: Receiver) -> None:
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.last_error_date) == ("", 0, None)
    assert await bot.set_webhook(
        receiver.url,
        secret_token=SECRET,
        max_connections=1,
        allowed_updates=["message", "callback_query"],
    )
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.has_custom_certificate is False
    assert info.max_connections == 1
    assert set(info.allowed_updates or ()) == {"message", "callback_query"}
    assert emu.webhook.secret_token == SECRET
    assert await bot.delete_webhook()
    info = await bot.get_webhook_info()
    assert info.url == ""
    assert info.max_connections is None


async def test_get_updates_conflicts_while_a_webhook_is_set(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{emu.base_url}{TOKEN}/getUpdates") as resp,
    ):
        assert resp.status == 409
        assert (await resp.json())["description"] == WEBHOOK_CONFLICT
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_setting_a_webhook_ends_a_pending_long_poll(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    async with aiohttp.ClientSession() as http:

        async def poll() -> tuple[int, dict[str, Any]]:
            url = f"{emu.base_url}{TOKEN}/getUpdates"
            async with http.post(url, json={"timeout": 10}) as resp:
                return resp.status, await resp.json()

        task = asyncio.create_task(poll())
        await asyncio.sleep(0.1)
        await bot.set_webhook(receiver.url)
        status, body = await asyncio.wait_for(task, 5)
    assert status == 409
    assert body["description"] == WEBHOOK_CONFLICT


async def test_delivery_in_order_with_the_secret_and_retries(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    user = emu.user(CHAT)
    await user.send("een")
    await user.send("twee")
    receiver.statuses = [500, 503]
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    await until(emu, lambda: emu.pending_updates == 0)
    assert receiver.update_ids == [1, 1, 1, 2]
    assert {secret for _, secret, _ in receiver.posts} == {SECRET}
    assert receiver.posts[-1][0]["message"]["text"] == "twee"
    stats = emu.stats
    assert (stats.webhook_posts, stats.webhook_ok, stats.webhook_failed) == (4, 2, 2)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 503 Service Unavailable"
    assert info.last_error_date is not None
    assert info.last_error_date.timestamp() == 1_700_000_000

    await user.send("drie")  # delivered as it comes
    await until(emu, lambda: receiver.update_ids[-1:] == [3])


async def test_no_secret_header_without_a_secret(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    await emu.user(CHAT).send("hallo")
    await until(emu, lambda: emu.stats.webhook_ok == 1)
    assert receiver.posts[0][1] is None


async def test_back_off_doubles_up_to_the_cap(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    emu.webhook_retry_initial = 0.1
    emu.webhook_retry_max = 0.2
    receiver.statuses = [500, 500, 500, 500]
    await emu.user(CHAT).send("hallo")
    await bot.set_webhook(receiver.url)
    await until(emu, lambda: emu.stats.webhook_ok == 1)
    times = [at for _, _, at in receiver.posts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 4
    assert gaps[0] >= 0.1
    assert gaps[1] >= 0.2
    assert gaps[2] >= 0.2
    assert gaps[3] < 0.6  # capped at 0.2 s; doubling on would wait 0.8 s


async def test_unreachable_webhook_then_back_to_polling(bot: Bot, emu: BotApiEmulator) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    await emu.user(CHAT).send("hallo")
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    await until(emu, lambda: emu.stats.webhook_unreachable >= 2)
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1
    assert await bot.delete_webhook()
    [update] = await bot.get_updates()  # the update waited for getUpdates
    assert update.message is not None
    assert update.message.text == "hallo"


async def test_delete_webhook_stops_deliveries(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    user = emu.user(CHAT)
    await bot.set_webhook(receiver.url)
    await user.send("een")
    await until(emu, lambda: emu.stats.webhook_ok == 1)
    await bot.delete_webhook()
    await user.send("twee")
    await asyncio.sleep(0.1)
    assert receiver.update_ids == [1]
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["twee"]


async def test_drop_pending_updates(bot: Bot, emu: BotApiEmulator, receiver: Receiver) -> None:
    user = emu.user(CHAT)
    await user.send("oud")
    await bot.set_webhook(receiver.url, drop_pending_updates=True)
    await user.send("nieuw")
    await until(emu, lambda: emu.stats.webhook_ok == 1)
    assert [body["message"]["text"] for body, _, _ in receiver.posts] == ["nieuw"]
    receiver.statuses = [500] * 1000
    await user.send("blijft hangen")
    await until(emu, lambda: emu.stats.webhook_failed >= 1)
    await bot.delete_webhook(drop_pending_updates=True)
    assert emu.pending_updates == 0


async def test_allowed_updates_filter_deliveries(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    user = emu.user(CHAT)
    await bot.send_message(
        CHAT,
        "Kies",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="j")]]),
    )
    await bot.set_webhook(receiver.url, allowed_updates=["callback_query"])
    await user.send("niet gewenst")
    await user.press("Ja")
    await until(emu, lambda: emu.stats.webhook_ok == 1)
    [(body, _, _)] = receiver.posts
    assert body["callback_query"]["data"] == "j"
    assert emu.pending_updates == 0


async def test_callback_queries_by_webhook_need_an_answer(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    user = emu.user(CHAT)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="j")]])
    await bot.send_message(CHAT, "Kies", reply_markup=markup)
    await bot.set_webhook(receiver.url)
    query_id = await user.press("Ja")
    await until(emu, lambda: emu.stats.webhook_ok == 1)
    assert emu.unanswered_callbacks() == [query_id]
    assert await bot.answer_callback_query(query_id)
    assert emu.unanswered_callbacks() == []


async def test_wait_until_idle_waits_for_the_webhook_to_accept(
    bot: Bot, emu: BotApiEmulator, receiver: Receiver
) -> None:
    user = emu.user(CHAT)
    receiver.statuses = [500] * 1000
    await bot.set_webhook(receiver.url)
    await user.send("hallo")
    await until(emu, lambda: emu.stats.webhook_failed >= 1)
    with pytest.raises(AssertionError, match="undelivered"):
        await user.wait_until_idle(quiet=0.05, timeout=0.3)
    receiver.statuses.clear()
    assert await user.wait_until_idle(quiet=0.05, timeout=2) == []


@pytest.mark.parametrize(
    ("url", "secret", "error"),
    [
        ("https://example.com/hook", None, "only delivers to 127.0.0.1"),
        ("ftp://127.0.0.1/hook", None, "wrong http url"),
        ("http://127.0.0.1:1/hook", "met spatie", "secret token contains unallowed"),
        ("http://127.0.0.1:1/hook", "x" * 257, "secret token contains unallowed"),
    ],
)
async def test_bad_webhooks_are_refused(
    bot: Bot, emu: BotApiEmulator, url: str, secret: str | None, error: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.set_webhook(url, secret_token=secret)
    assert error in info.value.message.lower()
    assert not emu.webhook.active


async def test_max_connections_range(bot: Bot, receiver: Receiver) -> None:
    with pytest.raises(BadRequest, match="max_connections"):
        await bot.set_webhook(receiver.url, max_connections=101)


# -- a python-telegram-bot Application behind the webhook ------------------------------------


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"welkom {' '.join(context.args or [])}".strip())


async def test_an_application_fed_by_the_webhook(emu: BotApiEmulator, receiver: Receiver) -> None:
    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .updater(None)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))

    async def feed(body: dict[str, Any]) -> None:
        await app.update_queue.put(Update.de_json(body, app.bot))

    receiver.on_update = feed
    async with app:
        await app.start()
        await app.bot.set_webhook(receiver.url, secret_token=SECRET)
        user = emu.user(CHAT)
        await user.open_link("https://t.me/emulator_bot?start=uitnodiging_42")
        [reply] = await user.wait_for_messages(1)
        assert reply.text == "welkom uitnodiging_42"
        assert await user.wait_until_idle(quiet=0.05) == []
        await app.stop()
