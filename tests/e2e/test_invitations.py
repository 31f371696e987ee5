"""VIGC sets a dossier up, the client taps one link (issue 11): /nieuwdossier, the client's
"Klopt dit?", used, revoked, expired and wrong links, and staff in control."""

from __future__ import annotations

import re
from datetime import timedelta

import segno

from bot.clock import Clock
from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from bot.enrolment_files import QR_BORDER, QR_SCALE
from bot.runner import BotRuntime
from storage.audit import recent_actions
from storage.dossiers import list_client_dossiers
from storage.invitations import invitation_by_code
from tests.e2e.conftest import press, say
from tests.unit.test_enrolment_files import png_pixels

LINK = re.compile(r"https://t\.me/emulator_bot\?start=([A-Za-z0-9_-]+)")


def qr_modules(png: bytes) -> list[list[bool]]:
    """The dark modules of a QR image (the middle pixel of each), without the border."""
    pixels = png_pixels(png)
    size = len(pixels) // QR_SCALE - 2 * QR_BORDER
    middle = QR_SCALE // 2
    return [
        [
            pixels[(y + QR_BORDER) * QR_SCALE + middle][(x + QR_BORDER) * QR_SCALE + middle] == 0
            for x in range(size)
        ]
        for y in range(size)
    ]


async def new_dossier(
    staff: FakeUser,
    company: str = "Jansen bv",
    title: str = "Excel voor gevorderden",
    start: str = "1/12/2026",
    *,
    number: str | None = "0403.170.701",
) -> tuple[str, SentMessage]:
    """Staff walk through /nieuwdossier; returns (link, QR photo message)."""
    await say(staff, "/nieuwdossier")
    await say(staff, company)
    if number is None:
        await press(staff, "Nummer overslaan")
    else:
        await say(staff, number)
    await say(staff, start)
    await press(staff, "Opleiding")
    await press(staff, "Ander thema (standaardtarief)")
    await say(staff, title)
    await say(staff, "1.500")
    await press(staff, "Klein")
    [summary] = await say(staff, "Els Peeters")
    assert "Klopt dit?" in summary.text, summary.text
    text, photo = await press(staff, "🔗 Link maken", replies=2)
    match = LINK.search(text.text)
    assert match is not None, text.text
    assert photo.kind == "photo"
    return match.group(0), photo


async def test_staff_make_a_dossier_and_the_client_takes_it_over(
    runtime: BotRuntime, emulator: BotApiEmulator, staff: FakeUser, client: FakeUser
) -> None:
    link, photo = await new_dossier(staff)
    # The QR code is the link: the same modules as the QR library makes for that text.
    assert photo.photo is not None
    expected = segno.make(link, error="m", micro=False).matrix
    assert qr_modules(photo.photo) == [[bool(module) for module in row] for row in expected]

    await client.open_link(link)
    [check] = await client.wait_for_messages(1)
    assert "Jansen bv" in check.text
    assert "Excel voor gevorderden" in check.text
    assert "dinsdag 1 december 2026" in check.text  # the start date
    assert "dinsdag 15 december 2026" in check.text  # the application deadline
    assert "DV.O101579" in check.text  # VIGC's recognition number for training
    assert check.buttons == ["✅ Ja, dat klopt", "Nee, er klopt iets niet"]

    deadline, *_ = await press(client, "✅ Ja, dat klopt", replies=2)
    assert "staat nu op uw naam" in deadline.text, deadline.text
    dossiers = await list_client_dossiers(runtime.db, client.id)
    assert [(d.title, str(d.start_date)) for d in dossiers] == [
        ("Excel voor gevorderden", "2026-12-01")
    ]
    # From then on an ordinary dossier.
    _, overview = await say(client, "/termijnen", replies=2)
    assert "Excel voor gevorderden" in overview.text

    # The same link again: already theirs. Another account: refused, and staff hear it.
    await client.open_link(link)
    again, _ = await client.wait_for_messages(2)
    assert "staat al op uw naam" in again.text
    other = emulator.user(2002, "Piet")
    staff.mark()
    await other.open_link(link)
    [refused] = await other.wait_for_messages(1)
    assert "al gebruikt" in refused.text
    [told] = await staff.wait_for_messages(1)
    assert "Gebruikte link opnieuw geopend" in told.text
    assert "2002" in told.text
    code = link.rsplit("=", 1)[1]
    assert code not in told.text
    actions = [entry.action for entry in await recent_actions(runtime.db)]
    assert "invite" in actions


