"""A client walks through /start and /aanvraag up to the payment deadline."""

from __future__ import annotations

from datetime import datetime

from bot.app import CLIENT_COMMANDS
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import (
    BRUSSELS,
    STANDARD_THEME,
    create_dossier,
    press,
    say,
    walk_to_start_date,
)


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
    [ask_agreement] = await press(client, "Opleiding")
    assert "ingeschreven" in ask_agreement.text
    [ask_start] = await press(client, "Ja, ik ben ingeschreven")
    assert "startdatum" in ask_start.text
    # The dossier exists as soon as the date is known; the details come after.
    deadline, ask_theme = await say(client, "1/12/2026", replies=2)
    assert "dinsdag 15 december 2026" in deadline.text
    assert "U heeft nog 17 dagen." in deadline.text
    assert "DV.O101579" in deadline.text
    assert "www.kmo-portefeuille.be" in deadline.text
    assert deadline.buttons == ["📨 Ik heb de aanvraag ingediend", "📅 Zet in mijn agenda"]
    assert ask_theme.buttons == ["Cybersecurity", "Energie-efficiëntie", STANDARD_THEME]
    [ask_title] = await press(client, STANDARD_THEME)
    assert "korte naam" in ask_title.text
    [ask_size] = await say(client, "Opleiding veilig werken")
    assert "Hoe groot" in ask_size.text
    [ask_amount] = await press(client, "Klein")
    assert "exclusief btw" in ask_amount.text
    [view] = await say(client, "2.000")
    assert "Opleiding veilig werken" in view.text
    assert "Uw eigen bijdrage: € 1.400,00" in view.text
    assert "regels vanaf zondag 1 februari 2026" in view.text
    assert 'href="https://www.kmo-portefeuille.be"' in view.html

    [ask_filed] = await press(client, "📨 Ik heb de aanvraag ingediend", message=view)
    assert ask_filed.buttons == ["Vandaag", "Gisteren"]
    recorded, status = await press(client, "Vandaag", replies=2)
    assert "aanvraag ingediend op zaterdag 28 november 2026" in recorded.text
    assert "VIGC bevestigt uw aanvraag" in status.text
    assert status.buttons == ["📬 VIGC heeft bevestigd"]

    await press(client, "📬 VIGC heeft bevestigd")
    recorded, payment = await say(client, "vandaag", replies=2)
    assert "VIGC heeft bevestigd op zaterdag 28 november 2026" in recorded.text
    assert "op de rekening van Sodexo staat" in payment.text
    assert "€ 1.400,00" in payment.text
    assert "maandag 28 december 2026" in payment.text
    assert "nog 30 dagen" in payment.text
    assert payment.buttons == ["💶 Mijn bijdrage is gestort", "📅 Zet in mijn agenda"]


