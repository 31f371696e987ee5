"""Whatever a client sends, the bot answers briefly and the flow stays where it was."""

from __future__ import annotations

import pytest

from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import STANDARD_THEME, press, say, walk_to_start_date


async def _to_start_date(client: FakeUser) -> None:
    await walk_to_start_date(client)


async def _still_asks_for_a_date(client: FakeUser) -> None:
    deadline, _ = await say(client, "1/12/2026", replies=2)
    assert "dinsdag 15 december 2026" in deadline.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/02/2027", "Die datum bestaat niet."),
        ("blabla", "Die datum begrijp ik niet."),
        ("🙂🎉", "Die datum begrijp ik niet."),
        ("x" * 5000, "te lang voor een datum"),
        ("<script>&</script>", "Die datum begrijp ik niet."),
    ],
)
async def test_bad_dates_get_an_example_and_the_question_stays(
    runtime: BotRuntime, client: FakeUser, text: str, expected: str
) -> None:
    await _to_start_date(client)
    [answer] = await say(client, text)
    assert expected in answer.text
    assert "28/11/2026" in answer.text  # an example in the accepted form
    await _still_asks_for_a_date(client)


async def test_sticker_photo_and_voice_mid_flow(runtime: BotRuntime, client: FakeUser) -> None:
    await _to_start_date(client)
    for send in (client.send_sticker, client.send_photo, client.send_voice):
        await send()
        [answer] = await client.wait_for_messages(1)
        assert "Ik verwacht hier een datum" in answer.text
    await _still_asks_for_a_date(client)


async def test_text_where_a_button_is_expected(runtime: BotRuntime, client: FakeUser) -> None:
    await say(client, "/aanvraag")
    [answer] = await say(client, "opleiding graag")
    assert "Kies een van de knoppen" in answer.text
    assert answer.buttons == ["Opleiding", "Advies"]
    [ask_agreement] = await press(client, "Opleiding")
    assert "Ja, ik ben ingeschreven" in ask_agreement.buttons


async def test_overlong_title_is_refused(runtime: BotRuntime, client: FakeUser) -> None:
    await _to_start_date(client)
    await say(client, "1/12/2026", replies=2)
    await press(client, STANDARD_THEME)
    [answer] = await say(client, "t" * 5000)
    assert "te lang" in answer.text
    assert len(answer.text) < 300
    [next_question] = await say(client, "Kort")
    assert "te lang" not in next_question.text


async def test_old_button_mid_flow_reasks(runtime: BotRuntime, client: FakeUser) -> None:
    [ask_service] = await say(client, "/aanvraag")
    await press(client, "Opleiding")
    # The service message lost its keyboard; a forged/old press of it is still handled.
    await client.press_data(ask_service.message_id, "svc:advies")
    [answer] = await client.wait_for_messages(1)
    assert "Kies een van de knoppen" in answer.text
    assert "Ja, ik ben ingeschreven" in answer.buttons


async def test_old_button_outside_a_flow(runtime: BotRuntime, client: FakeUser) -> None:
    [welcome] = await say(client, "/start")
    await client.press_data(welcome.message_id, "svc:opleiding")
    [answer] = await client.wait_for_messages(1)
    assert "niet meer geldig" in answer.text


async def test_forged_step_button_of_someone_elses_dossier(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [welcome] = await say(client, "/start")
    await client.press_data(welcome.message_id, "stap:999:filed")
    [answer] = await client.wait_for_messages(1)
    assert "niet meer geldig" in answer.text


async def test_unknown_command_and_free_text(runtime: BotRuntime, client: FakeUser) -> None:
    [unknown] = await say(client, "/bestaatniet")
    assert "Dat commando ken ik niet" in unknown.text
    [free] = await say(client, "hallo?")
    assert "/help" in free.text
    await client.send_sticker()
    [sticker] = await client.wait_for_messages(1)
    assert "/help" in sticker.text


async def test_another_command_mid_flow_does_what_it_says_and_keeps_the_answers(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _to_start_date(client)
    kept, answer = await say(client, "/termijnen", replies=2)
    assert "zijn bewaard" in kept.text
    assert "/aanvraag" in kept.text
    assert "geen lopende dossiers" in answer.text
    [free] = await say(client, "1/12/2026")  # no longer an answer: the flow waits
    assert "/help" in free.text
    [offer] = await say(client, "/aanvraag")
    assert offer.buttons == ["▶️ Verder gaan", "🔄 Opnieuw beginnen"]
    [ask_start] = await press(client, "▶️ Verder gaan")
    assert "startdatum" in ask_start.text
    [deadline] = await say(client, "1/12/2026")
    assert "dinsdag 15 december 2026" in deadline.text


async def test_help_alias(runtime: BotRuntime, client: FakeUser) -> None:
    [help_text] = await say(client, "/hulp")
    assert "/aanvraag" in help_text.text
    assert "/termijnen" in help_text.text


async def test_an_exception_is_logged_and_the_user_told(
    runtime: BotRuntime,
    client: FakeUser,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("conversations.dossiers.list_open_dossiers", broken)
    [answer] = await say(client, "/termijnen")
    assert "er ging iets mis" in answer.text
    [logged] = [r for r in caplog.records if "Error while handling update" in r.message]
    assert "disk on fire" in (logged.exc_text or "")  # the traceback, token-free


async def test_starting_a_flow_leaves_the_one_before(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [ask_service] = await say(client, "/berekenen")
    assert ask_service.buttons  # the calculator waits for a button now
    await walk_to_start_date(client)
    deadline, _ = await say(client, "1/12/2026", replies=2)
    await client.press("📅 Zet in mijn agenda", deadline)
    [calendar] = await client.wait_for_messages(1)
    assert calendar.kind == "document"
    assert calendar.filename is not None
    assert calendar.filename.endswith(".ics")


async def test_a_start_date_before_any_scheme_is_simply_too_late(
    runtime: BotRuntime, client: FakeUser
) -> None:
    await _to_start_date(client)
    [answer] = await say(client, "3/3/2005")
    assert "niet meer aanvragen" in answer.text


async def test_a_button_too_old_to_acknowledge_is_still_handled(
    runtime: BotRuntime, client: FakeUser, emulator: BotApiEmulator
) -> None:
    emulator.callback_query_ttl = 0.0  # every answerCallbackQuery is "too old" now
    await say(client, "/start")
    [answer] = await press(client, "❓ Hulp")
    assert "Wat kan ik voor u doen?" in answer.text
