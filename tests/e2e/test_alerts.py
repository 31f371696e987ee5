"""Alerts: an unhandled error, a scheduler that stopped, a backlog that keeps growing: one short
Dutch message to the alert chat, through the outbox, at most once an hour per problem."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.alerts import innermost_own_frame, problem_of
from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from bot.texts import render
from tests.e2e.conftest import CLIENT_ID, TOKEN, make_settings, say

ALERT_CHAT = 777


async def _break_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError(f"disk on fire for client {CLIENT_ID}")

    monkeypatch.setattr("conversations.dossiers.list_open_dossiers", broken)


def _no_personal_data(text: str) -> None:
    assert str(CLIENT_ID) not in text
    assert "disk on fire" not in text  # the exception's message may quote anything
    assert "termijnen" not in text  # what the user typed
    assert "Jan" not in text
    assert TOKEN.split(":")[1] not in text


async def test_a_handler_error_alerts_the_staff_once_an_hour(
    runtime: BotRuntime,
    client: FakeUser,
    staff: FakeUser,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _break_deadlines(monkeypatch)
    [answer] = await say(client, "/termijnen")
    assert "er ging iets mis" in answer.text
    [alert] = await staff.wait_for_messages(1)
    assert "Storing in de bot" in alert.text
    assert "RuntimeError" in alert.text
    assert "conversations/dossiers.py" in alert.text
    _no_personal_data(alert.text)
    # The full traceback is in the log.
    [logged] = [r for r in caplog.records if "Error while handling update" in r.message]
    assert "disk on fire" in (logged.exc_text or "")

    # The same error again within the hour: the client is told, the staff are not.
    [answer] = await say(client, "/termijnen")
    assert "er ging iets mis" in answer.text
    await runtime.alerts.wait_until_idle()
    await runtime.settle()
    assert await staff.wait_until_idle() == []
    assert runtime.alerts.sent["error"] == 1
    assert runtime.alerts.errors == 2

    # An hour later it is news again.
    clock.advance(timedelta(minutes=61))
    await say(client, "/termijnen")
    [again] = await staff.wait_for_messages(1)
    assert "RuntimeError" in again.text


async def test_the_hour_holds_across_a_restart(
    emulator: BotApiEmulator,
    tmp_path: Path,
    clock: Clock,
    client: FakeUser,
    staff: FakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _break_deadlines(monkeypatch)
    settings = make_settings(emulator, tmp_path / "bot.sqlite3")
    for _ in range(2):
        runtime = BotRuntime(settings, clock)
        await runtime.start()
        try:
            await say(client, "/termijnen")
            await runtime.alerts.wait_until_idle()
            await runtime.settle()
        finally:
            await runtime.stop()
    assert len(staff.messages) == 1


async def test_alert_chat_id_gets_the_alert_instead_of_the_staff(
    emulator: BotApiEmulator,
    tmp_path: Path,
    clock: Clock,
    client: FakeUser,
    staff: FakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alert_chat = emulator.user(ALERT_CHAT, "Beheer")
    settings = make_settings(emulator, tmp_path / "bot.sqlite3", ALERT_CHAT_ID=str(ALERT_CHAT))
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    try:
        await _break_deadlines(monkeypatch)
        await say(client, "/termijnen")
        [alert] = await alert_chat.wait_for_messages(1)
        assert "RuntimeError" in alert.text
        await runtime.settle()
        assert staff.messages == []
    finally:
        await runtime.stop()


@pytest.fixture
async def quick() -> AsyncIterator[Callable[..., Awaitable[BotRuntime]]]:
    """Starts a runtime whose alert checks run every 0.1 s, with thresholds in seconds."""
    started: list[BotRuntime] = []

    async def start(
        settings: Settings, clock: Clock, *, stall: float = 3600.0, growing: float = 3600.0
    ) -> BotRuntime:
        runtime = BotRuntime(settings, clock)
        runtime.alerts.check_interval = 0.1
        runtime.alerts.scheduler_stall_after = stall
        runtime.alerts.backlog_growing_after = growing
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        await runtime.stop()


async def test_a_scheduler_that_stopped_passing_is_reported(
    quick: Callable[..., Awaitable[BotRuntime]], settings: Settings, clock: Clock, staff: FakeUser
) -> None:
    runtime = await quick(settings, clock, stall=0.3)
    runtime.tasks["reminders"].cancel()
    [alert] = await staff.wait_for_messages(1)
    assert "Herinneringen liggen stil" in alert.text
    await asyncio.sleep(0.5)
    assert await staff.wait_until_idle() == []  # once, not at every check


async def test_a_backlog_that_keeps_growing_is_reported(
    quick: Callable[..., Awaitable[BotRuntime]],
    settings: Settings,
    clock: Clock,
    emulator: BotApiEmulator,
    client: FakeUser,
    staff: FakeUser,
) -> None:
    await quick(settings, clock, growing=0.3)
    emulator.inject_faults(1.0, kinds=("502",), methods=["sendMessage"], duration=0.8)
    for _ in range(4):
        await client.send("/help")
        await asyncio.sleep(0.12)
    [alert] = await staff.wait_for_messages(1, timeout=10)
    assert "Berichten blijven liggen" in alert.text
    _no_personal_data(alert.text)
    await client.wait_for_messages(4, timeout=10)  # delivered once Telegram answers again


async def test_a_loop_that_dies_is_reported(
    runtime: BotRuntime, staff: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def dies(stop: asyncio.Event) -> None:
        raise ValueError("housekeeping bug")

    task = runtime._spawn("extra", dies(asyncio.Event()))
    await asyncio.wait([task])
    [alert] = await staff.wait_for_messages(1)
    assert "ValueError" in alert.text
    assert "tests/" not in alert.text  # where: the bot's own code (the runner here)


def test_an_alert_names_the_innermost_frame_of_the_bot_and_no_data() -> None:
    try:
        render("no/such/template", name="Jan Jansen")
    except Exception:
        record = logging.LogRecord(
            "bot.updates", logging.ERROR, __file__, 1, "boom", None, sys.exc_info()
        )
    problem = problem_of(record)
    assert problem.kind == "error"
    assert problem.values["where"].startswith("bot/texts.py:")
    assert "Jan" not in problem.key
    assert innermost_own_frame(None) is None
    plain = logging.LogRecord(
        "bot.health", logging.ERROR, __file__, 1, "webhook gone", None, None, func="probe"
    )
    assert problem_of(plain).values == {"error": "ERROR", "where": "bot.health.probe"}
