"""/berekenen: support and own share under the rules of the start date, cap and minimum."""

from __future__ import annotations

from bot.emulator import FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import STANDARD_THEME, create_dossier, press, say

SERVICE_BUTTONS = ["Opleiding", "Advies", "📅 Andere startdatum"]
THEMES = ["Cybersecurity", "Energie-efficiëntie", STANDARD_THEME]


async def _calculate(client: FakeUser, service: str, theme: str | None, size: str) -> None:
    await say(client, "/berekenen")
    await press(client, service)
    if theme is not None:
        await press(client, theme)
    await press(client, size)


async def test_small_company_training_of_2000_euro(runtime: BotRuntime, client: FakeUser) -> None:
    [ask_service] = await say(client, "/berekenen")
    assert "vandaag start" in ask_service.text
    assert "regels vanaf zondag 1 februari 2026" in ask_service.text
    assert ask_service.buttons == SERVICE_BUTTONS
    [ask_theme] = await press(client, "Opleiding")
    assert ask_theme.buttons == THEMES
    [ask_size] = await press(client, STANDARD_THEME)
    assert "minder dan 50 werknemers" in ask_size.text  # the EU definition
    assert "minder dan 250 werknemers" in ask_size.text
    assert ask_size.buttons == ["Klein", "Middelgroot"]
    [ask_amount] = await press(client, "Klein")
    assert "exclusief btw" in ask_amount.text
    assert ask_amount.buttons == []  # a calculation needs an amount

    [unreadable] = await say(client, "tweeduizend")
    assert "begrijp ik niet" in unreadable.text
    assert "1234,56" in unreadable.text
    [negative] = await say(client, "-2000")
    assert "negatief" in negative.text

    [result] = await say(client, "2.000")
    text = result.text
    assert "Bedrag exclusief btw: € 2.000,00" in text
    assert "Steunpercentage: 30 %" in text
    assert "Steun van de Vlaamse overheid: € 600,00" in text
    assert "Uw eigen bijdrage: € 1.400,00" in text
    assert "op de rekening van Sodexo staan" in text
    assert "regels vanaf zondag 1 februari 2026" in text
    assert 'href="https://www.kmo-portefeuille.be"' in result.html
    assert "jaarplafond" not in text  # not a known client: nothing to say about the year
    assert "minimum" not in text
    assert result.buttons == ["🧮 Nieuwe berekening", "📝 Nieuwe aanvraag"]
    [again] = await press(client, "🧮 Nieuwe berekening")
    assert again.buttons == SERVICE_BUTTONS


async def test_medium_company_above_the_annual_cap(runtime: BotRuntime, client: FakeUser) -> None:
    await _calculate(client, "Opleiding", STANDARD_THEME, "Middelgroot")
    [result] = await say(client, "€50000")
    text = result.text
    assert "middelgrote onderneming" in text
    assert "Steunpercentage: 20 %" in text
    assert "Steun van de Vlaamse overheid: € 7.500,00" in text  # not 20 % of 50.000
    assert "jaarplafond is € 7.500,00" in text
    assert "Uw eigen bijdrage: € 42.500,00" in text


