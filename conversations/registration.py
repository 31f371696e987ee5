"""/registratie: the six registration steps of www.kmo-portefeuille.be, one per message.

Progress lives in `clients.registration_step`, not in the conversation: between steps the
client is outside any flow (free to use /termijnen, or to come back days later), and the
step buttons work whenever they are pressed. Only the company's name and enterprise number
(at the company step) are questions that wait for an answer.
"""

from __future__ import annotations

from typing import Any

from bot import buttons
from bot.buttons import Keyboard, column
from bot.domain.enterprise import (
    MAX_COMPANY_LENGTH,
    NumberRejected,
    format_enterprise_number,
    parse_enterprise_number,
)
from bot.domain.registration import (
    COMPANY_STEP,
    DONE,
    FIRST_STEP,
    NOT_STARTED,
    STEP_COUNT,
    is_step,
)
from bot.flows import Flow, Step, on
from bot.texts import label
from bot.turn import Turn
from conversations.common import begin_or_resume, resume_step
from storage.clients import Client, advance_registration, get_client, set_company, upsert_client

_NAME, _NUMBER = "bedrijfsnaam", "ondernemingsnummer"


async def begin(turn: Turn) -> None:
    """/registratie: the company question where it was left, or the steps."""
    await begin_or_resume(turn, FLOW, show_progress)


async def show_progress(turn: Turn) -> None:
    """Step 1 with a short introduction, or the step where the client stopped."""
    await turn.end()
    client = await _client(turn)
    if client.registration_step >= DONE:
        await _say_already_done(turn, client)
    elif client.registration_step == NOT_STARTED:
        await _advance(turn, NOT_STARTED, FIRST_STEP)
        await _say_step(turn, FIRST_STEP, intro=True)
    else:
        await _say_step(turn, client.registration_step, resumed=True)


async def at_step(turn: Turn, step: int) -> bool:
    """The registration is at this step (the buttons of older steps are used up)."""
    client = await get_client(turn.tx, turn.user_id)
    return client is not None and client.registration_step == step


async def in_progress(turn: Turn, _: Any) -> bool:
    """The registration is under way (Later verder, Ik ben al geregistreerd)."""
    client = await get_client(turn.tx, turn.user_id)
    return client is not None and is_step(client.registration_step)


async def finished(turn: Turn, _: Any) -> bool:
    """The registration is done (Stappen opnieuw bekijken)."""
    client = await get_client(turn.tx, turn.user_id)
    return client is not None and client.registration_step >= DONE


async def show_where(turn: Turn, _: Any) -> None:
    """An old step button: where the registration stands now (nothing changes)."""
    client = await get_client(turn.tx, turn.user_id)
    if client is None or client.registration_step == NOT_STARTED:
        await turn.say("start/stale_button")
    elif client.registration_step >= DONE:
        await _say_already_done(turn, client)
    else:
        await _say_step(turn, client.registration_step)


async def on_done(turn: Turn, step: int) -> None:
    """The next step; at the company step, first the company's name and number."""
    client = await _client(turn)
    if step != client.registration_step:  # an older message's button, or pressed twice
        await _show_current(turn, client)
        return
    if step == COMPANY_STEP:
        await turn.begin(FLOW, _NAME, {"after": step, "then": step + 1})
        await ask_company_name(turn)
        return
    if step == STEP_COUNT:
        await _advance(turn, step, DONE)
        await _say_done(turn)
        return
    await _advance(turn, step, step + 1)
    await _say_step(turn, step + 1)


async def on_help(turn: Turn, step: int) -> None:
    """What typically goes wrong at this step, how to reach VIGC, and the step's buttons."""
    await turn.say(
        "registration/help",
        _step_keyboard(step, with_help=False),
        step=step,
        contact=turn.services.settings.vigc_contact,
        application_days=_application_days(turn),
    )


async def on_later(turn: Turn, _: Any) -> None:
    """Progress is kept; /registratie or /start picks it up again, days later if need be."""
    client = await _client(turn)
    if not is_step(client.registration_step):
        await _show_current(turn, client)
        return
    await turn.say("registration/later", step=client.registration_step, total=STEP_COUNT)


async def on_already_registered(turn: Turn, _: Any) -> None:
    """Registered before: only the company's name and number, then registration is done."""
    client = await _client(turn)
    if not is_step(client.registration_step):
        await _show_current(turn, client)
        return
    await turn.begin(FLOW, _NAME, {"after": client.registration_step, "then": DONE})
    await ask_company_name(turn)


async def on_again(turn: Turn, _: Any) -> None:
    """The steps from the start again, for a client who registered before."""
    client = await _client(turn)
    if client.registration_step < DONE:
        await _show_current(turn, client)
        return
    await _advance(turn, client.registration_step, FIRST_STEP)
    await _say_step(turn, FIRST_STEP, intro=True)


async def ask_company_name(turn: Turn) -> None:
    """Asks the company's name."""
    turn.go(_NAME)
    await turn.say("registration/ask_company_name")


async def retry_company_name(turn: Turn) -> None:
    """Asks again for the company name as text."""
    await turn.say("registration/company_name_invalid", max=MAX_COMPANY_LENGTH, length=0)


