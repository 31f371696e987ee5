"""/registratie: the six steps of the website, kept across days and restarts of the bot."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import CLIENT_ID, press, say

DONE = "👍 Gedaan"
HELP = "🙋 Ik heb hulp nodig"
LATER = "⏸ Later verder"
STEP_BUTTONS = [DONE, HELP, LATER]


def _registration_row(settings: Settings) -> tuple[str | None, str | None, int]:
    with sqlite3.connect(settings.database_path) as conn:
        row = conn.execute(
            "SELECT company_name, enterprise_number, registration_step FROM clients"
            " WHERE user_id = ?",
            (CLIENT_ID,),
        ).fetchone()
    assert row is not None
    return row


async def _to_step(client: FakeUser, step: int) -> None:
    await say(client, "/registratie")
    for _ in range(step - 1):
        await press(client, DONE)


async def test_whole_registration_with_a_stop_after_step_3_and_a_restart(
    runtime: BotRuntime, client: FakeUser, settings: Settings, clock: Clock
) -> None:
    [step1] = await say(client, "/registratie")
    assert "6 stappen" in step1.text
    assert "Stap 1 van 6" in step1.text
    assert "Registreer uzelf persoonlijk" in step1.text
    assert "rechts bovenaan" in step1.text
    assert step1.buttons == [*STEP_BUTTONS, "Ik ben al geregistreerd"]

    [step2] = await press(client, DONE)
    assert "Stap 2 van 6" in step2.text
    assert "applicatiegebruiker" in step2.text
    assert "federaal token" not in step2.text  # phased out on 31 January 2024
    assert "itsme" in step2.text
    assert "beveiligingscode" in step2.text
    assert "www.csam.be" in step2.text
    assert "e-ID" in step2.text
    assert step2.buttons == STEP_BUTTONS

    [help2] = await press(client, HELP)
    assert "Hulp bij stap 2" in help2.text
    assert "PUK-code" in help2.text
    assert "Contact met VIGC" in help2.text
    assert help2.buttons == [DONE, LATER]  # carry on from the help message

    [step3] = await press(client, DONE)
    assert "Stap 3 van 6" in step3.text
    assert "Uw naam verschijnt" in step3.text
    [step4] = await press(client, DONE)
    assert "Stap 4 van 6" in step4.text
    assert "mijn profiel" in step4.text
    [later] = await press(client, LATER)
    assert "stap 4 van 6" in later.text
    assert "/registratie" in later.text
    assert _registration_row(settings) == (None, None, 4)

    # Three days later, on a restarted bot: /start offers to resume at step 4.
    await runtime.stop()
    clock.advance(timedelta(days=3))
    restarted = BotRuntime(settings, clock)
    await restarted.start()
    try:
        [welcome] = await say(client, "/start")
        resume = "▶️ Verder met registreren (stap 4 van 6)"
        assert welcome.buttons[0] == resume
        assert "🪪 Registreren op kmo-portefeuille.be" not in welcome.buttons
        [resumed] = await press(client, resume)
        assert "Welkom terug" in resumed.text
        assert "Stap 4 van 6" in resumed.text
        assert resumed.buttons == STEP_BUTTONS

        [ask_name] = await press(client, DONE)
        assert "Hoe heet uw onderneming" in ask_name.text
        [ask_number] = await say(client, "Jansen & Zonen <bv>")
        assert "Jansen & Zonen <bv>" in ask_number.text
        assert "Jansen &amp; Zonen &lt;bv&gt;" in (ask_number.html or "")
        assert ask_number.buttons == ["Nummer overslaan"]

        [wrong_digits] = await say(client, "0123.456.789")
        assert "controlecijfers" in wrong_digits.text
        assert "0123.456.749" in wrong_digits.text  # an example of the right form
        [wrong_form] = await say(client, "12345")
        assert "geen ondernemingsnummer" in wrong_form.text
        assert "BE0123456749" in wrong_form.text
        [wrong_start] = await say(client, "2123456749")
        assert "geen ondernemingsnummer" in wrong_start.text

        [step5] = await say(client, "BE 0123 456 749")
        assert "Genoteerd: Jansen & Zonen <bv>, ondernemingsnummer 0123.456.749" in step5.text
        assert "Stap 5 van 6" in step5.text
        assert "aanmelden als onderneming" in step5.text
        [step6] = await press(client, DONE)
        assert "Stap 6 van 6" in step6.text
        assert "KMO-portefeuille" in step6.text
        [done] = await press(client, DONE)
        assert "Uw registratie is klaar" in done.text
        assert done.buttons == ["📝 Nieuwe aanvraag", "🧮 Subsidie berekenen"]
        # Stored normalised: ten digits, no dots, no BE.
        assert _registration_row(settings) == ("Jansen & Zonen <bv>", "0123456749", 7)

        [welcome] = await say(client, "/start")
        assert not any("egistre" in button for button in welcome.buttons)
        [again] = await say(client, "/registratie")
        assert "al geregistreerd" in again.text
        assert "0123.456.749" in again.text

        # The application flow knows the client is registered and names the company.
        [ask_service] = await say(client, "/aanvraag")
        assert "Nog niet geregistreerd" not in ask_service.text
        await press(client, "Opleiding")
        await press(client, "Ja, ik ben ingeschreven")
        deadline, _ = await say(client, "1/12/2026", replies=2)
        assert "Jansen & Zonen <bv> (0123.456.749)" in deadline.text
    finally:
        await restarted.stop()


async def test_an_unregistered_client_is_reminded_to_register_first(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [ask_service] = await say(client, "/aanvraag")
    assert "Nog niet geregistreerd" in ask_service.text
    assert "/registratie" in ask_service.text
    assert ask_service.buttons == ["Opleiding", "Advies"]


async def test_already_registered_asks_only_the_company_and_may_skip_the_number(
    runtime: BotRuntime, client: FakeUser, settings: Settings
) -> None:
    await say(client, "/registratie")
    [ask_name] = await press(client, "Ik ben al geregistreerd")
    assert "Hoe heet uw onderneming" in ask_name.text
    await client.send_sticker()
    [again] = await client.wait_for_messages(1)
    assert "als tekst" in again.text
    await say(client, "Drukkerij Peeters")
    await client.send_photo()
    [not_text] = await client.wait_for_messages(1)
    assert "Nummer overslaan" in not_text.text
    [done] = await press(client, "Nummer overslaan")
    assert "Genoteerd: Drukkerij Peeters." in done.text
    assert "Uw registratie is klaar" in done.text
    assert _registration_row(settings) == ("Drukkerij Peeters", None, 7)


async def test_between_steps_the_client_is_free_and_old_buttons_change_nothing(
    runtime: BotRuntime, client: FakeUser, settings: Settings
) -> None:
    [step1] = await say(client, "/registratie")
    await press(client, DONE)
    # Outside any question: other commands simply work.
    [none] = await say(client, "/termijnen")
    assert "geen lopende dossiers" in none.text
    # An old step-1 button (forged, or pressed twice) does not skip step 2.
    await client.press_data(step1.message_id, "reg:gedaan:1")
    [current] = await client.wait_for_messages(1)
    assert "Stap 2 van 6" in current.text
    assert _registration_row(settings)[2] == 2
    # The step buttons work without a running flow (e.g. after /annuleer).
    await say(client, "/annuleer")
    [step3] = await press(client, DONE)
    assert "Stap 3 van 6" in step3.text


async def test_the_company_question_waits_for_a_name_and_comes_back_after_a_command(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _to_step(client, 4)
    await press(client, DONE)
    [too_long] = await say(client, "x" * 500)
    assert "te lang" in too_long.text
    [other_command] = await say(client, "/termijnen")  # does what it says
    assert "geen lopende dossiers" in other_command.text
    [step4] = await say(client, "/registratie")  # progress kept: step 4 again
    assert "Stap 4 van 6" in step4.text
    [ask_name] = await press(client, DONE)
    assert "naam" in ask_name.text
    [ask_number] = await say(client, "Kort bv")
    assert "ondernemingsnummer" in ask_number.text
