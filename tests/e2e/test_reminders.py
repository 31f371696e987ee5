"""Reminders with time travel: once each, at 09:00 Brussels, durable, and quiet once done."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime

import pytest

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import BRUSSELS, create_dossier, press, say

# A dossier started on 1 December 2026 must be filed by Tuesday 15 December 2026.
MOMENTS = {
    7: datetime(2026, 12, 8, 9, 0, tzinfo=BRUSSELS),
    3: datetime(2026, 12, 12, 9, 0, tzinfo=BRUSSELS),
    1: datetime(2026, 12, 14, 9, 0, tzinfo=BRUSSELS),
    0: datetime(2026, 12, 15, 9, 0, tzinfo=BRUSSELS),
}
MISSED = datetime(2026, 12, 16, 9, 0, tzinfo=BRUSSELS)


def _brussels(y: int, m: int, d: int, h: int, minute: int = 1) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=BRUSSELS)


async def _at(runtime: BotRuntime, user: FakeUser, moment: datetime) -> list:
    """Travel to `moment`, run a scheduler pass, and return what the user received."""
    runtime.services.clock.travel_to(moment)
    await runtime.pass_reminders()
    return await user.wait_until_idle()


async def test_one_message_at_each_reminder_moment(runtime: BotRuntime, client: FakeUser) -> None:
    await create_dossier(client, "Veilig werken", "1/12/2026")
    assert await _at(runtime, client, _brussels(2026, 12, 8, 8, 59)) == []
    expected = {7: "Nog 7 dagen.", 3: "Nog 3 dagen.", 1: "Dat is morgen.", 0: "vandaag"}
    for offset, moment in MOMENTS.items():
        [reminder] = await _at(runtime, client, moment.replace(minute=1))
        assert "Herinnering: Veilig werken" in reminder.text
        assert "dinsdag 15 december 2026" in reminder.text
        assert expected[offset] in reminder.text
        assert "DV.O101579" in reminder.text
        assert reminder.buttons == ["👍 Gedaan", "🙋 Hulp van VIGC"]
        assert await _at(runtime, client, moment.replace(minute=30)) == []  # never twice


async def test_missed_deadline_gets_one_honest_message_then_silence(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Vergeten", "1/12/2026")
    runtime.services.clock.travel_to(MISSED.replace(hour=8))
    await runtime.pass_reminders()  # the reminders before are skipped after "downtime"
    await client.wait_until_idle()
    [missed] = await _at(runtime, client, MISSED.replace(minute=5))
    assert "Termijn verstreken: Vergeten" in missed.text
    assert "vervalt de subsidie" in missed.text
    assert "contact op met VIGC" in missed.text
    assert await _at(runtime, client, _brussels(2026, 12, 20, 9)) == []


async def test_restart_at_the_same_moment_sends_nothing_again(
    settings: Settings, clock: Clock, client: FakeUser
) -> None:
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    await create_dossier(client, "Herstart", "1/12/2026")
    [reminder] = await _at(runtime, client, MOMENTS[7].replace(minute=1))
    assert "Nog 7 dagen." in reminder.text
    await runtime.stop()

    again = BotRuntime(settings, clock)
    await again.start()  # the scheduler passes at start-up
    try:
        await again.pass_reminders()
        assert await client.wait_until_idle() == []
    finally:
        await again.stop()


async def test_downtime_over_two_moments_sends_only_the_latest(
    settings: Settings, clock: Clock, client: FakeUser
) -> None:
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    await create_dossier(client, "Offline", "1/12/2026")
    await runtime.stop()

    clock.travel_to(_brussels(2026, 12, 13, 11))  # missed the 7-day and the 3-day moments
    again = BotRuntime(settings, clock)
    await again.start()
    try:
        await again.pass_reminders()
        [reminder] = await client.wait_until_idle()
        assert "Nog 2 dagen." in reminder.text  # the 3-day reminder, read on the 13th
        assert await _at(again, client, _brussels(2026, 12, 13, 15)) == []
        [next_one] = await _at(again, client, MOMENTS[1])
        assert "Dat is morgen." in next_one.text
    finally:
        await again.stop()


async def test_gedaan_stops_the_remaining_reminders(runtime: BotRuntime, client: FakeUser) -> None:
    await create_dossier(client, "Snel", "1/12/2026")
    await _at(runtime, client, MOMENTS[7])
    recorded, status = await press(client, "👍 Gedaan", replies=2)
    assert "aanvraag ingediend op dinsdag 8 december 2026" in recorded.text
    assert status.buttons[0] == "📬 VIGC heeft bevestigd"
    for moment in [*MOMENTS.values(), MISSED]:
        assert await _at(runtime, client, moment.replace(minute=2)) == []


async def test_payment_reminders_follow_the_confirmation(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Betalen", "1/12/2026")
    await press(client, "📨 Ik heb de aanvraag ingediend")
    await press(client, "Vandaag", replies=2)
    await press(client, "📬 VIGC heeft bevestigd")
    await press(client, "Vandaag", replies=2)  # confirmed 28/11 -> pay by 28/12
    assert await _at(runtime, client, MOMENTS[7]) == []  # application reminders are gone
    [reminder] = await _at(runtime, client, _brussels(2026, 12, 21, 9))
    assert "op de rekening van Sodexo staan" in reminder.text
    assert "Sodexo" in reminder.text
    assert "maandag 28 december 2026" in reminder.text


async def test_staff_alert_one_day_before_with_client_name(
    runtime: BotRuntime, client: FakeUser, staff: FakeUser
) -> None:
    await create_dossier(client, "Risico", "1/12/2026")
    runtime.services.clock.travel_to(MOMENTS[1].replace(minute=1))
    await runtime.pass_reminders()
    [alert] = await staff.wait_until_idle()
    assert "Dossier in gevaar" in alert.text
    assert "Risico" in alert.text
    assert "Jan Jansen" in alert.text
    assert "@jan_kmo" in alert.text
    [reminder] = await client.wait_until_idle()
    assert "Dat is morgen." in reminder.text
    assert await _at(runtime, staff, MOMENTS[0]) == []  # one alert per dossier deadline


async def test_blocked_client_is_marked_inactive_and_reminders_stop(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator, settings: Settings
) -> None:
    await create_dossier(client, "Geblokkeerd", "1/12/2026")
    emulator.block(client.id)
    assert await _at(runtime, client, MOMENTS[7]) == []
    with closing(sqlite3.connect(settings.database_path)) as db:
        [(active,)] = db.execute("SELECT active FROM clients WHERE user_id = ?", (client.id,))
        statuses = dict(
            db.execute("SELECT offset_days, status FROM reminders WHERE audience = 'client'")
        )
    assert active == 0
    assert set(statuses.values()) == {"cancelled"}
    emulator.unblock(client.id)
    assert await _at(runtime, client, MOMENTS[3]) == []


async def test_429_is_waited_out_and_delivered_once(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator
) -> None:
    await create_dossier(client, "Druk", "1/12/2026")
    emulator.fail_next("sendMessage", 429, count=2, chat_id=client.id)
    [reminder] = await _at(runtime, client, MOMENTS[7])
    assert "Nog 7 dagen." in reminder.text


async def test_502_is_retried_with_backoff_until_delivered(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator
) -> None:
    await create_dossier(client, "Storing", "1/12/2026")
    emulator.fail_next("sendMessage", 502, count=2, chat_id=client.id)
    runtime.services.clock.travel_to(MOMENTS[7])
    await runtime.pass_reminders()
    [reminder] = await client.wait_for_messages(1, timeout=10)  # after 1 s, then 2 s
    assert "Nog 7 dagen." in reminder.text
    assert emulator.stats.responses[502] == 2
    assert await _at(runtime, client, MOMENTS[7].replace(minute=10)) == []


async def test_one_failing_client_does_not_hold_up_another(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator
) -> None:
    other = emulator.user(1002, "Mie")
    await create_dossier(client, "Traag", "1/12/2026")
    await create_dossier(other, "Vlot", "1/12/2026")
    emulator.fail_next("sendMessage", 502, count=5, chat_id=client.id)
    runtime.services.clock.travel_to(MOMENTS[7])
    await runtime.scheduler.run_once()  # the first client's reminder retries for half a minute
    [reminder] = await other.wait_for_messages(1, timeout=3)
    assert "Vlot" in reminder.text


async def test_dst_week_still_reminds_at_nine_local(runtime: BotRuntime, client: FakeUser) -> None:
    runtime.services.clock.travel_to(_brussels(2027, 3, 20, 10))
    await create_dossier(client, "Zomeruur", "20/3/2027")  # deadline Saturday 3 April 2027
    # 27 March is winter time (09:00 = 08:00 UTC); 31 March is after the switch to summer
    # time on 28 March (09:00 = 07:00 UTC).
    assert await _at(runtime, client, _brussels(2027, 3, 27, 8, 59)) == []
    [week] = await _at(runtime, client, _brussels(2027, 3, 27, 9, 0))
    assert "Nog 7 dagen." in week.text
    assert await _at(runtime, client, _brussels(2027, 3, 31, 8, 59)) == []
    [reminder] = await _at(runtime, client, _brussels(2027, 3, 31, 9, 0))
    assert "zaterdag 3 april 2027" in reminder.text


async def test_kill_between_queueing_and_sending_then_restart(
    settings: Settings, clock: Clock, client: FakeUser
) -> None:
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    await create_dossier(client, "Crash", "1/12/2026")
    runtime.tasks["sender"].cancel()  # the process "dies" before the sender gets to it
    clock.travel_to(MOMENTS[7].replace(minute=1))
    assert (await runtime.scheduler.run_once()).queued == 1
    await runtime.stop()
    assert await client.wait_until_idle() == []

    again = BotRuntime(settings, clock)
    await again.start()  # the outbox row is still pending: sent now
    try:
        await again.pass_reminders()
        *_, reminder = await client.wait_until_idle()  # (after the last reply in flight)
        assert "Nog 7 dagen." in reminder.text
        await again.pass_reminders()
        assert await client.wait_until_idle() == []
    finally:
        await again.stop()


async def test_a_half_finished_flow_does_not_swallow_gedaan(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Onderbroken", "1/12/2026")
    [reminder] = await _at(runtime, client, MOMENTS[7])
    await say(client, "/berekenen")  # left unfinished: the calculator waits for a button
    await client.press("👍 Gedaan", reminder)
    recorded, _ = await client.wait_for_messages(2)
    assert "aanvraag ingediend op dinsdag 8 december 2026" in recorded.text


async def test_missed_notice_is_retried_after_a_502(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator
) -> None:
    await create_dossier(client, "Gemist", "1/12/2026")
    runtime.services.clock.travel_to(MISSED.replace(hour=8))
    await runtime.pass_reminders()
    emulator.fail_next("sendMessage", 502, count=1, chat_id=client.id)
    [missed] = await _at(runtime, client, MISSED.replace(minute=1))  # again after a second
    assert "Termijn verstreken: Gemist" in missed.text
    assert emulator.stats.responses[502] == 1
    assert await _at(runtime, client, MISSED.replace(minute=5)) == []


async def test_unblocking_brings_the_reminders_back(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator
) -> None:
    await create_dossier(client, "Terug", "1/12/2026")
    emulator.block(client.id)
    assert await _at(runtime, client, MOMENTS[7]) == []  # 403: inactive, reminders stop
    emulator.unblock(client.id)
    await say(client, "/start")  # writing again reactivates the client
    [reminder] = await _at(runtime, client, MOMENTS[3])
    assert "Terug" in reminder.text


async def test_staff_alert_after_downtime_says_today(
    runtime: BotRuntime, client: FakeUser, staff: FakeUser
) -> None:
    await create_dossier(client, "Laat", "1/12/2026")
    await _at(runtime, staff, MOMENTS[0].replace(hour=10))
    [alert] = staff.messages[-1:]
    assert "(vandaag)" in alert.text


async def test_a_backlog_is_sent_in_consecutive_passes(
    runtime: BotRuntime, emulator: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.reminders.CLAIM_BATCH", 1)
    users = [emulator.user(2000 + n, f"Klant {n}") for n in range(3)]
    for user in users:
        await create_dossier(user, "Drukte", "1/12/2026")
    runtime.services.clock.travel_to(MOMENTS[7])
    runtime.services.reminders_wakeup.set()  # the loop, not a test pass: no 60 s waits between
    for user in users:
        [reminder] = await user.wait_for_messages(1, timeout=5)
        assert "Drukte" in reminder.text
