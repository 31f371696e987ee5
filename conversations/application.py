"""/aanvraag: a new dossier, from the kind of service to the application deadline."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot import buttons
from bot.buttons import Keyboard, column, keyboard
from bot.domain import progress
from bot.domain.dates import DateRejected, parse_date
from bot.domain.enterprise import format_enterprise_number
from bot.domain.money import AmountRejected, parse_amount
from bot.domain.progress import StartVerdict, check_start
from bot.domain.registration import is_registered
from bot.domain.rules import SIZES, Scheme, Service
from bot.flows import Flow, Step, on
from bot.reminders import sync_reminders
from bot.texts import label
from bot.turn import Turn
from conversations.common import begin_or_resume, calendar_button, resume_step
from storage.clients import get_client, set_company_size
from storage.dossiers import NewDossier, create_dossier, get_dossier

MAX_TITLE = 80
# A start this far ahead is probably a typo in the year: ask before counting on it.
FAR_AHEAD = timedelta(days=365)

_SERVICE, _THEME, _TITLE, _SIZE, _AMOUNT = "dienst", "thema", "titel", "grootte", "bedrag"
_AGREEMENT, _START, _FAR = "overeenkomst", "startdatum", "ver_weg"


async def begin(turn: Turn) -> None:
    """/aanvraag: an unfinished application is offered back, else it starts."""
    await begin_or_resume(turn, FLOW, start_afresh)


async def start_afresh(turn: Turn) -> None:
    """The services on offer under today's rules, as buttons (and: register first, if not yet)."""
    await turn.begin(FLOW, _SERVICE)
    await ask_service(turn)


async def ask_service(turn: Turn, *, retry: bool = False) -> None:
    """Which service: one button per service of today's scheme."""
    client = await get_client(turn.tx, turn.user_id)
    registered = client is not None and is_registered(client.registration_step)
    scheme = _today_scheme(turn)
    choices = [
        buttons.SERVICE.button(label("choice", name=s.name), s.code) for s in scheme.services
    ]
    turn.go(_SERVICE)
    await turn.say(
        "application/ask_service",
        column(choices),
        scheme=scheme,
        retry=retry,
        register_first=not registered,
    )


async def retry_service(turn: Turn) -> None:
    """Asks again to pick a service with the buttons."""
    await ask_service(turn, retry=True)


async def on_service(turn: Turn, code: str) -> None:
    """The chosen service; then its theme (when there is a choice) or the title."""
    service = next((s for s in _today_scheme(turn).services if s.code == code), None)
    if service is None:
        await retry_service(turn)
        return
    turn.draft["service"] = service.code
    if len(service.themes) == 1:
        turn.draft["theme"] = service.themes[0].code
        await turn.ask(_TITLE, "application/ask_title", service=service)
        return
    await turn.ask(_THEME, "application/ask_theme", _theme_keyboard(service), service=service)


async def ask_theme(turn: Turn) -> None:
    """Which theme of the chosen service."""
    service = _service(turn)
    await turn.say("application/ask_theme", _theme_keyboard(service), service=service)


async def retry_theme(turn: Turn) -> None:
    """Asks again to pick a theme with the buttons."""
    await turn.say("application/retry_buttons", _theme_keyboard(_service(turn)))


async def on_theme(turn: Turn, code: str) -> None:
    """The chosen theme; then the project title."""
    service = _service(turn)
    if code not in {t.code for t in service.themes}:
        await retry_theme(turn)
        return
    turn.draft["theme"] = code
    await turn.ask(_TITLE, "application/ask_title", service=service)


async def ask_title(turn: Turn) -> None:
    """The project's short name."""
    await turn.say("application/ask_title", service=_service(turn))


async def retry_title(turn: Turn) -> None:
    """Asks again for the title as text."""
    await turn.say("application/title_invalid", max=MAX_TITLE, length=0)


async def on_title(turn: Turn, text: str) -> None:
    """The project title; then the company size (unless known) and the amount."""
    title = " ".join(text.split())
    if not title or len(title) > MAX_TITLE:
        await turn.say("application/title_invalid", max=MAX_TITLE, length=len(title))
        return
    turn.draft["title"] = title
    client = await get_client(turn.tx, turn.user_id)
    if client is None or client.company_size not in SIZES:
        await turn.ask(_SIZE, "application/ask_size", _size_keyboard())
        return
    turn.draft["size"] = client.company_size
    turn.go(_AMOUNT)
    await _ask_amount(turn, "application/ask_amount", size_known=True)


