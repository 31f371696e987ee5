"""/wijzig: a corrected date moves the deadline, and the reminders move with it."""

from __future__ import annotations

from datetime import datetime

from bot.emulator import FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import BRUSSELS, create_dossier, press, say


async def _pass_at(runtime: BotRuntime, user: FakeUser, moment: datetime) -> list:
    runtime.services.clock.travel_to(moment)
    await runtime.pass_reminders()
    return await user.wait_until_idle()


async def test_changing_the_start_date_reschedules_the_reminders(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Verschoven", "1/12/2026")
    [ask_field] = await say(client, "/wijzig")  # one dossier: straight to the date choice
    assert ask_field.buttons == ["Startdatum"]
    await press(client, "Startdatum")
    changed, status = await say(client, "5/12/2026", replies=2)
    assert "startdatum is nu zaterdag 5 december 2026" in changed.text
    assert "zaterdag 19 december 2026" in status.text
    # The old 7-day moment (8 December) is gone; the new one is 12 December.
    assert await _pass_at(runtime, client, datetime(2026, 12, 8, 9, 1, tzinfo=BRUSSELS)) == []
    [reminder] = await _pass_at(runtime, client, datetime(2026, 12, 12, 9, 1, tzinfo=BRUSSELS))
    assert "zaterdag 19 december 2026" in reminder.text


async def test_changing_the_confirmation_moves_the_payment_deadline(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Betaling", "1/12/2026")
    await press(client, "📨 Ik heb de aanvraag ingediend")
    await press(client, "Gisteren", replies=2)
    await press(client, "📬 VIGC heeft bevestigd")
    await press(client, "Vandaag", replies=2)  # pay by 28 December
    await say(client, "/wijzig")
    await press(client, "Bevestiging door VIGC")
    [refused] = await say(client, "1/1/2027")
    assert "ligt in de toekomst" in refused.text
    changed, status = await say(client, "gisteren", replies=2)
    assert "vrijdag 27 november 2026" in changed.text
    assert "zondag 27 december 2026" in status.text
    [reminder] = await _pass_at(runtime, client, datetime(2026, 12, 20, 9, 1, tzinfo=BRUSSELS))
    assert "zondag 27 december 2026" in reminder.text


async def test_choose_among_several_dossiers(runtime: BotRuntime, client: FakeUser) -> None:
    await create_dossier(client, "Eerste", "1/12/2026")
    await create_dossier(client, "Tweede", "2/12/2026")
    [ask] = await say(client, "/wijzig")
    assert ask.buttons == ["Eerste", "Tweede"]
    [ask_field] = await press(client, "Tweede")
    assert "Tweede" in ask_field.text


async def test_changing_back_and_forth_keeps_the_reminders(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Heen en weer", "1/12/2026")
    for start in ("2/12/2026", "1/12/2026"):
        await say(client, "/wijzig")
        await press(client, "Startdatum")
        await say(client, start, replies=2)
    [reminder] = await _pass_at(runtime, client, datetime(2026, 12, 8, 9, 1, tzinfo=BRUSSELS))
    assert "dinsdag 15 december 2026" in reminder.text


async def test_a_start_date_whose_rules_do_not_cover_the_dossier_is_refused(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Blijft", "1/12/2026")
    await say(client, "/wijzig")
    await press(client, "Startdatum")
    [refused] = await say(client, "1/12/2018")
    assert "niet meer aanvragen" in refused.text
    _, status = await say(client, "/termijnen", replies=2)
    assert "dinsdag 15 december 2026" in status.text  # nothing was saved
