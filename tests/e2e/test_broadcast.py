"""/broadcast end to end: audiences, preview, flood limits, blocked clients, retries, queue."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

import pytest

from bot.clock import Clock
from bot.emulator import BotApiEmulator, FakeUser
from bot.limiter import Limiter
from bot.runner import BotRuntime
from storage.audit import recent_actions
from storage.broadcasts import recent_broadcasts
from storage.clients import get_client, mark_inactive
from tests.e2e.conftest import press, say
from tests.e2e.staff_helpers import received, seed_clients, seed_dossier, start_broadcast

BOLD_AND_LINK = [
    {"type": "bold", "offset": 0, "length": 5},
    {"type": "text_link", "offset": 32, "length": 9, "url": "https://www.vigc.be/kmo"},
]
TEXT = "Beste klant, lees ons nieuws op onze site: nieuwe regels."


async def test_thirty_clients_five_blocked_under_a_flood_limit(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    users = await seed_clients(runtime.db, emulator, clock, range(3001, 3031))
    blocked = users[::6]
    assert len(blocked) == 5
    for user in blocked:
        user.block()
    emulator.global_rate_limit = 10  # the fake answers 429 above 10 messages per second
    runtime.monitor.progress_interval = 0.5

    preview, progress = await start_broadcast(staff, TEXT, entities=BOLD_AND_LINK)
    assert preview.html == (
        '<b>Beste</b> klant, lees ons nieuws op <a href="https://www.vigc.be/kmo">onze site</a>:'
        " nieuwe regels."
    )
    assert preview.buttons == []  # Versturen / Annuleren went with the press
    assert "0 / 30 verzonden" in progress.text
    async with asyncio.timeout(30):
        await runtime.settle()

    counts = received(users, TEXT)
    assert {uid: n for uid, n in counts.items() if n != 1} == {u.id: 0 for u in blocked}
    delivered = next(m for m in users[1].messages if m.text == TEXT)
    assert delivered.html == preview.html  # exactly what staff previewed
    assert emulator.stats.rate_limited > 0  # the limit was hit and waited out
    report = emulator.find_message(staff.id, progress.message_id)
    assert report is not None
    assert "Rondzending #1 klaar" in report.text
    assert "Afgeleverd: 25\nGeblokkeerd: 5\nMislukt: 0\nDuur: " in report.text
    assert any(" / 30 verzonden" in earlier for earlier in report.history[1:])
    for user in blocked:
        client = await get_client(runtime.db, user.id)
        assert client is not None
        assert not client.active
    [audit] = [a for a in await recent_actions(runtime.db) if a.action == "broadcast"]
    assert audit.staff_id == staff.id
    assert audit.details == {"broadcast": 1, "audience": "all", "recipients": 30}

    [listing] = await say(staff, "/broadcasts")
    assert "#1" in listing.text
    assert "Afgeleverd 25, geblokkeerd 5, mislukt 0" in listing.text
    assert "Beste klant, lees ons nieuws" in listing.text


async def test_audiences_are_counted_and_only_the_chosen_one_gets_it(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    soon, later, no_dossier, gone = await seed_clients(
        runtime.db, emulator, clock, [4001, 4002, 4003, 4004]
    )
    await seed_dossier(runtime.db, clock, soon.id, "Binnenkort", date(2026, 11, 19))  # 5 days
    await seed_dossier(runtime.db, clock, later.id, "Later", date(2026, 11, 26))  # 12 days
    await seed_dossier(runtime.db, clock, gone.id, "Weg", date(2026, 11, 19))
    await mark_inactive(runtime.db, gone.id, clock.now())  # blocked the bot earlier

    await say(staff, "/broadcast")
    [ask] = await say(staff, "Uw termijn nadert")
    assert ask.buttons == [
        "Alle klanten (3)",
        "Met een lopend dossier (2)",
        "Termijn binnen 7 dagen (1)",
    ]
    header, preview = await press(staff, "Termijn binnen 7 dagen (1)", replies=2)
    assert "1 klant" in header.text
    assert preview.text == "Uw termijn nadert"
    assert preview.buttons == ["Versturen", "Annuleren"]
    await press(staff, "Versturen")
    async with asyncio.timeout(10):
        await runtime.settle()
    assert received([soon, later, no_dossier, gone], "Uw termijn nadert") == {
        soon.id: 1,
        later.id: 0,
        no_dossier.id: 0,
        gone.id: 0,
    }


async def test_cancel_sends_nothing_and_only_text_is_accepted(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    [user] = await seed_clients(runtime.db, emulator, clock, [4101])
    await say(staff, "/broadcast")
    await staff.send_sticker()
    [again] = await staff.wait_for_messages()
    assert "alleen een tekstbericht" in again.text
    await say(staff, "Niet versturen")
    [hint] = await say(staff, "nog iets")  # text while the audience buttons wait
    assert "Kies een groep" in hint.text
    await press(staff, "Alle klanten (1)", replies=2)
    [cancelled] = await press(staff, "Annuleren")
    assert "Niet verstuurd" in cancelled.text

    await say(staff, "/broadcast")
    [stopped] = await say(staff, "/annuleer")
    assert "Gestopt" in stopped.text
    assert await user.wait_until_idle() == []
    assert user.messages == []
    assert await recent_broadcasts(runtime.db) == []


async def test_timeouts_and_server_errors_are_retried_and_rejections_reported(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    users = await seed_clients(runtime.db, emulator, clock, range(4201, 4211))
    emulator.fail_next("sendMessage", 502, count=2, chat_id=users[0].id)
    emulator.fail_next("sendMessage", 504, count=1, chat_id=users[1].id)
    emulator.fail_next(
        "sendMessage", 400, chat_id=users[2].id, description="Bad Request: something is off"
    )
    _, progress = await start_broadcast(staff, "Nieuws")
    async with asyncio.timeout(10):
        await runtime.settle()
    counts = received(users, "Nieuws")
    assert counts == {user.id: 0 if user is users[2] else 1 for user in users}
    report = emulator.find_message(staff.id, progress.message_id)
    assert report is not None
    assert "Afgeleverd: 9\nGeblokkeerd: 0\nMislukt: 1" in report.text


async def test_a_second_broadcast_waits_for_the_first(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    users = await seed_clients(runtime.db, emulator, clock, range(4301, 4305))
    runtime.sender.limiter = Limiter(2, chat_rate=30, chat_burst=100)  # the first takes 2 s
    await start_broadcast(staff, "Eerste bericht")
    _, second = await start_broadcast(staff, "Tweede bericht")
    assert "In de wachtrij" in second.text
    async with asyncio.timeout(15):
        await runtime.settle()
    for user in users:
        assert [m.text for m in user.messages] == ["Eerste bericht", "Tweede bericht"]
    report = emulator.find_message(staff.id, second.message_id)
    assert report is not None
    assert "Rondzending #2 klaar" in report.text


async def test_non_staff_cannot_reach_the_broadcast_buttons(
    runtime: BotRuntime, client: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    [unknown] = await say(client, "/onbekend")
    [answer] = await say(client, "/broadcast")
    assert (answer.html, answer.buttons) == (unknown.html, unknown.buttons)
    await client.press_data(unknown.message_id, "bc:send")
    stale = await client.wait_for_message()
    assert "niet meer geldig" in stale.text
    assert "Staff command /broadcast tried by non-staff user 1001" in caplog.text
