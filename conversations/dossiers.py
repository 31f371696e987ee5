"""/termijnen and the buttons that move a dossier on, step by step, in any later session."""

from __future__ import annotations

from datetime import date
from enum import IntEnum, auto
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.dates import DateRejected, parse_date
from bot.domain.progress import (
    DATED_STEPS,
    Dossier,
    Step,
    current_deadline,
    next_step,
    own_share_due,
    step_date_problem,
)
from bot.keyboards import Button, keyboard
from bot.services import Services, get_services
from bot.steps import complete_step
from bot.texts import label, render
from conversations.agenda import calendar_button
from conversations.common import callback_value, reply, say, user_id_of
from conversations.flow import begin_flow, cancel_handlers, draft, end_flow, expecting
from storage.dossiers import get_client_dossier, list_open_dossiers

_DRAFT = "stap"
# More open dossiers than this is unusual for one company; the rest are counted, not shown.
MAX_LISTED = 10


class State(IntEnum):
    STEP_DATE = auto()


async def on_deadlines(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Each open dossier with its stage, next deadline and the button for the next step."""
    services = get_services(context)
    dossiers = await list_open_dossiers(services.db, user_id_of(update))
    if not dossiers:
        await say(update, context, "dossiers/none")
        return
    await say(update, context, "dossiers/overview", count=len(dossiers), shown=MAX_LISTED)
    for dossier in dossiers[:MAX_LISTED]:
        text, markup = dossier_view(services, dossier)
        await reply(update, context, text, markup)


def dossier_view(services: Services, dossier: Dossier) -> tuple[str, InlineKeyboardMarkup | None]:
    """A dossier's status message, the button for its next step and, while a deadline is
    open, the button that puts it in the client's calendar."""
    scheme = services.rules.scheme_for(dossier.start_date)
    step = next_step(dossier, scheme)
    deadline = current_deadline(dossier, scheme, services.clock.today())
    text = render(
        "dossiers/status",
        dossier=dossier,
        service=scheme.service(dossier.service),
        theme=scheme.theme(dossier.service, dossier.theme),
        scheme=scheme,
        step=step.value if step else None,
        deadline=deadline,
        own_share=own_share_due(dossier, scheme),
    )
    if step is None:
        return text, None
    rows: list[list[Button]] = [
        [(label("step_done", code=step.value), f"stap:{dossier.id}:{step}")]
    ]
    if deadline is not None and not deadline.missed:
        rows.append([calendar_button(dossier.id)])
    return text, keyboard(*rows)


async def on_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Records a step done today, or asks for its date when that date sets a deadline."""
    begin_flow(update, context, _DRAFT)  # a step button also ends any other flow
    services = get_services(context)
    _, raw_id, raw_step = (update.callback_query.data or "").split(":")  # type: ignore[union-attr]
    dossier = await get_client_dossier(services.db, user_id_of(update), int(raw_id))
    if dossier is None or raw_step not in Step.__members__.values():
        await say(update, context, "start/stale_button")
        return end_flow(context, _DRAFT)
    step = Step(raw_step)
    scheme = services.rules.scheme_for(dossier.start_date)
    if step != next_step(dossier, scheme):
        text, markup = dossier_view(services, dossier)
        await say(update, context, "dossiers/step_outdated")
        await reply(update, context, text, markup)
        return end_flow(context, _DRAFT)
    if step in DATED_STEPS:
        draft(context, _DRAFT).update(dossier=dossier.id, step=step.value)
        await _ask_date(update, context, step)
        return State.STEP_DATE
    return await _record(update, context, dossier, step, services.clock.today())


async def on_step_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The date of the step (typed, or Vandaag / Gisteren): recorded, and what comes next."""
    services = get_services(context)
    today = services.clock.today()
    current = draft(context, _DRAFT)
    step = Step(current["step"])
    query = update.callback_query
    if query is not None:
        parsed: date | DateRejected = date.fromordinal(
            today.toordinal() - int(callback_value(update) or 0)
        )
    else:
        parsed = parse_date(update.effective_message.text or "", today)  # type: ignore[union-attr]
    if isinstance(parsed, DateRejected):
        await say(update, context, "application/date_invalid", reason=parsed.reason, today=today)
        return State.STEP_DATE
    dossier = await get_client_dossier(services.db, user_id_of(update), current["dossier"])
    if dossier is None:
        await say(update, context, "start/stale_button")
        return end_flow(context, _DRAFT)
    problem = step_date_problem(dossier, step, parsed, today)
    if problem:
        await say(update, context, "dossiers/date_rejected", problem=problem, day=parsed)
        await _ask_date(update, context, step)
        return State.STEP_DATE
    return await _record(update, context, dossier, step, parsed)


async def on_unexpected_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the step's date."""
    await _ask_date(update, context, Step(draft(context, _DRAFT)["step"]))
    return State.STEP_DATE


async def _ask_date(update: Update, context: ContextTypes.DEFAULT_TYPE, step: Step) -> None:
    markup = keyboard([(label("today"), "dag:0"), (label("yesterday"), "dag:1")])
    await say(update, context, "dossiers/ask_step_date", markup, step=step.value)


async def _record(
    update: Update, context: ContextTypes.DEFAULT_TYPE, dossier: Dossier, step: Step, day: date
) -> int:
    services = get_services(context)
    scheme = services.rules.scheme_for(dossier.start_date)
    deadline = current_deadline(dossier, scheme, services.clock.today())
    recorded, fresh = await complete_step(services, dossier, step, day, by=user_id_of(update))
    await say(
        update,
        context,
        "dossiers/step_recorded",
        step=step.value,
        day=fresh.done.get(step, day),
        already=not recorded,
        late=deadline is not None and step in DATED_STEPS and day > deadline.due,
    )
    text, markup = dossier_view(services, fresh)
    await reply(update, context, text, markup)
    return end_flow(context, _DRAFT)


async def on_done_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Gedaan on a reminder: the step is recorded today and its reminders stop at once."""
    services = get_services(context)
    _, raw_id, raw_step = (update.callback_query.data or "").split(":")  # type: ignore[union-attr]
    dossier = await get_client_dossier(services.db, user_id_of(update), int(raw_id))
    scheme = None if dossier is None else services.rules.scheme_for(dossier.start_date)
    if dossier is None or scheme is None or raw_step != next_step(dossier, scheme):
        await say(update, context, "start/stale_button")
        return
    await _record(update, context, dossier, Step(raw_step), services.clock.today())


async def on_vigc_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to reach VIGC, for a client stuck on a step."""
    await say(update, context, "contact", contact=get_services(context).settings.vigc_contact)


def build_step_handler() -> ConversationHandler[Any]:
    """The persistent conversation behind the step buttons (stap:<dossier>:<step>)."""
    return ConversationHandler(
        name="stap",
        persistent=True,
        entry_points=[CallbackQueryHandler(on_step, pattern=r"^stap:\d+:[a-z_]+$")],
        states={
            State.STEP_DATE: expecting(
                CallbackQueryHandler(on_step_date, pattern=r"^dag:[01]$"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_step_date),
                otherwise=on_unexpected_date,
            ),
        },
        fallbacks=cancel_handlers(),
        allow_reentry=True,  # another dossier's step button starts over with that dossier
    )
