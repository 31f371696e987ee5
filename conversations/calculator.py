"""/berekenen: the support and the own share for a project, under the rules of its start date.

The start date is today unless the client gives another one (`/berekenen 1/3/2026`, or the
button under the size question). Nothing is stored: it is a calculation, not a dossier.
"""

from __future__ import annotations

from datetime import date
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

from bot.domain.calculator import calculate_subsidy
from bot.domain.dates import DateRejected, parse_date
from bot.domain.money import AmountRejected, parse_amount
from bot.domain.rules import SIZES, Scheme
from bot.keyboards import choices, keyboard
from bot.services import get_services
from bot.texts import label
from conversations.common import callback_value, remember_client, say
from conversations.flow import begin_flow, cancel_handlers, draft, end_flow, expecting

_DRAFT = "berekenen"


class State(IntEnum):
    SIZE = auto()
    START_DATE = auto()
    SERVICE = auto()
    THEME = auto()
    AMOUNT = auto()


async def on_begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The company size question, under the rules of today (or of the date typed after it)."""
    await remember_client(update, context)
    current = begin_flow(update, context, _DRAFT)
    today = get_services(context).clock.today()
    typed = " ".join(context.args or [])
    if not typed:
        current["start"] = today.isoformat()
        await _ask_size(update, context)
        return State.SIZE
    return await _take_start(update, context, parse_date(typed, today))


async def on_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The chosen size; then the services supported on the start date."""
    size = callback_value(update)
    if size not in SIZES:
        return await on_unexpected_size(update, context)
    draft(context, _DRAFT)["size"] = size
    await _ask_service(update, context)
    return State.SERVICE


async def on_other_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks for the project's start date (typed, or Vandaag)."""
    await say(update, context, "calculator/ask_start", _today_keyboard())
    return State.START_DATE


async def on_start_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The start date decides the rules; then the size question again, under those rules."""
    today = get_services(context).clock.today()
    if update.callback_query is not None:
        return await _take_start(update, context, today)
    text = update.effective_message.text if update.effective_message else None
    return await _take_start(update, context, parse_date(text or "", today))


async def on_service(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The chosen service; then its theme (when there is a choice) or the amount."""
    scheme = _scheme(context)
    service = next((s for s in scheme.services if s.code == callback_value(update)), None)
    if service is None:
        return await on_unexpected_service(update, context)
    current = draft(context, _DRAFT)
    current["service"] = service.code
    if len(service.themes) == 1:
        current["theme"] = service.themes[0].code
        await say(update, context, "calculator/ask_amount", service=service)
        return State.AMOUNT
    await _ask_theme(update, context, "application/ask_theme")
    return State.THEME