async def ask_size(turn: Turn) -> None:
    """The company size (small or medium-sized)."""
    await turn.say("application/ask_size", _size_keyboard())


async def retry_size(turn: Turn) -> None:
    """Asks again to pick the company size with the buttons."""
    await turn.say("application/retry_buttons", _size_keyboard())


async def on_size(turn: Turn, size: str) -> None:
    """The company size, kept in the client's profile; then the amount excl. VAT.
    "Andere grootte" under the amount question asks the size again."""
    if size not in SIZES:
        await turn.ask(_SIZE, "application/ask_size", _size_keyboard())
        return
    await set_company_size(turn.tx, turn.user_id, size, turn.now)
    turn.draft["size"] = size
    turn.go(_AMOUNT)
    await _ask_amount(turn, "application/ask_amount", size_known=False)


async def ask_amount(turn: Turn) -> None:
    """The amount excl. VAT, or Nog niet gekend."""
    await _ask_amount(turn, "application/ask_amount", size_known=False)


async def retry_amount(turn: Turn) -> None:
    """Asks again for the amount as text (or Nog niet gekend)."""
    await _ask_amount(turn, "calculator/amount_invalid", reason="not_text")


async def on_amount(turn: Turn, text: str) -> None:
    """The amount excl. VAT (for the own share later); then the agreement question."""
    amount = parse_amount(text)
    if isinstance(amount, AmountRejected):
        await _ask_amount(turn, "calculator/amount_invalid", reason=amount.reason)
        return
    turn.draft["amount"] = str(amount)  # exact decimal, JSON-friendly
    turn.go(_AGREEMENT)
    await _ask_agreement(turn, "application/ask_agreement")


async def on_amount_unknown(turn: Turn, _: Any) -> None:
    """No amount yet; then the agreement question."""
    turn.draft.pop("amount", None)
    turn.go(_AGREEMENT)
    await _ask_agreement(turn, "application/ask_agreement")


async def ask_agreement(turn: Turn) -> None:
    """Is the agreement signed (advice) / is the client enrolled (training)?"""
    await _ask_agreement(turn, "application/ask_agreement")


async def retry_agreement(turn: Turn) -> None:
    """Asks again whether the agreement is signed, with the buttons."""
    await _ask_agreement(turn, "application/retry_buttons")


async def on_agreement(turn: Turn, answer: str) -> None:
    """Yes: the start date. Not yet: what to do first, with a button for when that is done."""
    if answer == "ja":
        await turn.ask(_START, "application/ask_start", service=_service(turn))
        return
    await _ask_agreement(turn, "application/agreement_first")


async def ask_start(turn: Turn) -> None:
    """The project's start date."""
    await turn.say("application/ask_start", service=_service(turn))


async def retry_start(turn: Turn) -> None:
    """Asks again for the start date as text."""
    await turn.say("application/date_invalid", reason="not_text", today=turn.today)


async def on_start_date(turn: Turn, text: str) -> None:
    """The start date: the deadline, or an honest answer when it is too late or far off."""
    today = turn.today
    parsed = parse_date(text, today)
    if isinstance(parsed, DateRejected):
        await turn.say("application/date_invalid", reason=parsed.reason, today=today)
        return
    if parsed - today > FAR_AHEAD:
        turn.draft["pending_start"] = parsed.isoformat()
        turn.go(_FAR)
        await ask_far(turn)
        return
    await _create(turn, parsed)


async def ask_far(turn: Turn) -> None:
    """Is that far-off start date right?"""
    pending = turn.draft.get("pending_start")
    if pending is None:
        await turn.ask(_START, "application/ask_start", service=_service(turn))
        return
    markup = keyboard(
        [
            buttons.FAR_AHEAD.button(label("far_yes"), "ja"),
            buttons.FAR_AHEAD.button(label("far_no"), "nee"),
        ]
    )
    await turn.say("application/check_far", markup, start=date.fromisoformat(pending))


async def on_far(turn: Turn, answer: str) -> None:
    """Yes: the dossier with that start. No: the start date again."""
    pending = turn.draft.pop("pending_start", None)
    if answer == "ja" and pending is not None:
        await _create(turn, date.fromisoformat(pending))
        return
    await turn.ask(_START, "application/ask_start", service=_service(turn))


