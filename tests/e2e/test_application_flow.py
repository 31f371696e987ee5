"""A client walks through /start and /aanvraag up to the payment deadline."""

from __future__ import annotations

from bot.app import CLIENT_COMMANDS
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import press, say


async def test_start_welcomes_with_menu_and_commands_are_registered(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator
) -> None:
    [welcome] = await say(client, "/start")
    assert "Welkom, Jan!" in welcome.text
    assert "14 kalenderdagen" in welcome.text
    assert "30 kalenderdagen" in welcome.text
    assert welcome.buttons == [
        "📝 Nieuwe aanvraag",
        "📅 Mijn termijnen",
        "🪪 Registreren op kmo-portefeuille.be",
        "🧮 Subsidie berekenen",
        "❓ Hulp",
    ]
    names = [c["command"] for c in emulator.commands()]
    # The whole configured menu, in order (other flows add their commands to it too).
    assert names == list(CLIENT_COMMANDS)
    assert names[:4] == ["start", "registratie", "aanvraag", "termijnen"]
    expected = {"berekenen", "contact", "help", "annuleer", "mijngegevens", "vergeetmij"}
    assert expected <= set(names)


async def test_full_application_to_the_payment_deadline(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [ask_service] = await say(client, "/aanvraag")
    assert ask_service.buttons == ["Opleiding", "Advies"]
    [ask_theme] = await press(client, "Opleiding")
    assert ask_theme.buttons == ["Algemeen", "Cybersecurity", "Energie-efficiëntie"]
    [ask_title] = await press(client, "Algemeen")
    assert "korte naam" in ask_title.text
    await say(client, "Opleiding veilig werken")
    await press(client, "Klein")
    [ask_agreement] = await press(client, "Nog niet gekend")
    assert "ingeschreven" in ask_agreement.text
    [ask_start] = await press(client, "Ja, ik ben ingeschreven")
    assert "startdatum" in ask_start.text
    [deadline] = await say(client, "1/12/2026")
    assert "dinsdag 15 december 2026" in deadline.text
    assert "U heeft nog 17 dagen." in deadline.text
    assert "DV.O101579" in deadline.text
    assert "www.kmo-portefeuille.be" in deadline.text
    assert deadline.buttons == ["✅ Aanvraag ingediend", "📅 Zet in mijn agenda"]

    [ask_filed] = await press(client, "✅ Aanvraag ingediend")
    assert ask_filed.buttons == ["Vandaag", "Gisteren"]
    recorded, status = await press(client, "Vandaag", replies=2)
    assert "aanvraag ingediend op zaterdag 28 november 2026" in recorded.text
    assert "VIGC bevestigt uw aanvraag" in status.text
    assert status.buttons == ["✅ VIGC heeft bevestigd"]

    await press(client, "✅ VIGC heeft bevestigd")
    recorded, payment = await say(client, "vandaag", replies=2)
    assert "VIGC heeft bevestigd op zaterdag 28 november 2026" in recorded.text
    assert "stort uw eigen bijdrage" in payment.text
    assert "Sodexo" in payment.text
    assert "maandag 28 december 2026" in payment.text
    assert "nog 30 dagen" in payment.text
    assert payment.buttons == ["✅ Eigen bijdrage gestort", "📅 Zet in mijn agenda"]


async def test_advice_needs_the_agreement_first_and_offers_cybersecurity_only(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await say(client, "/aanvraag")
    [ask_title] = await press(client, "Advies")  # one theme: no theme question
    assert "Cyberaudit" in ask_title.text
    await say(client, "Cyberaudit kantoor")
    await press(client, "Klein")
    await press(client, "Nog niet gekend")
    [first] = await press(client, "Nog niet")
    assert "Teken eerst de overeenkomst" in first.text
    [ask_start] = await press(client, "Ja, de overeenkomst is getekend")
    assert "samenwerking" in ask_start.text
    [deadline] = await say(client, "3 dec")
    assert "donderdag 17 december 2026" in deadline.text
    assert "DV.A104813" in deadline.text


async def test_termijnen_lists_open_dossiers_with_days_left(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [none] = await say(client, "/termijnen")
    assert "geen lopende dossiers" in none.text
    await _create_dossier(client, "Project A", "1/12/2026")
    await _create_dossier(client, "Project B", "morgen", size_known=True)
    header, first, second = await say(client, "/termijnen", replies=3)
    assert "2 lopende dossiers" in header.text
    # earliest start (so earliest deadline) first
    assert "Project B" in first.text
    assert "zondag 13 december 2026" in first.text
    assert "Project A" in second.text
    assert "nog 17 dagen" in second.text
    assert second.buttons == ["✅ Aanvraag ingediend", "📅 Zet in mijn agenda"]


async def test_a_start_too_long_ago_gets_an_honest_answer(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _answer_until_start_date(client, "Te laat")
    [answer] = await say(client, "1/11/2026")
    assert "liep af op zondag 15 november 2026" in answer.text
    assert "niet meer aanvragen" in answer.text
    assert answer.buttons == []
    [listing] = await say(client, "/termijnen")
    assert "geen lopende dossiers" in listing.text


async def test_a_start_more_than_a_year_ahead_is_checked(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _answer_until_start_date(client, "Ver weg")
    [check] = await say(client, "1/12/2028")
    assert "meer dan een jaar" in check.text
    [again] = await press(client, "Nee, andere datum")
    assert "startdatum" in again.text
    await say(client, "1/12/2028")
    [deadline] = await press(client, "Ja, dat klopt")
    assert "vrijdag 15 december 2028" in deadline.text


async def test_title_with_html_is_shown_back_escaped(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _answer_until_start_date(client, "<b>Jansen & Zonen</b>")
    [deadline] = await say(client, "1/12/2026")
    assert "<b>Jansen & Zonen</b>" in deadline.text  # plain text as the client sees it
    assert "&lt;b&gt;Jansen &amp; Zonen&lt;/b&gt;" in deadline.html


async def test_annuleer_leaves_the_flow_and_keeps_saved_dossiers(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _create_dossier(client, "Bewaard", "1/12/2026")
    await _answer_until_start_date(client, "Half", size_known=True)
    [cancelled] = await say(client, "/annuleer")
    assert "bestaande dossiers blijven bewaard" in cancelled.text
    [hint] = await say(client, "1/12/2026")  # no flow: a date is just text now
    assert "/help" in hint.text
    header, only = await say(client, "/termijnen", replies=2)
    assert "1 lopend dossier" in header.text
    assert "Bewaard" in only.text


async def _answer_until_start_date(
    client: FakeUser, title: str, *, size_known: bool = False
) -> None:
    await say(client, "/aanvraag")
    await press(client, "Opleiding")
    await press(client, "Algemeen")
    await say(client, title)
    if not size_known:  # asked once, then kept in the client's profile
        await press(client, "Klein")
    await press(client, "Nog niet gekend")
    await press(client, "Ja, ik ben ingeschreven")


async def _create_dossier(
    client: FakeUser, title: str, start: str, *, size_known: bool = False
) -> None:
    await _answer_until_start_date(client, title, size_known=size_known)
    await say(client, start)
