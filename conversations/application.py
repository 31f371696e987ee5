"""/aanvraag: a new dossier, from the kind of service to the application deadline."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
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

from bot.domain.dates import DateRejected, parse_date
from bot.domain.enterprise import format_enterprise_number
from bot.domain.money import AmountRejected, parse_amount
from bot.domain.progress import StartVerdict, check_start
from bot.domain.registration import is_registered
from bot.domain.rules import SIZES, Scheme, Service
from bot.keyboards import choices, keyboard
from bot.reminders import sync_reminders
from bot.services import get_services
from bot.texts import label
from conversations.agenda import calendar_button
from conversations.common import callback_value, remember_client, say, user_id_of
from conversations.flow import begin_flow, cancel_handlers, draft, end_flow, expecting
from storage.clients import get_client, set_company_size
from storage.dossiers import NewDossier, create_dossier, get_dossier

MAX_TITLE = 80
# A start this far ahead is probably a typo in the year: ask before counting on it.
FAR_AHEAD = timedelta(days=365)
_DRAFT = "aanvraag"


class State(IntEnum):
    SERVICE = auto()
    THEME = auto()
    TITLE = auto()
    AGREEMENT = auto()
    START_DATE = auto()
    CONFIRM_FAR = auto()
    # Added later: new states go last, so that persisted state numbers keep their meaning.
    SIZE = auto()
    AMOUNT = auto()


async def on_begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The services on offer under today's rules, as buttons (and: register first, if not yet)."""
    await remember_client(update, context)
    services = get_services(context)
    begin_flow(update, context, _DRAFT)
    scheme = services.rules.scheme_for(services.clock.today())
    client = await get_client(services.db, user_id_of(update))
    registered = client is not None and is_registered(client.registration_step)
    await _ask_service(update, context, scheme, register_first=not registered)
    return State.SERVICE


