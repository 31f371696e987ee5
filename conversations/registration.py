"""/registratie: the six registration steps of www.kmo-portefeuille.be, one per message.

Progress lives in `clients.registration_step`, not in the conversation: between steps the
client is outside any flow (free to use /termijnen, or to come back days later), and the
step buttons work whenever they are pressed. Only the company's name and enterprise number
(at the company step) are questions that wait for an answer.
"""

from __future__ import annotations

from enum import IntEnum, auto
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.enterprise import (
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
from bot.keyboards import keyboard
from bot.services import get_services
from bot.texts import label
from conversations.common import callback_value, remember_client, say, user_id_of
from conversations.flow import begin_flow, cancel_handlers, draft, end_flow, expecting
from storage.clients import Client, advance_registration, get_client, set_company

MAX_COMPANY_NAME = 120
_DRAFT = "registratie"


class State(IntEnum):
    COMPANY_NAME = auto()
    ENTERPRISE_NUMBER = auto()


async def on_begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Step 1 with a short introduction, or the step where the client stopped."""
    begin_flow(update, context, _DRAFT)
    client = await _client(update, context)
    if client.registration_step >= DONE:
        await _say_already_done(update, context, client)
        return ConversationHandler.END
    if client.registration_step == NOT_STARTED:
        await _advance(context, client.user_id, NOT_STARTED, FIRST_STEP)
        await _say_step(update, context, FIRST_STEP, intro=True)
        return ConversationHandler.END
    await _say_step(update, context, client.registration_step, resumed=True)
    return ConversationHandler.END


async def on_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The next step; at the company step, first the company's name and number."""
    step = _step_of(update)
    client = await _client(update, context)
    current = client.registration_step
    if step != current:  # an older message's button, or pressed twice
        return await _show_current(update, context, client)
    end_flow(context, _DRAFT)
    if step == COMPANY_STEP:
        draft(context, _DRAFT).update(after=step, then=step + 1)
        await say(update, context, "registration/ask_company_name")
        return State.COMPANY_NAME
    if step == STEP_COUNT:
        await _advance(context, client.user_id, step, DONE)
        await _say_done(update, context)
        return ConversationHandler.END
    await _advance(context, client.user_id, step, step + 1)
    await _say_step(update, context, step + 1)
    return ConversationHandler.END


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What typically goes wrong at this step, how to reach VIGC, and the step's buttons."""
    step = _step_of(update)
    services = get_services(context)
    await say(
        update,
        context,
        "registration/help",
        _step_keyboard(step, with_help=False),
        step=step,
        contact=services.settings.vigc_contact,
        application_days=_application_days(context),
    )
    # None: a client answering the company questions stays where they were.


async def on_later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Progress is kept; /registratie or /start picks it up again, days later if need be."""
    client = await _client(update, context)
    if not is_step(client.registration_step):
        return await _show_current(update, context, client)
    await say(
        update, context, "registration/later", step=client.registration_step, total=STEP_COUNT
    )
    return end_flow(context, _DRAFT)


async def on_already_registered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Registered before: only the company's name and number, then registration is done."""
    client = await _client(update, context)
    if not is_step(client.registration_step):
        return await _show_current(update, context, client)
    end_flow(context, _DRAFT)
    draft(context, _DRAFT).update(after=client.registration_step, then=DONE)
    await say(update, context, "registration/ask_company_name")
    return State.COMPANY_NAME


async def on_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The steps from the start again, for a client who registered before."""
    client = await _client(update, context)
    if client.registration_step < DONE:
        return await _show_current(update, context, client)
    await _advance(context, client.user_id, client.registration_step, FIRST_STEP)
    await _say_step(update, context, FIRST_STEP, intro=True)
    return end_flow(context, _DRAFT)


async def on_company_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The company's name; then its enterprise number (optional)."""
    text = " ".join((update.effective_message.text or "").split())  # type: ignore[union-attr]
    if not text or len(text) > MAX_COMPANY_NAME:
        await say(
            update,
            context,
            "registration/company_name_invalid",
            max=MAX_COMPANY_NAME,
            length=len(text),
        )
        return State.COMPANY_NAME
    draft(context, _DRAFT)["company"] = text
    await _ask_number(update, context, "registration/ask_enterprise_number")
    return State.ENTERPRISE_NUMBER


async def on_enterprise_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A checked enterprise number is stored; a wrong one is refused with an example."""
    message = update.effective_message
    parsed = parse_enterprise_number((message.text if message else None) or "")
    if isinstance(parsed, NumberRejected):
        await _ask_number(update, context, "registration/number_invalid", reason=parsed.reason)
        return State.ENTERPRISE_NUMBER
    return await _save_company(update, context, parsed)


async def on_skip_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """No enterprise number for now: the company name alone is stored."""
    return await _save_company(update, context, None)


async def on_unexpected_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the company name as text."""
    await say(update, context, "registration/company_name_invalid", max=MAX_COMPANY_NAME, length=0)
    return State.COMPANY_NAME


async def on_unexpected_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the enterprise number as text, or to skip it."""
    await _ask_number(update, context, "registration/number_invalid", reason="not_text")
    return State.ENTERPRISE_NUMBER


async def _save_company(
    update: Update, context: ContextTypes.DEFAULT_TYPE, number: str | None
) -> int:
    services = get_services(context)
    current = draft(context, _DRAFT)
    user_id = user_id_of(update)
    await set_company(services.db, user_id, current["company"], number, services.clock.now())
    saved = {
        "name": current["company"],
        "number": format_enterprise_number(number) if number else None,
    }
    end_flow(context, _DRAFT)
    moved = await _advance(context, user_id, current["after"], current["then"])
    if moved and current["then"] >= DONE:
        await _say_done(update, context, saved=saved)
    elif moved:
        await _say_step(update, context, current["then"], saved=saved)
    else:  # progress changed meanwhile (another message's button): show where it is now
        await _show_current(update, context, await _client(update, context))
    return ConversationHandler.END


async def _show_current(update: Update, context: ContextTypes.DEFAULT_TYPE, client: Client) -> int:
    end_flow(context, _DRAFT)
    if client.registration_step >= DONE:
        await _say_already_done(update, context, client)
    elif client.registration_step == NOT_STARTED:
        return await on_begin(update, context)
    else:
        await _say_step(update, context, client.registration_step)
    return ConversationHandler.END


async def _say_step(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    step: int,
    *,
    intro: bool = False,
    resumed: bool = False,
    saved: dict[str, str | None] | None = None,
) -> None:
    await say(
        update,
        context,
        "registration/step",
        _step_keyboard(step, with_help=True, offer_skip=intro),
        step=step,
        total=STEP_COUNT,
        intro=intro,
        resumed=resumed,
        saved=saved,
        application_days=_application_days(context),
    )


async def _say_done(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    saved: dict[str, str | None] | None = None,
) -> None:
    markup = keyboard(
        [(label("menu_application"), "menu:aanvraag")],
        [(label("menu_calculator"), "menu:berekenen")],
    )
    await say(
        update,
        context,
        "registration/done",
        markup,
        saved=saved,
        application_days=_application_days(context),
    )


async def _say_already_done(
    update: Update, context: ContextTypes.DEFAULT_TYPE, client: Client
) -> None:
    markup = keyboard(
        [(label("menu_application"), "menu:aanvraag")],
        [(label("register_again"), "reg:opnieuw")],
    )
    number = client.enterprise_number
    await say(
        update,
        context,
        "registration/already_done",
        markup,
        company=client.company_name,
        number=format_enterprise_number(number) if number else None,
    )


async def _ask_number(
    update: Update, context: ContextTypes.DEFAULT_TYPE, template: str, **values: object
) -> None:
    markup = keyboard([(label("no_enterprise_number"), "reg:geen_nummer")])
    company = draft(context, _DRAFT).get("company", "")
    await say(update, context, template, markup, company=company, **values)


def _step_keyboard(
    step: int, *, with_help: bool, offer_skip: bool = False
) -> InlineKeyboardMarkup:
    rows = [[(label("done"), f"reg:gedaan:{step}")]]
    if with_help:
        rows.append([(label("need_help"), f"reg:hulp:{step}")])
    rows.append([(label("later"), "reg:later")])
    if offer_skip:
        rows.append([(label("already_registered"), "reg:al")])
    return keyboard(*rows)


async def _client(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Client:
    """The client record of this user, created if it does not exist yet."""
    await remember_client(update, context)
    client = await get_client(get_services(context).db, user_id_of(update))
    if client is None:
        raise RuntimeError("client record missing right after it was written")
    return client


async def _advance(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, from_step: int, to_step: int
) -> bool:
    services = get_services(context)
    return await advance_registration(
        services.db, user_id, from_step, to_step, services.clock.now()
    )


def _application_days(context: ContextTypes.DEFAULT_TYPE) -> int:
    services = get_services(context)
    return services.rules.scheme_for(services.clock.today()).application_days


def _step_of(update: Update) -> int:
    return int(callback_value(update) or 0)


def build_registration_handler() -> ConversationHandler[Any]:
    """The persistent /registratie conversation (its step buttons work at any later time)."""
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="registratie",
        persistent=True,
        entry_points=[
            CommandHandler("registratie", on_begin),
            CallbackQueryHandler(on_begin, pattern=r"^menu:registratie$"),
            CallbackQueryHandler(on_done, pattern=rf"^reg:gedaan:[1-{STEP_COUNT}]$"),
            CallbackQueryHandler(on_help, pattern=rf"^reg:hulp:[1-{STEP_COUNT}]$"),
            CallbackQueryHandler(on_later, pattern=r"^reg:later$"),
            CallbackQueryHandler(on_already_registered, pattern=r"^reg:al$"),
            CallbackQueryHandler(on_again, pattern=r"^reg:opnieuw$"),
        ],
        states={
            State.COMPANY_NAME: expecting(
                MessageHandler(text, on_company_name),
                otherwise=on_unexpected_name,
            ),
            State.ENTERPRISE_NUMBER: expecting(
                CallbackQueryHandler(on_skip_number, pattern=r"^reg:geen_nummer$"),
                MessageHandler(text, on_enterprise_number),
                otherwise=on_unexpected_number,
            ),
        },
        fallbacks=cancel_handlers(),
        allow_reentry=True,  # a step button or /registratie mid-question starts from there
    )