async def test_a_client_says_something_is_wrong_and_staff_correct_it(
    runtime: BotRuntime, staff: FakeUser, client: FakeUser
) -> None:
    link, _ = await new_dossier(staff)
    await client.open_link(link)
    await client.wait_for_messages(1)
    [ask] = await press(client, "Nee, er klopt iets niet")
    assert "Wat klopt er niet?" in ask.text
    staff.mark()
    [thanks] = await say(client, "De opleiding start op <3 december>")
    assert "doorgegeven aan VIGC" in thanks.text
    [alert] = await staff.wait_for_messages(1)
    assert "De opleiding start op &lt;3 december&gt;" in (alert.html or ""), alert.html
    assert await list_client_dossiers(runtime.db, client.id) == []

    [listing] = await say(staff, "/uitnodigingen")
    assert "met een opmerking van de klant" in listing.text
    [card] = await press(staff, listing.buttons[0])
    assert "Opmerking van de klant" in card.text
    await press(staff, "✏️ Corrigeren")
    await press(staff, "Startdatum")
    client.mark()
    await staff.send("3/12/2026")
    done, _card = await staff.wait_for_messages(2)
    assert "is aangepast" in done.text
    [news] = await client.wait_for_messages(1)
    assert "VIGC heeft uw project aangepast" in news.text
    assert link in news.text
    await client.open_link(link)
    [check] = await client.wait_for_messages(1)
    assert "donderdag 3 december 2026" in check.text
    await press(client, "✅ Ja, dat klopt", replies=2)
    [dossier] = await list_client_dossiers(runtime.db, client.id)
    assert str(dossier.start_date) == "2026-12-03"


async def test_every_other_link_gets_an_answer(
    runtime: BotRuntime, emulator: BotApiEmulator, staff: FakeUser, client: FakeUser, clock: Clock
) -> None:
    link, _ = await new_dossier(staff)
    revoked, _ = await new_dossier(staff, title="Word")
    [listing] = await say(staff, "/uitnodigingen")
    word = next(b for b in listing.buttons if b.startswith("#2"))
    await press(staff, word)
    await press(staff, "🚫 Intrekken")
    await press(staff, "Ja, intrekken")
    await client.open_link(revoked)
    [answer] = await client.wait_for_messages(1)
    assert "werkt niet meer" in answer.text

    # Twenty random codes: each gets an answer; after five an hour, they are not even looked up.
    stranger = emulator.user(3003, "Vreemde")
    answers = []
    for number in range(20):
        await stranger.open_link(
            f"https://t.me/emulator_bot?start=Random{number:02d}Code0123456789"
        )
        [reply] = await stranger.wait_for_messages(1)
        answers.append(reply.text)
    assert all("ken ik niet" in text for text in answers[:5])
    assert all("te veel links" in text for text in answers[5:])
    # The real link is refused too while the limit holds; an hour later it works.
    await stranger.open_link(link)
    [blocked] = await stranger.wait_for_messages(1)
    assert "te veel links" in blocked.text
    clock.advance(timedelta(hours=1, minutes=1))
    await stranger.open_link(link)
    [check] = await stranger.wait_for_messages(1)
    assert "Klopt dit?" in check.text

    # After the application deadline the link has expired.
    clock.advance(timedelta(days=20))
    await client.open_link(link)
    [expired] = await client.wait_for_messages(1)
    assert "verlopen" in expired.text
    invitation = await invitation_by_code(runtime.db, link.rsplit("=", 1)[1])
    assert invitation is not None
    assert invitation.status == "open"


async def test_my_data_and_forget_me_cover_invitations(
    runtime: BotRuntime, staff: FakeUser, client: FakeUser, emulator: BotApiEmulator
) -> None:
    link, _ = await new_dossier(staff)
    second, _ = await new_dossier(staff, title="Word")
    await client.open_link(link)
    await client.wait_for_messages(1)
    await press(client, "✅ Ja, dat klopt", replies=2)
    await client.open_link(second)
    await client.wait_for_messages(1)
    await press(client, "Nee, er klopt iets niet")
    await say(client, "Verkeerde titel")

    client.mark()
    await client.send("/mijngegevens")
    _, data = await client.wait_for_messages(2)
    assert data.document is not None
    assert b'"invitations"' in data.document
    assert b"Verkeerde titel" in data.document

    await say(client, "/vergeetmij")
    await press(client, "Ja, wis al mijn gegevens")
    assert await list_client_dossiers(runtime.db, client.id) == []
    questioned = await invitation_by_code(runtime.db, second.rsplit("=", 1)[1])
    assert questioned is not None
    assert (questioned.status, questioned.client_id, questioned.remark) == ("open", None, None)
    # The questioned project can be taken over again (by whoever VIGC sends it to).
    newcomer = emulator.user(4004, "Nieuw")
    await newcomer.open_link(second)
    [check] = await newcomer.wait_for_messages(1)
    assert "Klopt dit?" in check.text