async def on_company_name(turn: Turn, text: str) -> None:
    """The company's name; then its enterprise number (optional)."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_COMPANY_LENGTH:
        await turn.say(
            "registration/company_name_invalid", max=MAX_COMPANY_LENGTH, length=len(name)
        )
        return
    turn.draft["company"] = name
    turn.go(_NUMBER)
    await _ask_number(turn, "registration/ask_enterprise_number")


async def ask_number(turn: Turn) -> None:
    """Asks the enterprise number (or to skip it)."""
    await _ask_number(turn, "registration/ask_enterprise_number")


async def retry_number(turn: Turn) -> None:
    """Asks again for the enterprise number as text, or to skip it."""
    await _ask_number(turn, "registration/number_invalid", reason="not_text")


async def on_enterprise_number(turn: Turn, text: str) -> None:
    """A checked enterprise number is stored; a wrong one is refused with an example."""
    parsed = parse_enterprise_number(text)
    if isinstance(parsed, NumberRejected):
        await _ask_number(turn, "registration/number_invalid", reason=parsed.reason)
        return
    await _save_company(turn, parsed)


async def on_skip_number(turn: Turn, _: Any) -> None:
    """No enterprise number for now: the company name alone is stored."""
    await _save_company(turn, None)


async def _save_company(turn: Turn, number: str | None) -> None:
    draft = dict(turn.draft)
    await set_company(turn.tx, turn.user_id, draft["company"], number, turn.now)
    saved = {
        "name": draft["company"],
        "number": format_enterprise_number(number) if number else None,
    }
    await turn.end()
    moved = await _advance(turn, draft["after"], draft["then"])
    if moved and draft["then"] >= DONE:
        await _say_done(turn, saved=saved)
    elif moved:
        await _say_step(turn, draft["then"], saved=saved)
    else:  # progress changed meanwhile (another message's button): show where it is now
        await _show_current(turn, await _client(turn))


async def _show_current(turn: Turn, client: Client) -> None:
    if client.registration_step >= DONE:
        await _say_already_done(turn, client)
    elif client.registration_step == NOT_STARTED:
        await show_progress(turn)
    else:
        await _say_step(turn, client.registration_step)


async def _say_step(
    turn: Turn,
    step: int,
    *,
    intro: bool = False,
    resumed: bool = False,
    saved: dict[str, str | None] | None = None,
) -> None:
    await turn.say(
        "registration/step",
        _step_keyboard(step, with_help=True, offer_skip=intro),
        step=step,
        total=STEP_COUNT,
        intro=intro,
        resumed=resumed,
        saved=saved,
        application_days=_application_days(turn),
    )


async def _say_done(turn: Turn, saved: dict[str, str | None] | None = None) -> None:
    markup = column(
        [
            buttons.MENU.button(label("menu_application"), "aanvraag"),
            buttons.MENU.button(label("menu_calculator"), "berekenen"),
        ]
    )
    await turn.say(
        "registration/done", markup, saved=saved, application_days=_application_days(turn)
    )


async def _say_already_done(turn: Turn, client: Client) -> None:
    markup = column(
        [
            buttons.MENU.button(label("menu_application"), "aanvraag"),
            buttons.REG_AGAIN.button(label("register_again"), True),
        ]
    )
    number = client.enterprise_number
    await turn.say(
        "registration/already_done",
        markup,
        company=client.company_name,
        number=format_enterprise_number(number) if number else None,
    )


async def _ask_number(turn: Turn, template: str, **values: object) -> None:
    markup = column([buttons.NO_ENTERPRISE_NUMBER.button(label("no_enterprise_number"), True)])
    await turn.say(template, markup, company=turn.draft.get("company", ""), **values)


def _step_keyboard(step: int, *, with_help: bool, offer_skip: bool = False) -> Keyboard:
    items = [buttons.REG_DONE.button(label("done"), step)]
    if with_help:
        items.append(buttons.REG_HELP.button(label("need_help"), step))
    items.append(buttons.REG_LATER.button(label("later"), True))
    if offer_skip:
        items.append(buttons.REG_ALREADY.button(label("already_registered"), True))
    return column(items)


async def _client(turn: Turn) -> Client:
    """The client record of this user (staff pressing a step button get one too)."""
    client = await get_client(turn.tx, turn.user_id)
    if client is None:
        user = turn.user
        await upsert_client(
            turn.tx, user.id, user.first_name, user.last_name, user.username, turn.now
        )
        client = await get_client(turn.tx, turn.user_id)
    if client is None:
        raise RuntimeError("client record missing right after it was written")
    return client


async def _advance(turn: Turn, from_step: int, to_step: int) -> bool:
    return await advance_registration(turn.tx, turn.user_id, from_step, to_step, turn.now)


def _application_days(turn: Turn) -> int:
    return turn.rules.scheme_for(turn.today).application_days


FLOW = Flow(
    name="registratie",
    first=_NAME,
    command="registratie",
    keeps_draft=True,
    steps={
        **resume_step(show_progress),
        _NAME: Step(ask=ask_company_name, text=on_company_name, retry=retry_company_name),
        _NUMBER: Step(
            ask=ask_number,
            text=on_enterprise_number,
            buttons=(on(buttons.NO_ENTERPRISE_NUMBER, on_skip_number),),
            retry=retry_number,
        ),
    },
)
