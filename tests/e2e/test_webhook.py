"""Webhook mode: Telegram (the emulator) POSTs updates; a 2xx answer means the update is stored.

The emulator delivers like Telegram: one update at a time, in order, with the secret header,
again after any non-2xx answer or no answer at all.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from bot.webhook import SECRET_HEADER
from storage import inbox
from tests.e2e.conftest import TOKEN, create_dossier, make_settings, say
from tests.e2e.process import BotProcess

PATH = "/telegram/webhook"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_settings(
    emulator: BotApiEmulator, db_path: Path, port: int | None = None, **extra: str
) -> Settings:
    port = port or free_port()
    return make_settings(
        emulator,
        db_path,
        WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        LISTEN_PORT=str(port),
        **extra,
    )


@pytest.fixture
async def webhook_runtime(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock
) -> AsyncIterator[BotRuntime]:
    runtime = BotRuntime(webhook_settings(emulator, tmp_path / "bot.sqlite3"), clock)
    await runtime.start()
    yield runtime
    await runtime.stop()


def inbox_ids(db_path: Path) -> set[int]:
    with closing(sqlite3.connect(db_path)) as conn:
        return {row[0] for row in conn.execute("SELECT update_id FROM inbox")}


async def test_a_whole_application_over_the_webhook(
    webhook_runtime: BotRuntime, emulator: BotApiEmulator, client: FakeUser
) -> None:
    url = webhook_runtime.settings.webhook_url
    assert emulator.webhook.url == url
    secret = emulator.webhook.secret_token
    assert secret is not None
    assert len(secret) >= 32  # generated: no WEBHOOK_SECRET in the settings
    assert emulator.calls("deleteWebhook") == []

    await create_dossier(client, "Via de webhook", "1/12/2026")
    await webhook_runtime.settle()

    assert emulator.calls("getUpdates") == []
    assert emulator.stats.webhook_ok == emulator.stats.webhook_posts > 5
    assert emulator.pending_updates == 0
    assert await inbox.count_unhandled(webhook_runtime.db) == 0
    assert webhook_runtime.webhook is not None
    assert webhook_runtime.webhook.responses == {200: emulator.stats.webhook_ok}


async def test_the_generated_secret_is_kept_and_a_configured_one_wins(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock, client: FakeUser
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    port = free_port()
    secrets = []
    for extra in ({}, {}, {"WEBHOOK_SECRET": "my-own_secret-42"}):
        runtime = BotRuntime(webhook_settings(emulator, db_path, port, **extra), clock)
        await runtime.start()
        try:
            secrets.append(emulator.webhook.secret_token)
            [welcome] = await say(client, "/start")
            assert welcome.text
        finally:
            await runtime.stop()
    assert secrets[0] == secrets[1]
    assert secrets[2] == "my-own_secret-42"


@pytest.mark.parametrize("header", [None, "wrong", ""])
async def test_a_wrong_or_missing_secret_gets_403_and_changes_nothing(
    webhook_runtime: BotRuntime, client: FakeUser, header: str | None
) -> None:
    db_path = webhook_runtime.settings.database_path
    url = webhook_runtime.settings.webhook_url
    assert url is not None
    before = inbox_ids(db_path)
    update = {
        "update_id": 424242,
        "message": {
            "message_id": 1,
            "date": 1790000000,
            "chat": {"id": client.id, "type": "private"},
            "from": {"id": client.id, "is_bot": False, "first_name": "Jan"},
            "text": "/start",
        },
    }
    headers = {} if header is None else {SECRET_HEADER: header}
    async with aiohttp.ClientSession() as http, http.post(url, json=update, headers=headers) as r:
        assert r.status == 403
    await asyncio.sleep(0.2)
    assert inbox_ids(db_path) == before
    assert client.messages == []


async def test_a_body_that_is_not_an_update_gets_400(
    webhook_runtime: BotRuntime, emulator: BotApiEmulator
) -> None:
    url = webhook_runtime.settings.webhook_url
    assert url is not None
    headers = {SECRET_HEADER: emulator.webhook.secret_token or ""}
    bodies = [b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}', b"\xff\xfe"]
    async with aiohttp.ClientSession() as http:
        for body in bodies:
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 400, body
        async with http.get(url, headers=headers) as response:
            assert response.status == 405
    assert inbox_ids(webhook_runtime.settings.database_path) == set()


async def test_an_update_that_could_not_be_stored_gets_500_and_comes_again(
    webhook_runtime: BotRuntime,
    emulator: BotApiEmulator,
    client: FakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = inbox.store_updates
    failures = 0

    async def flaky(*args: object, **kwargs: object) -> int:
        nonlocal failures
        if failures < 2:
            failures += 1
            raise OSError("disk full")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inbox, "store_updates", flaky)
    [welcome] = await say(client, "/start")
    assert "Welkom" in welcome.text
    assert emulator.stats.webhook_failed == 2
    assert emulator.webhook.last_error_message is not None
    assert "500" in emulator.webhook.last_error_message
    assert webhook_runtime.webhook is not None
    assert webhook_runtime.webhook.responses[500] == 2
    # Logged as errors in the runtime's own context (so each one is an alert candidate).
    assert webhook_runtime.alerts.errors == 2


async def test_an_update_nobody_can_read_is_left_aside_and_blocks_nothing(
    webhook_runtime: BotRuntime, emulator: BotApiEmulator, client: FakeUser
) -> None:
    url = webhook_runtime.settings.webhook_url
    assert url is not None
    headers = {SECRET_HEADER: emulator.webhook.secret_token or ""}
    odd = {"update_id": 10**9, "message": "not a message"}
    async with aiohttp.ClientSession() as http, http.post(url, json=odd, headers=headers) as r:
        assert r.status == 200  # stored: Telegram need not send it again
    [welcome] = await say(client, "/start")
    assert "Welkom" in welcome.text
    await webhook_runtime.settle()
    row = await webhook_runtime.db.fetch_one(
        "SELECT outcome FROM inbox WHERE update_id = ?", (10**9,)
    )
    assert row is not None
    assert row["outcome"] == inbox.FAILED


async def test_polling_mode_removes_the_webhook(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock, client: FakeUser
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    first = BotRuntime(webhook_settings(emulator, db_path), clock)
    await first.start()
    await say(client, "/start")
    await first.stop()
    assert emulator.webhook.url  # a restart in webhook mode keeps it

    second = BotRuntime(make_settings(emulator, db_path), clock)
    await second.start()
    try:
        assert emulator.webhook.url == ""
        assert second.servers == []  # polling without HEALTH_PORT: no server at all
        [answer] = await say(client, "/help")
        assert answer.text
        assert emulator.calls("getUpdates")
    finally:
        await second.stop()


async def test_kill_9_during_a_burst_loses_no_update_answered_2xx(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{PATH}",
        "LISTEN_PORT": str(port),
        "LOG_FORMAT": "json",
    }
    users = [emulator.user(5000 + n, f"Klant{n}") for n in range(20)]
    bot = BotProcess(emulator, tmp_path, ready_method="setWebhook", **env)
    await bot.start()
    rounds = 3
    for _ in range(rounds):
        for user in users:
            await user.send("/help")
    total = rounds * len(users)
    # Kill while the burst is being delivered.
    assert await emulator.wait_until(lambda: emulator.stats.webhook_ok >= 20, timeout=20)
    await bot.kill()
    answered_2xx = total - emulator.pending_updates
    assert 20 <= answered_2xx < total, "the kill came too late to test anything"
    # Delivered in order: updates 1..answered_2xx got a 2xx. Every one of them is stored.
    stored = inbox_ids(tmp_path / "bot.sqlite3")
    assert set(range(1, answered_2xx + 1)) <= stored

    restarted = BotProcess(emulator, tmp_path, ready_method="setWebhook", **env)
    await restarted.start()
    assert await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=20)
    # Every /help answered (all replies share Telegram's 30 messages/s); the one reply in
    # flight at the kill may come twice.
    for user in users:
        await user.wait_for_messages(rounds, timeout=20)
    for user in users:
        assert len(await user.wait_until_idle()) <= 1
    code, log = await restarted.terminate()
    assert code == 0
    assert TOKEN.split(":")[1] not in log
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert any(line["event"].startswith("Bot started as @") for line in lines)


async def test_a_webhook_path_the_bot_serves_itself_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "WEBHOOK_URL": "https://bot.example.be/healthz",
            "LISTEN_PORT": str(free_port()),
        }
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 2
    assert err.decode().strip().splitlines() == [
        "kmo-bot: WEBHOOK_URL must not end in /healthz (the bot serves it)"
    ]
    assert not (tmp_path / "bot.sqlite3").exists()  # refused before anything was done