async def _create(turn: Turn, start: date) -> None:
    draft = turn.draft
    check = check_start(turn.rules, draft["service"], draft["theme"], start, turn.today)
    if check.verdict is not StartVerdict.OK:
        await turn.end()
        await turn.say(f"application/{check.verdict}", start=start, check=check)
        return
    scheme = check.scheme
    service = scheme.service(draft["service"])
    amount = draft.get("amount")
    dossier_id = await create_dossier(
        turn.tx,
        NewDossier(
            client_id=turn.user_id,
            service=service.code,
            theme=draft["theme"],
            title=draft["title"],
            start_date=start,
            company_size=draft.get("size"),
            amount=None if amount is None else Decimal(amount),
        ),
        turn.now,
    )
    dossier = await get_dossier(turn.tx, dossier_id)
    if dossier is not None:
        await sync_reminders(turn.services, turn.tx, dossier)
    client = await get_client(turn.tx, turn.user_id)
    number = client.enterprise_number if client else None
    title = draft["title"]
    await turn.end()
    await turn.say(
        "application/deadline",
        keyboard(
            [
                buttons.STEP.button(
                    label("step_done", code="filed"), (dossier_id, progress.Step.FILED)
                )
            ],
            [calendar_button(dossier_id)],
        ),
        company=client.company_name if client else None,
        enterprise_number=format_enterprise_number(number) if number else None,
        title=title,
        start=start,
        deadline=check.deadline,
        days_left=check.days_left,
        service=service,
        scheme=scheme,
    )


async def _ask_amount(
    turn: Turn, template: str, *, size_known: bool = False, **values: Any
) -> None:
    rows = [[buttons.AMOUNT_UNKNOWN.button(label("amount_unknown"), True)]]
    if size_known:
        rows.append([buttons.SIZE.button(label("other_size"), "wijzig")])
    await turn.say(
        template,
        keyboard(*rows),
        size=turn.draft.get("size"),
        size_known=size_known,
        **values,
    )


async def _ask_agreement(turn: Turn, template: str) -> None:
    service = _service(turn)
    markup = column(
        [
            buttons.AGREEMENT.button(label("yes_signed", enrolment=service.enrolment), "ja"),
            buttons.AGREEMENT.button(label("not_yet"), "nee"),
        ]
    )
    await turn.say(template, markup, service=service)


def _size_keyboard() -> Keyboard:
    return keyboard([buttons.SIZE.button(label("size", code=size), size) for size in SIZES])


def _theme_keyboard(service: Service) -> Keyboard:
    return column(
        buttons.THEME.button(label("choice", name=t.name), t.code) for t in service.themes
    )


def _today_scheme(turn: Turn) -> Scheme:
    return turn.rules.scheme_for(turn.today)


def _service(turn: Turn) -> Service:
    return _today_scheme(turn).service(turn.draft["service"])


FLOW = Flow(
    name="aanvraag",
    first=_SERVICE,
    command="aanvraag",
    keeps_draft=True,
    steps={
        **resume_step(start_afresh),
        _SERVICE: Step(
            ask=ask_service, buttons=(on(buttons.SERVICE, on_service),), retry=retry_service
        ),
        _THEME: Step(ask=ask_theme, buttons=(on(buttons.THEME, on_theme),), retry=retry_theme),
        _TITLE: Step(ask=ask_title, text=on_title, retry=retry_title),
        _SIZE: Step(ask=ask_size, buttons=(on(buttons.SIZE, on_size),), retry=retry_size),
        _AMOUNT: Step(
            ask=ask_amount,
            text=on_amount,
            buttons=(on(buttons.AMOUNT_UNKNOWN, on_amount_unknown), on(buttons.SIZE, on_size)),
            retry=retry_amount,
        ),
        _AGREEMENT: Step(
            ask=ask_agreement,
            buttons=(on(buttons.AGREEMENT, on_agreement),),
            retry=retry_agreement,
        ),
        _START: Step(ask=ask_start, text=on_start_date, retry=retry_start),
        _FAR: Step(ask=ask_far, buttons=(on(buttons.FAR_AHEAD, on_far),), retry=ask_far),
    },
)