async def on_service(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The chosen service; then its theme (when there is a choice) or the title."""
    code = callback_value(update)
    scheme = _today_scheme(context)
    service = next((s for s in scheme.services if s.code == code), None)
    if service is None:
        await _ask_service(update, context, scheme, retry=True)
        return State.SERVICE
    current = draft(context, _DRAFT)
    current["service"] = service.code
    if len(service.themes) == 1:
        current["theme"] = service.themes[0].code
        await say(update, context, "application/ask_title", service=service)
        return State.TITLE
    await say(update, context, "application/ask_theme", _theme_keyboard(service), service=service)
    return State.THEME


async def on_theme(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The chosen theme; then the project title."""
    current = draft(context, _DRAFT)
    scheme = _today_scheme(context)
    service = scheme.service(current["service"])
    code = callback_value(update)
    if code not in {t.code for t in service.themes}:
        return await on_unexpected_theme(update, context)
    current["theme"] = code
    await say(update, context, "application/ask_title", service=service)
    return State.TITLE


async def on_title(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The project title; then the company size (unless known) and the amount."""
    text = " ".join((update.effective_message.text or "").split())  # type: ignore[union-attr]
    if not text or len(text) > MAX_TITLE:
        await say(update, context, "application/title_invalid", max=MAX_TITLE, length=len(text))
        return State.TITLE
    current = draft(context, _DRAFT)
    current["title"] = text
    client = await get_client(get_services(context).db, user_id_of(update))
    if client is None or client.company_size not in SIZES:
        await _ask_size(update, context)
        return State.SIZE
    current["size"] = client.company_size
    await _ask_amount(update, context, "application/ask_amount", size_known=True)
    return State.AMOUNT


async def on_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The company size, kept in the client's profile; then the amount excl. VAT."""
    size = callback_value(update)
    if size not in SIZES:
        return await on_unexpected_size(update, context)
    services = get_services(context)
    await set_company_size(services.db, user_id_of(update), size, services.clock.now())
    draft(context, _DRAFT)["size"] = size
    await _ask_amount(update, context, "application/ask_amount", size_known=False)
    return State.AMOUNT


async def on_other_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The size from the profile is not right: asks it again."""
    await _ask_size(update, context)
    return State.SIZE


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The amount excl. VAT (for the own share later); then the agreement question."""
    text = update.effective_message.text if update.effective_message else None
    amount = parse_amount(text or "")
    if isinstance(amount, AmountRejected):
        await _ask_amount(update, context, "calculator/amount_invalid", reason=amount.reason)
        return State.AMOUNT
    current = draft(context, _DRAFT)
    current["amount"] = str(amount)  # exact decimal, JSON-friendly
    await _ask_agreement(update, context, current["service"], "application/ask_agreement")
    return State.AGREEMENT


async def on_amount_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """No amount yet; then the agreement question."""
    current = draft(context, _DRAFT)
    current.pop("amount", None)
    await _ask_agreement(update, context, current["service"], "application/ask_agreement")
    return State.AGREEMENT


async def on_agreement_yes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks for the project's start date."""
    current = draft(context, _DRAFT)
    await say(update, context, "application/ask_start", service=current["service"])
    return State.START_DATE


async def on_agreement_no(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """What to do first (sign or enrol), with a button for when that is done."""
    current = draft(context, _DRAFT)
    await _ask_agreement(update, context, current["service"], "application/agreement_first")
    return State.AGREEMENT


async def on_start_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The start date: the deadline, or an honest answer when it is too late or far off."""
    services = get_services(context)
    today = services.clock.today()
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    parsed = parse_date(text, today)
    if isinstance(parsed, DateRejected):
        await say(update, context, "application/date_invalid", reason=parsed.reason, today=today)
        return State.START_DATE
    if parsed - today > FAR_AHEAD:
        draft(context, _DRAFT)["pending_start"] = parsed.isoformat()
        markup = keyboard([(label("far_yes"), "ver:ja"), (label("far_no"), "ver:nee")])
        await say(update, context, "application/check_far", markup, start=parsed)
        return State.CONFIRM_FAR
    return await _create(update, context, parsed)


async def on_far_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The far-off start date is right: the dossier and its deadline."""
    pending = draft(context, _DRAFT).get("pending_start")
    if pending is None:
        return await on_agreement_yes(update, context)
    return await _create(update, context, date.fromisoformat(pending))


async def on_far_rejected(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks for the start date again."""
    draft(context, _DRAFT).pop("pending_start", None)
    return await on_agreement_yes(update, context)


async def on_unexpected_service(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again to pick a service with the buttons."""
    await _ask_service(update, context, _today_scheme(context), retry=True)
    return State.SERVICE


async def on_unexpected_theme(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again to pick a theme with the buttons."""
    service = _today_scheme(context).service(draft(context, _DRAFT)["service"])
    await say(update, context, "application/retry_buttons", _theme_keyboard(service))
    return State.THEME


async def on_unexpected_title(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the title as text."""
    await say(update, context, "application/title_invalid", max=MAX_TITLE, length=0)
    return State.TITLE


async def on_unexpected_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again to pick the company size with the buttons."""
    await say(update, context, "application/retry_buttons", _size_keyboard())
    return State.SIZE


async def on_unexpected_amount(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the amount as text (or Nog niet gekend)."""
    await _ask_amount(update, context, "calculator/amount_invalid", reason="not_text")
    return State.AMOUNT


async def on_unexpected_agreement(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again whether the agreement is signed, with the buttons."""
    current = draft(context, _DRAFT)
    await _ask_agreement(update, context, current["service"], "application/retry_buttons")
    return State.AGREEMENT


async def on_unexpected_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again for the start date as text."""
    today = get_services(context).clock.today()
    await say(update, context, "application/date_invalid", reason="not_text", today=today)
    return State.START_DATE


async def on_unexpected_far(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Asks again to confirm the far-off date with the buttons."""
    pending = draft(context, _DRAFT).get("pending_start")
    if pending is None:
        return await on_agreement_yes(update, context)
    markup = keyboard([(label("far_yes"), "ver:ja"), (label("far_no"), "ver:nee")])
    await say(update, context, "application/check_far", markup, start=date.fromisoformat(pending))
    return State.CONFIRM_FAR


async def _create(update: Update, context: ContextTypes.DEFAULT_TYPE, start: date) -> int:
    services = get_services(context)
    today = services.clock.today()
    current = draft(context, _DRAFT)
    check = check_start(services.rules, current["service"], current["theme"], start, today)
    if check.verdict is not StartVerdict.OK:
        await say(update, context, f"application/{check.verdict}", start=start, check=check)
        return end_flow(context, _DRAFT)
    scheme, deadline, left = check.scheme, check.deadline, check.days_left
    service = scheme.service(current["service"])
    amount = current.get("amount")
    dossier_id = await create_dossier(
        services.db,
        NewDossier(
            client_id=user_id_of(update),
            service=service.code,
            theme=current["theme"],
            title=current["title"],
            start_date=start,
            company_size=current.get("size"),
            amount=None if amount is None else Decimal(amount),
        ),
        services.clock.now(),
    )
    dossier = await get_dossier(services.db, dossier_id)
    if dossier is not None:
        await sync_reminders(services, dossier)
    client = await get_client(services.db, user_id_of(update))
    number = client.enterprise_number if client else None
    await say(
        update,
        context,
        "application/deadline",
        keyboard(
            [(label("step_done", code="filed"), f"stap:{dossier_id}:filed")],
            [calendar_button(dossier_id)],
        ),
        company=client.company_name if client else None,
        enterprise_number=format_enterprise_number(number) if number else None,
        title=current["title"],
        start=start,
        deadline=deadline,
        days_left=left,
        service=service,
        scheme=scheme,
    )
    return end_flow(context, _DRAFT)


async def _ask_service(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    scheme: Scheme,
    *,
    retry: bool = False,
    register_first: bool = False,
) -> None:
    buttons = [[(label("choice", name=s.name), f"svc:{s.code}")] for s in scheme.services]
    await say(
        update,
        context,
        "application/ask_service",
        keyboard(*buttons),
        scheme=scheme,
        retry=retry,
        register_first=register_first,
    )


async def _ask_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "application/ask_size", _size_keyboard())


def _size_keyboard() -> InlineKeyboardMarkup:
    return keyboard([(label("size", code=size), f"grootte:{size}") for size in SIZES])


async def _ask_amount(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    template: str,
    *,
    size_known: bool = False,
    **values: object,
) -> None:
    rows = [[(label("amount_unknown"), "bedrag:onbekend")]]
    if size_known:
        rows.append([(label("other_size"), "grootte:wijzig")])
    current = draft(context, _DRAFT)
    await say(
        update,
        context,
        template,
        keyboard(*rows),
        size=current.get("size"),
        size_known=size_known,
        **values,
    )


async def _ask_agreement(
    update: Update, context: ContextTypes.DEFAULT_TYPE, service: str, template: str
) -> None:
    markup = keyboard(
        [(label("yes_signed", service=service), "ovk:ja")],
        [(label("not_yet"), "ovk:nee")],
    )
    await say(update, context, template, markup, service=service)


def _theme_keyboard(service: Service) -> InlineKeyboardMarkup:
    return choices(((t.code, t.name) for t in service.themes), "thm:")


def _today_scheme(context: ContextTypes.DEFAULT_TYPE) -> Scheme:
    services = get_services(context)
    return services.rules.scheme_for(services.clock.today())


def build_application_handler() -> ConversationHandler[Any]:
    """The persistent /aanvraag conversation."""
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="aanvraag",
        persistent=True,
        entry_points=[
            CommandHandler("aanvraag", on_begin),
            CallbackQueryHandler(on_begin, pattern=r"^menu:aanvraag$"),
        ],
        states={
            State.SERVICE: expecting(
                CallbackQueryHandler(on_service, pattern=r"^svc:"),
                otherwise=on_unexpected_service,
            ),
            State.THEME: expecting(
                CallbackQueryHandler(on_theme, pattern=r"^thm:"),
                otherwise=on_unexpected_theme,
            ),
            State.TITLE: expecting(
                MessageHandler(text, on_title),
                otherwise=on_unexpected_title,
            ),
            State.SIZE: expecting(
                CallbackQueryHandler(on_size, pattern=r"^grootte:"),
                otherwise=on_unexpected_size,
            ),
            State.AMOUNT: expecting(
                CallbackQueryHandler(on_amount_unknown, pattern=r"^bedrag:onbekend$"),
                CallbackQueryHandler(on_other_size, pattern=r"^grootte:wijzig$"),
                MessageHandler(text, on_amount),
                otherwise=on_unexpected_amount,
            ),
            State.AGREEMENT: expecting(
                CallbackQueryHandler(on_agreement_yes, pattern=r"^ovk:ja$"),
                CallbackQueryHandler(on_agreement_no, pattern=r"^ovk:nee$"),
                otherwise=on_unexpected_agreement,
            ),
            State.START_DATE: expecting(
                MessageHandler(text, on_start_date),
                otherwise=on_unexpected_start,
            ),
            State.CONFIRM_FAR: expecting(
                CallbackQueryHandler(on_far_confirmed, pattern=r"^ver:ja$"),
                CallbackQueryHandler(on_far_rejected, pattern=r"^ver:nee$"),
                otherwise=on_unexpected_far,
            ),
        },
        fallbacks=cancel_handlers(),
        allow_reentry=True,  # /aanvraag mid-flow starts over
    )
