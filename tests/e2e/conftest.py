"""End-to-end fixtures: the real bot, in-process, against the strict Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import buttons
from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from bot.runner import BotRuntime
from tests.e2e.process import kill_leftovers

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
BRUSSELS = ZoneInfo("Europe/Brussels")
CLIENT_ID = 1001
STAFF_ID = 900
# Every e2e test starts on Saturday 28 November 2026, 10:00 in Brussels.
START_OF_TEST = datetime(2026, 11, 28, 10, 0, tzinfo=BRUSSELS)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emu:
        try:
            yield emu
        finally:
            await kill_leftovers()  # bot processes a failed test left running
        assert emu.internal_errors == []
        assert_every_button_parses(emu)


def assert_every_button_parses(emulator: BotApiEmulator) -> None:
    """Every button the bot sent in the test is one of the registry's, and says what it is:
    its data parses back through `bot.buttons` and encodes to exactly the same data."""
    for user in emulator.users.values():
        for message in user.messages:
            for data in message.callback_data.values():
                parsed = buttons.parse(data)
                assert parsed is not None, data
                kind, value = parsed
                assert kind.button("label", value).data == data


def make_settings(emulator: BotApiEmulator, db_path: Path, **extra: str) -> Settings:
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_PATH": str(db_path),
        "STAFF_IDS": str(STAFF_ID),
        # Tests press buttons far faster than people do; the per-chat limit has its own tests.
        "CHAT_RATE": "30",
        "CHAT_BURST": "100",
        # Likewise for the flood guard (tests/e2e/test_faults.py checks it).
        "FLOOD_LIMIT": "1000",
        **extra,
    }
    return load_settings(values, env_file=None)


@pytest.fixture
def settings(emulator: BotApiEmulator, tmp_path: Path) -> Settings:
    return make_settings(emulator, tmp_path / "bot.sqlite3")


@pytest.fixture
def clock() -> Clock:
    clock = Clock(BRUSSELS)
    clock.travel_to(START_OF_TEST)
    return clock


@pytest.fixture
async def runtime(settings: Settings, clock: Clock) -> AsyncIterator[BotRuntime]:
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def client(emulator: BotApiEmulator) -> FakeUser:
    return emulator.user(CLIENT_ID, "Jan", "jan_kmo", last_name="Jansen")


@pytest.fixture
def staff(emulator: BotApiEmulator) -> FakeUser:
    return emulator.user(STAFF_ID, "Els", "els_vigc")


async def say(user: FakeUser, text: str, replies: int = 1) -> list:
    """The user types `text`; returns the bot's `replies` new messages."""
    await user.send(text)
    return await user.wait_for_messages(replies)


async def press(
    user: FakeUser, button: str, replies: int = 1, message: SentMessage | None = None
) -> list:
    """The user presses the button labelled `button` on `message` (default: the latest
    keyboard); returns the bot's `replies` new messages."""
    await user.press(button, message)
    return await user.wait_for_messages(replies)


# The button that says the agreement is signed (advice) or the client is enrolled (training).
AGREED = {"Opleiding": "Ja, ik ben ingeschreven", "Advies": "Ja, de overeenkomst is getekend"}
STANDARD_THEME = "Ander thema (standaardtarief)"


async def walk_to_start_date(user: FakeUser, service: str = "Opleiding") -> None:
    """Run /aanvraag up to the start date question."""
    await say(user, "/aanvraag")
    await press(user, service)
    [ask_start] = await press(user, AGREED[service])
    assert "startdatum" in ask_start.text, ask_start.text


async def create_dossier(
    user: FakeUser,
    title: str,
    start: str,
    *,
    theme: str = STANDARD_THEME,
    size: str = "Klein",
    amount: str | None = None,
) -> SentMessage:
    """A whole /aanvraag with the start date `start`, then its details; returns the final
    dossier view (its buttons: the next step, Aanvullen while something is missing, …)."""
    await walk_to_start_date(user)
    deadline, message = await say(user, start, replies=2)
    assert "Dien uw subsidieaanvraag in" in deadline.text, deadline.text
    for _ in range(6):
        text = message.text
        if text.startswith("📁"):
            return message
        if theme in message.buttons:
            [message] = await press(user, theme)
        elif "korte naam" in text:
            [message] = await say(user, title)
        elif size in message.buttons:
            [message] = await press(user, size)
        elif "exclusief btw" in text:
            [message] = await (say(user, amount) if amount else press(user, "Nog niet gekend"))
        else:
            raise AssertionError(f"unexpected question: {text!r}")
    raise AssertionError(f"no dossier view; last message: {message.text!r}")
