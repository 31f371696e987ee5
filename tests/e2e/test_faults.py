"""Telegram as production knows it: 429s, 502s and timeouts for a while, and a user who floods.

Every update still gets its proper reply, exactly once; nobody sees the generic error
because of a fault; one user's flood does not slow down the others.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.clock import Clock
from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from bot.limiter import Limiter
from bot.runner import BotRuntime
from tests.e2e.conftest import STANDARD_THEME, make_settings

ERROR_TEXT = "Sorry, er ging iets mis"
# A whole /aanvraag: what the client does, and a text in each of the bot's replies.
FLOW: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("type", "/start", ("Welkom",)),
    ("type", "/aanvraag", ("Voor welke dienst",)),
    ("press", "Opleiding", ("ingeschreven",)),
    ("press", "Ja, ik ben ingeschreven", ("startdatum",)),
    ("type", "1/12/2026", ("Dien uw subsidieaanvraag in", "thema")),
    ("press", STANDARD_THEME, ("korte naam",)),
    ("type", "Opleiding {n}", ("Hoe groot",)),
    ("press", "Klein", ("Wat kost",)),
    ("press", "Nog niet gekend", ("📁",)),
)
REPLIES = sum(len(expected) for _, _, expected in FLOW)


async def _walk(user: FakeUser, n: int, seconds: float) -> None:
    """The client goes through the whole flow, each step after the bot's answer to the last."""
    for action, what, expected in FLOW:
        if action == "type":
            await user.send(what.format(n=n))
        else:
            await user.press(what)
        replies = await user.wait_for_messages(len(expected), timeout=seconds)
        for reply, text in zip(replies, expected, strict=True):
            assert text in reply.text, (n, what, reply.text)


def _texts(messages: list[SentMessage]) -> list[str]:
    return [m.text for m in messages]


async def test_thirty_clients_through_twenty_seconds_of_429_502_and_timeouts(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock
) -> None:
    settings = make_settings(emulator, tmp_path / "bot.sqlite3", TELEGRAM_TIMEOUT="1")
    runtime = BotRuntime(settings, clock)
    # The faults' pace, not Telegram's 30 messages a second (330 replies would take 11 s on
    # their own; the limiter has its own tests, and a 429 still pauses this one).
    runtime.sender.limiter = Limiter(25, global_rate=10_000, chat_rate=30, chat_burst=100)
    await runtime.start()
    try:
        users = [emulator.user(3000 + n, f"Klant {n}") for n in range(30)]
        # Twenty seconds of faults (issue 9). A 429 holds every chat up for its retry_after
        # (1 s), a 502 or a timeout only its own chat: 429s come rarer, in their own window.
        floods = emulator.inject_faults(0.04, kinds=("429",), duration=20, seed=3)
        window = emulator.inject_faults(
            0.25, kinds=("502", "timeout"), duration=20, stall=1.5, seed=2
        )
        await asyncio.gather(*(_walk(user, n, seconds=90) for n, user in enumerate(users)))
        await runtime.settle()
    finally:
        await runtime.stop()
    assert floods.injected["429"]
    assert window.injected["502"]
    assert window.injected["timeout"]
    for user in users:
        texts = _texts(user.messages)
        assert not any(ERROR_TEXT in text for text in texts), texts
        assert len(texts) == REPLIES, texts  # every step answered, none twice
        assert len(set(texts)) == len(texts), texts


async def test_a_flood_from_one_user_does_not_hold_up_the_others(
    tmp_path: Path, clock: Clock
) -> None:
    # Telegram's own limits, and the bot's production pacing and flood guard.
    async with BotApiEmulator(
        global_rate_limit=30, per_chat_rate_limit=1, per_chat_burst=5
    ) as emulator:
        settings = make_settings(
            emulator,
            tmp_path / "bot.sqlite3",
            CHAT_RATE="1",
            CHAT_BURST="5",
            # The flooder's 8 answers: a burst of 5, then 3 at the chat's pace of one a
            # second, while the others use the bot (3 seconds).
            FLOOD_LIMIT="7",
            FLOOD_WINDOW="10",
        )
        runtime = BotRuntime(settings, clock)
        await runtime.start()
        try:
            flooder = emulator.user(4000, "Veel")
            others = [emulator.user(4100 + n, f"Rustig {n}") for n in range(5)]
            for n in range(300):
                await flooder.send(f"bericht {n}")
            waits = await asyncio.gather(*(_calm_client(user) for user in others))
            assert max(waits) < 5.0, waits
            await runtime.settle()  # the flooder's own answers come at the chat's pace
            texts = _texts(flooder.messages)
            assert sum("veel berichten" in text for text in texts) == 1
            assert len(texts) <= settings.flood_limit + 1
            assert emulator.stats.rate_limited == 0  # the bot kept to Telegram's pace
        finally:
            await runtime.stop()


async def _calm_client(user: FakeUser) -> float:
    """A client who uses the bot normally meanwhile; the longest wait for a reply."""
    longest = 0.0
    for text in ("/start", "/help", "/termijnen"):
        started = time.monotonic()
        await user.send(text)
        await user.wait_for_messages(1, timeout=10)
        longest = max(longest, time.monotonic() - started)
        await asyncio.sleep(1.0)  # a person reads before typing again
    return longest
