"""Zet in mijn agenda: an .ics file that calendar apps import, parsed back and checked."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar

from bot.emulator import FakeUser, SentMessage
from bot.runner import BotRuntime
from tests.e2e.conftest import create_dossier, press, say

AGENDA = "📅 Zet in mijn agenda"


async def _create_dossier(client: FakeUser, title: str, amount: str | None = None) -> SentMessage:
    """The dossier, its details answered; returns its deadline message."""
    await create_dossier(client, title, "1/12/2026", amount=amount)
    return next(m for m in client.messages if "Dien uw subsidieaanvraag in" in m.text)


def _parse(document: SentMessage) -> Calendar:
    assert document.kind == "document"
    assert document.filename is not None
    assert document.filename.endswith(".ics")
    assert document.mime_type == "text/calendar"
    assert document.document is not None
    return Calendar.from_ical(document.document)


async def test_ics_from_the_deadline_message(runtime: BotRuntime, client: FakeUser) -> None:
    deadline = await _create_dossier(client, "Veilig werken & <co>")
    assert deadline.buttons == ["📨 Ik heb de aanvraag ingediend", AGENDA]
    [document] = await press(client, AGENDA, message=deadline)
    assert "Veilig werken & <co>" in document.caption
    assert "Google Agenda, Outlook of Apple Agenda" in document.caption

    raw = (document.document or b"").decode()
    assert "DTSTART;VALUE=DATE:20261215" in raw
    assert "DTEND;VALUE=DATE:20261216" in raw
    calendar = _parse(document)
    assert str(calendar["VERSION"]) == "2.0"
    assert "VIGC" in str(calendar["PRODID"])
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == date(2026, 12, 15)
    assert not isinstance(start, datetime)  # all-day: a date, not a moment
    assert event.decoded("DTEND") == date(2026, 12, 16)
    assert str(event["UID"]).startswith("dossier-")
    assert isinstance(event.decoded("DTSTAMP"), datetime)
    summary = str(event["SUMMARY"])
    assert "subsidie aanvragen" in summary
    assert "Veilig werken & <co>" in summary  # plain text, not HTML-escaped
    assert "DV.O101579" in str(event["DESCRIPTION"])
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(hours=15)  # 09:00 the day before

    # Asking for the file is not an answer: the step button still works afterwards.
    assert deadline.buttons == ["📨 Ik heb de aanvraag ingediend", AGENDA]
    [ask_filed] = await press(client, "📨 Ik heb de aanvraag ingediend", message=deadline)
    assert ask_filed.buttons == ["Vandaag", "Gisteren"]


async def test_ics_from_termijnen_has_the_payment_deadline_and_own_share(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _create_dossier(client, "Opleiding A", amount="2000")
    await press(client, "📨 Ik heb de aanvraag ingediend")
    _, waiting = await press(client, "Vandaag", replies=2)
    assert waiting.buttons == ["📬 VIGC heeft bevestigd"]  # no deadline runs: nothing to add
    await client.press_data(waiting.message_id, "agenda:1")  # an older file button
    [nothing] = await client.wait_for_messages(1)
    assert "geen openstaande termijn" in nothing.text
    await press(client, "📬 VIGC heeft bevestigd")
    await say(client, "vandaag", replies=2)

    _, status = await say(client, "/termijnen", replies=2)
    assert status.buttons == ["💶 Mijn bijdrage is gestort", AGENDA]
    assert "regels vanaf" in status.text
    [document] = await press(client, AGENDA)
    [event] = _parse(document).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2026, 12, 28)
    assert event.decoded("DTEND") == date(2026, 12, 29)
    assert "eigen bijdrage storten" in str(event["SUMMARY"])
    description = str(event["DESCRIPTION"])
    assert "€ 1.400,00" in description
    assert "regels vanaf zondag 1 februari 2026" in description
    assert "op de rekening van Sodexo staan" in description
    assert str(event["UID"]) == "dossier-1-payment@kmo-portefeuille-assistent.vigc"

    # The same dossier and deadline always get the same UID: importing again updates.
    [again] = await press(client, AGENDA)
    assert str(_parse(again).walk("VEVENT")[0]["UID"]) == str(event["UID"])


async def test_someone_elses_dossier_or_an_old_button(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [welcome] = await say(client, "/start")
    await client.press_data(welcome.message_id, "agenda:999")
    [answer] = await client.wait_for_messages(1)
    assert "niet meer geldig" in answer.text
