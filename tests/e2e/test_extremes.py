"""Year 9999, year 1, absurd amounts: a clear answer at every question that takes a date or
an amount, and the client stays at that question."""

from __future__ import annotations

import pytest

from bot.emulator import FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import (
    STANDARD_THEME,
    create_dossier,
    press,
    say,
    walk_to_start_date,
)

FAR = "te ver in het verleden of de toekomst"
EXTREME_DATES = ("31/12/9999", "9999-12-31", "1/1/0001", "1/1/1999", "29/2/2101")


@pytest.mark.parametrize("typed", EXTREME_DATES)
async def test_the_start_date_of_an_application(
    runtime: BotRuntime, client: FakeUser, typed: str
) -> None:
    await walk_to_start_date(client)
    [answer] = await say(client, typed)
    assert FAR in answer.text or "bestaat niet" in answer.text, answer.text
    deadline, _ = await say(client, "1/12/2026", replies=2)  # still at the question
    assert "Dien uw subsidieaanvraag in" in deadline.text


async def test_every_other_date_question(runtime: BotRuntime, client: FakeUser) -> None:
    await create_dossier(client, "Uiterst", "1/12/2026")
    await press(client, "📨 Ik heb de aanvraag ingediend")  # the filing date
    [answer] = await say(client, "31/12/9999")
    assert FAR in answer.text
    recorded, _ = await say(client, "vandaag", replies=2)
    assert "aanvraag ingediend" in recorded.text

    await say(client, "/wijzig")  # the corrected start date
    await press(client, "Startdatum")
    [answer] = await say(client, "9999-12-31")
    assert FAR in answer.text
    changed, _ = await say(client, "2/12/2026", replies=2)
    assert "2 december 2026" in changed.text

    [answer] = await say(client, "/berekenen 31/12/9999")  # the calculator's start date
    assert FAR in answer.text
    [ask_service] = await say(client, "1/12/2026")
    assert "Opleiding" in ask_service.buttons


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("99999999999", "te groot"),
        ("1e309", "begrijp ik niet"),
        ("9" * 200, "begrijp ik niet"),
        ("-5", "negatief"),
        ("NaN", "begrijp ik niet"),
    ],
)
async def test_absurd_amounts(
    runtime: BotRuntime, client: FakeUser, typed: str, expected: str
) -> None:
    await walk_to_start_date(client)
    await say(client, "1/12/2026", replies=2)
    await press(client, STANDARD_THEME)
    await say(client, "Groot")
    [ask_amount] = await press(client, "Klein")
    assert "exclusief btw" in ask_amount.text
    [answer] = await say(client, typed)
    assert expected in answer.text
    [view] = await say(client, "2000")  # still at the question
    assert "Uw eigen bijdrage: € 1.400,00" in view.text


async def test_staff_confirmation_date(
    runtime: BotRuntime, client: FakeUser, staff: FakeUser
) -> None:
    await create_dossier(client, "Uiterst", "1/12/2026")
    [answer] = await say(staff, "/bevestig 1 31/12/9999")
    assert FAR in answer.text