async def on_theme(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The chosen theme; then the amount."""
    current = draft(context, _DRAFT)
    service = _scheme(context).service(current["service"])
    code = callback_value(update)
    if code not in {t.code for t in service.themes}:
        return await on_unexpected_theme(update, context)
    current["theme"] = code
    await say(update, context, "calculator/ask_amount", service=service)
    return State.AMOUNT


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The amount excl. VAT: support, own share, and the cap or minimum when they apply."""
    text = update.effective_message.text if update.effective_message else None
    amount = parse_amount(text or "")
    if isinstance(amount, AmountRejected):
        await say(update, context, "calculator/amount_invalid", reason=amount.reason)
        return State.AMOUNT
    services = get_services(context)
    current = draft(context, _DRAFT)
    scheme = _scheme(context)
    result = calculate_subsidy(
        scheme, current["service"], current["theme"], current["size"], amount
    )
    markup = keyboard(
        [(label("new_calculation"), "menu:berekenen")],
        [(label("menu_application"), "menu:aanvraag")],
    )
    await say(
        update,
        context,
        "calculator/result",
        markup,
        result=result,
        start=date.fromisoformat(current["start"]),
        check_at=services.rules.check_at,
    )
    return end_flow(context, _DRAFT)


async def on_unexpected_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again to pick a size with the buttons."""
    await say(update, context, "application/retry_buttons", _size_keyboard())
    return State.SIZE


async def on_unexpected_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the start date as text."""
    today = get_services(context).clock.today()
    await say(
        update,
        context,
        "application/date_invalid",
        _today_keyboard(),
        reason="not_text",
        today=today,
    )
    return State.START_DATE


async def on_unexpected_service(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again to pick a service with the buttons."""
    await _ask_service(update, context, retry=True)
    return State.SERVICE


async def on_unexpected_theme(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again to pick a theme with the buttons."""
    await _ask_theme(update, context, "application/retry_buttons")
    return State.THEME


async def on_unexpected_amount(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the amount as text."""
    await say(update, context, "calculator/amount_invalid", reason="not_text")
    return State.AMOUNT


async def _take_start(
    update: Update, context: ContextTypes.DEFAULT_TYPE, parsed: date | DateRejected
) -> int:
    """Keep a start date that some scheme covers and ask the size; otherwise ask again."""
    services = get_services(context)
    today = services.clock.today()
    if isinstance(parsed, DateRejected):
        await say(
            update,
            context,
            "application/date_invalid",
            _today_keyboard(),
            reason=parsed.reason,
            today=today,
        )
        return State.START_DATE
    first = services.rules.schemes[0].valid_from
    if parsed < first:
        await say(
            update, context, "calculator/no_scheme", _today_keyboard(), day=parsed, first=first
        )
        return State.START_DATE
    draft(context, _DRAFT)["start"] = parsed.isoformat()
    await _ask_size(update, context)
    return State.SIZE


async def _ask_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    start = date.fromisoformat(draft(context, _DRAFT)["start"])
    await say(
        update,
        context,
        "calculator/ask_size",
        _size_keyboard(),
        start=start,
        is_today=start == get_services(context).clock.today(),
        scheme=_scheme(context),
    )


async def _ask_service(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, retry: bool = False
) -> None:
    services = _scheme(context).services
    buttons = [[(label("choice", name=s.name), f"calc:svc:{s.code}")] for s in services]
    await say(update, context, "calculator/ask_service", keyboard(*buttons), retry=retry)


async def _ask_theme(update: Update, context: ContextTypes.DEFAULT_TYPE, template: str) -> None:
    service = _scheme(context).service(draft(context, _DRAFT)["service"])
    themes = choices(((t.code, t.name) for t in service.themes), "calc:thm:")
    await say(update, context, template, themes, service=service)


def _size_keyboard() -> InlineKeyboardMarkup:
    return keyboard(
        [(label("size", code=size), f"calc:size:{size}") for size in SIZES],
        [(label("other_start"), "calc:start")],
    )


def _today_keyboard() -> InlineKeyboardMarkup:
    return keyboard([(label("today"), "calc:vandaag")])


def _scheme(context: ContextTypes.DEFAULT_TYPE) -> Scheme:
    """The scheme of the draft's start date."""
    start = date.fromisoformat(draft(context, _DRAFT)["start"])
    return get_services(context).rules.scheme_for(start)


def build_calculator_handler() -> ConversationHandler[Any]:
    """The persistent /berekenen conversation."""
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="berekenen",
        persistent=True,
        entry_points=[
            CommandHandler("berekenen", on_begin),
            CallbackQueryHandler(on_begin, pattern=r"^menu:berekenen$"),
        ],
        states={
            State.SIZE: expecting(
                CallbackQueryHandler(on_size, pattern=r"^calc:size:"),
                CallbackQueryHandler(on_other_start, pattern=r"^calc:start$"),
                otherwise=on_unexpected_size,
            ),
            State.START_DATE: expecting(
                CallbackQueryHandler(on_start_date, pattern=r"^calc:vandaag$"),
                MessageHandler(text, on_start_date),
                otherwise=on_unexpected_start,
            ),
            State.SERVICE: expecting(
                CallbackQueryHandler(on_service, pattern=r"^calc:svc:"),
                otherwise=on_unexpected_service,
            ),
            State.THEME: expecting(
                CallbackQueryHandler(on_theme, pattern=r"^calc:thm:"),
                otherwise=on_unexpected_theme,
            ),
            State.AMOUNT: expecting(
                MessageHandler(text, on_amount),
                otherwise=on_unexpected_amount,
            ),
        },
        fallbacks=cancel_handlers(),
        allow_reentry=True,  # /berekenen mid-flow starts over
    )