async def test_advice_since_february_2026_is_for_cybersecurity_only(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await say(client, "/aanvraag")
    await press(client, "Advies")
    [first] = await press(client, "Nog niet")  # "Nog niet" ends the flow with what to do
    assert "Teken eerst de overeenkomst" in first.text
    assert "/aanvraag" in first.text
    [free] = await say(client, "3 dec")  # nothing waits for an answer any more
    assert "/help" in free.text
    await walk_to_start_date(client, "Advies")
    [question] = await say(client, "3 dec")
    assert "alleen voor cybersecurity" in question.text
    assert "vanaf zondag 1 februari 2026" in question.text
    assert question.buttons == ["Ja, over cybersecurity", "Nee, over iets anders"]
    [honest] = await press(client, "Nee, over iets anders")
    assert "geen steun" in honest.text
    assert "Hervorming kmo-portefeuille vanaf 1 februari 2026" in honest.text
    assert "/contact" in honest.text
    [none] = await say(client, "/termijnen")
    assert "geen lopende dossiers" in none.text  # nothing was recorded
    await walk_to_start_date(client, "Advies")
    await say(client, "3 dec")
    deadline, ask_title = await press(client, "Ja, over cybersecurity", replies=2)
    assert "donderdag 17 december 2026" in deadline.text
    assert "DV.A104813" in deadline.text
    assert "Cyberaudit" in ask_title.text  # one theme: no theme question


async def test_general_advice_that_started_before_the_reform_can_still_be_entered(
    runtime: BotRuntime, client: FakeUser
) -> None:
    runtime.services.clock.travel_to(datetime(2026, 2, 2, 10, tzinfo=BRUSSELS))
    await walk_to_start_date(client, "Advies")
    deadline, ask_theme = await say(client, "20/1/2026", replies=2)
    assert "dinsdag 3 februari 2026" in deadline.text
    assert STANDARD_THEME in ask_theme.buttons  # the 2020 rules had general advice


async def test_termijnen_lists_open_dossiers_with_days_left(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [none] = await say(client, "/termijnen")
    assert "geen lopende dossiers" in none.text
    await create_dossier(client, "Project A", "1/12/2026")
    await create_dossier(client, "Project B", "morgen")
    header, first, second = await say(client, "/termijnen", replies=3)
    assert "2 lopende dossiers" in header.text
    # earliest start (so earliest deadline) first
    assert "Project B" in first.text
    assert "zondag 13 december 2026" in first.text
    assert "Project A" in second.text
    assert "nog 17 dagen" in second.text
    assert "Nog aan te vullen: het bedrag" in second.text
    assert second.buttons == [
        "📨 Ik heb de aanvraag ingediend",
        "✏️ Aanvullen",
        "📅 Zet in mijn agenda",
    ]
    [ask_amount] = await press(client, "✏️ Aanvullen", message=second)
    assert "exclusief btw" in ask_amount.text
    [view] = await say(client, "1500")
    assert "Uw eigen bijdrage: € 1.050,00" in view.text
    assert "Aanvullen" not in view.buttons


async def test_a_start_too_long_ago_gets_an_honest_answer(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await walk_to_start_date(client)
    [answer] = await say(client, "1/11/2026")
    assert "liep af op zondag 15 november 2026" in answer.text
    assert "niet meer aanvragen" in answer.text
    assert answer.buttons == []
    [listing] = await say(client, "/termijnen")
    assert "geen lopende dossiers" in listing.text


async def test_a_start_more_than_a_year_ahead_is_checked(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await walk_to_start_date(client)
    [check] = await say(client, "1/12/2028")
    assert "meer dan een jaar" in check.text
    [again] = await press(client, "Nee, andere datum")
    assert "startdatum" in again.text
    await say(client, "1/12/2028")
    deadline, _ = await press(client, "Ja, dat klopt", replies=2)
    assert "vrijdag 15 december 2028" in deadline.text


async def test_title_with_html_is_shown_back_escaped(
    runtime: BotRuntime, client: FakeUser
) -> None:
    view = await create_dossier(client, "<b>Jansen & Zonen</b>", "1/12/2026")
    assert "<b>Jansen & Zonen</b>" in view.text  # plain text as the client sees it
    assert "&lt;b&gt;Jansen &amp; Zonen&lt;/b&gt;" in view.html


async def test_annuleer_leaves_the_flow_and_keeps_saved_dossiers(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await create_dossier(client, "Bewaard", "1/12/2026")
    await walk_to_start_date(client)
    [cancelled] = await say(client, "/annuleer")
    assert "bestaande dossiers blijven bewaard" in cancelled.text
    [hint] = await say(client, "1/12/2026")  # no flow: a date is just text now
    assert "/help" in hint.text
    header, only = await say(client, "/termijnen", replies=2)
    assert "1 lopend dossier" in header.text
    assert "Bewaard" in only.text


async def test_an_amount_under_the_minimum_gets_an_honest_answer(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await walk_to_start_date(client)
    await say(client, "1/12/2026", replies=2)
    await press(client, STANDARD_THEME)
    await say(client, "Korte cursus")
    await press(client, "Klein")
    [honest] = await say(client, "80")
    assert "Geen steun voor dit bedrag" in honest.text
    assert "€ 100,00" in honest.text
    assert honest.buttons == [
        "Ander bedrag",
        "Toch bijhouden, zonder steun",
        "Dossier verwijderen",
    ]
    [view] = await press(client, "Toch bijhouden, zonder steun")
    assert "Geen steun" in view.text
    assert "eigen bijdrage" not in view.text.lower()
    assert "niets aan te vragen" in view.text


async def test_a_client_who_stops_after_the_start_date_is_reminded(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await walk_to_start_date(client)
    await say(client, "1/12/2026", replies=2)  # then nothing more: no theme, no name
    runtime.services.clock.travel_to(datetime(2026, 12, 8, 9, 1, tzinfo=BRUSSELS))
    await runtime.pass_reminders()
    [reminder] = await client.wait_until_idle()
    assert "Nog 7 dagen." in reminder.text
    assert "project van dinsdag 1 december 2026" in reminder.text