async def test_a_known_clients_dossiers_of_the_year_reduce_what_is_left(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await say(client, "/start")
    await create_dossier(client, "Eerste", "1/12/2026", amount="20.000")  # € 6.000 support
    await say(client, "/berekenen")
    await press(client, "Opleiding")
    [ask_amount] = await press(client, STANDARD_THEME)  # the size is known: not asked
    assert "kleine onderneming" in ask_amount.text
    [result] = await say(client, "20.000")
    text = result.text
    assert "Steun van de Vlaamse overheid: € 1.500,00" in text  # 7.500 - 6.000
    assert "andere dossiers van dit jaar gebruiken daar al € 6.000,00 van" in text
    assert "Uw eigen bijdrage: € 18.500,00" in text


async def test_advice_for_anything_but_cybersecurity_gets_no_support(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await say(client, "/berekenen")
    [question] = await press(client, "Advies")
    assert "alleen voor cybersecurity" in question.text
    [honest] = await press(client, "Nee, over iets anders")
    assert "geen steun" in honest.text
    assert "/contact" in honest.text


async def test_advice_below_the_minimum_gets_no_support(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _calculate(client, "Advies", "Ja, over cybersecurity", "Klein")
    [result] = await say(client, "400")
    text = result.text
    assert "Geen steun" in text
    assert "minimum van € 500,00 exclusief btw" in text
    assert "volledige bedrag van € 400,00" in text
    assert "Steunpercentage" not in text


async def test_amounts_are_read_the_way_people_type_them(
    runtime: BotRuntime, client: FakeUser
) -> None:
    for typed in ("1234,56", "1.234,56", "€1234,56", "1234.56 euro"):
        await _calculate(client, "Opleiding", STANDARD_THEME, "Klein")
        [result] = await say(client, typed)
        assert "Bedrag exclusief btw: € 1.234,56" in result.text
        assert "€ 370,37" in result.text  # 30 %, rounded half up to the cent
        assert "Uw eigen bijdrage: € 864,19" in result.text


async def test_another_start_date_uses_the_rules_of_that_date(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await say(client, "/berekenen")
    [ask_start] = await press(client, "📅 Andere startdatum")
    assert ask_start.buttons == ["Vandaag"]
    [too_early] = await say(client, "1/1/2005")
    assert "ken ik geen regels" in too_early.text
    [ask_service] = await say(client, "1/3/2018")
    assert "start op donderdag 1 maart 2018" in ask_service.text
    assert "regels vanaf vrijdag 1 april 2016" in ask_service.text
    [ask_size] = await press(client, "Opleiding")  # one theme under that scheme
    assert "Hoe groot" in ask_size.text
    [ask_amount] = await press(client, "Klein")
    assert "exclusief btw" in ask_amount.text
    [result] = await say(client, "2000")
    assert "Steunpercentage: 40 %" in result.text
    assert "Uw eigen bijdrage: € 1.200,00" in result.text
    assert "regels vanaf vrijdag 1 april 2016" in result.text

    # The date can also follow the command.
    [ask_service] = await say(client, "/berekenen 15/3/2025")
    assert "regels vanaf woensdag 1 januari 2020" in ask_service.text
    [bad_date] = await say(client, "/berekenen 31/2/2025")
    assert "bestaat niet" in bad_date.text
    [ask_service] = await press(client, "Vandaag")
    assert "vandaag start" in ask_service.text


async def test_text_where_a_button_is_expected_reasks(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await say(client, "/berekenen")
    [answer] = await say(client, "opleiding")
    assert "Kies een van de knoppen" in answer.text
    assert answer.buttons == SERVICE_BUTTONS
    await press(client, "Opleiding")
    await client.send_sticker()
    [answer] = await client.wait_for_messages(1)
    assert answer.buttons == THEMES


async def test_a_dossier_with_an_amount_shows_the_own_share_at_the_payment_step(
    runtime: BotRuntime, client: FakeUser
) -> None:
    view = await create_dossier(client, "Veilig werken", "1/12/2026", amount="2.000,00")
    assert "Uw eigen bijdrage: € 1.400,00" in view.text
    await press(client, "📨 Ik heb de aanvraag ingediend", message=view)
    await press(client, "Vandaag", replies=2)
    await press(client, "📬 VIGC heeft bevestigd")
    _, payment = await say(client, "vandaag", replies=2)
    assert "uw eigen bijdrage van € 1.400,00 op de rekening van Sodexo staat" in payment.text

    # The size is kept: a second dossier asks only the amount, and the size can be changed.
    await say(client, "/aanvraag")
    await press(client, "Opleiding")
    await press(client, "Ja, ik ben ingeschreven")
    await say(client, "2/12/2026", replies=2)
    await press(client, STANDARD_THEME)
    [ask_amount] = await say(client, "Tweede project")
    assert "kleine onderneming" in ask_amount.text
    assert ask_amount.buttons == ["Nog niet gekend", "Andere grootte"]
    [ask_size] = await press(client, "Andere grootte")
    assert ask_size.buttons == ["Klein", "Middelgroot"]
