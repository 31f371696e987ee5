"""`/healthz` and `/metrics`: on the webhook port, or on HEALTH_PORT while polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import Clock
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import create_dossier, make_settings, say
from tests.e2e.test_webhook import free_port, webhook_settings


@pytest.fixture
async def webhook_runtime(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock
) -> AsyncIterator[BotRuntime]:
    runtime = BotRuntime(webhook_settings(emulator, tmp_path / "bot.sqlite3"), clock)
    # Seconds instead of half a minute: Telegram unheard of for 0.6 s is "degraded" here.
    runtime.health.stale_after = 0.6
    runtime.health.probe_interval = 0.1
    await runtime.start()
    yield runtime
    await runtime.stop()


def base_url(runtime: BotRuntime) -> str:
    [server, *_] = runtime.servers
    return f"http://127.0.0.1:{server.port}"


async def get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def wait_for_status(url: str, status: int, seconds: float = 5.0) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while True:
            got, body = await get(url)
            if got == status:
                return body
            await asyncio.sleep(0.05)


def scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics text by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    return sum(value for (sample, _), value in samples.items() if sample == name)


async def test_healthz_turns_503_while_telegram_does_not_answer_and_200_after(
    webhook_runtime: BotRuntime, emulator: BotApiEmulator
) -> None:
    url = base_url(webhook_runtime) + "/healthz"
    body = await wait_for_status(url, 200)
    assert body["status"] == "ok"
    assert body["mode"] == "webhook"
    assert body["database"] == "ok"
    assert body["webhook"] == "registered"
    assert 0 <= body["telegram_seconds_ago"] < 0.6
    assert set(body) == {"status", "mode", "database", "telegram_seconds_ago", "webhook"}

    emulator.inject_faults(1.0, kinds=("502",), duration=1.5)
    body = await wait_for_status(url, 503)
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["telegram_seconds_ago"] >= 0.6

    body = await wait_for_status(url, 200)
    assert body["status"] == "ok"


async def test_healthz_turns_503_when_the_database_does_not_answer(
    webhook_runtime: BotRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr("bot.health.ping", broken)
    status, body = await get(base_url(webhook_runtime) + "/healthz")
    assert status == 503
    assert body["database"] == "unreachable"


async def test_healthz_says_when_the_webhook_was_removed(
    webhook_runtime: BotRuntime, emulator: BotApiEmulator
) -> None:
    url = base_url(webhook_runtime) + "/healthz"
    await wait_for_status(url, 200)
    bot = webhook_runtime.bot
    await bot.delete_webhook()  # by hand, or another instance started in polling mode
    body = await wait_for_status(url, 503)
    assert body["webhook"] == "not registered"


async def test_metrics_count_what_the_emulator_saw(
    webhook_runtime: BotRuntime, emulator: BotApiEmulator, client: FakeUser
) -> None:
    emulator.fail_next("sendMessage", 429)  # the sender waits retry_after (1 s)
    emulator.fail_next("sendMessage", 502)  # and backs off 1 s
    await create_dossier(client, "Gemeten", "1/12/2026")
    await webhook_runtime.settle()

    status, text = await get(base_url(webhook_runtime) + "/metrics")
    assert status == 200
    samples = scrape(text)
    stats = emulator.stats

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("kmo_bot_messages_total", outcome="sent") == stats.sent > 5
    assert value("kmo_bot_messages_total", outcome="flood") == stats.rate_limited == 1
    assert value("kmo_bot_telegram_429_total") == 1
    assert value("kmo_bot_messages_total", outcome="retried") == stats.responses[502] == 1
    assert value("kmo_bot_messages_total", outcome="blocked") == 0
    updates = total(samples, "kmo_bot_updates_total")
    assert updates == stats.webhook_ok
    presses = len(emulator.calls("answerCallbackQuery"))
    assert value("kmo_bot_updates_total", kind="callback_query", outcome="handled") == presses
    assert value("kmo_bot_updates_total", kind="message", outcome="handled") == updates - presses
    assert total(samples, "kmo_bot_update_handling_seconds_count") == updates
    assert value("kmo_bot_webhook_requests_total", status="200") == stats.webhook_ok
    assert value("kmo_bot_outbox_backlog") == 0
    assert value("kmo_bot_inbox_unhandled") == 0
    assert value("kmo_bot_reminder_oldest_pending_seconds") == 0
    assert value("kmo_bot_scheduler_last_pass_timestamp_seconds") > 1.7e9
    assert 0 <= value("kmo_bot_telegram_last_contact_seconds") < 5
    assert value("kmo_bot_errors_total") == 0


async def test_polling_mode_serves_health_on_health_port_only(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock, client: FakeUser
) -> None:
    port = free_port()
    settings = make_settings(emulator, tmp_path / "bot.sqlite3", HEALTH_PORT=str(port))
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    try:
        await say(client, "/start")
        url = f"http://127.0.0.1:{port}"
        status, body = await get(url + "/healthz")
        assert (status, body["status"], body["mode"]) == (200, "ok", "polling")
        assert "webhook" not in body
        status, text = await get(url + "/metrics")
        assert status == 200
        samples = scrape(text)
        assert samples[("kmo_bot_updates_total", (("kind", "message"), ("outcome", "handled")))]
        assert not any(name.startswith("kmo_bot_webhook") for name, _ in samples)
        async with aiohttp.ClientSession() as http, http.post(url + "/telegram") as response:
            assert response.status in (404, 405)
    finally:
        await runtime.stop()
