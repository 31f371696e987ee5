"""/berekenen: the support and the own share for a project, under the rules of its start date.

The start date is today unless the client gives another one (`/berekenen 1/3/2026`, or the
button under the size question). Nothing is stored: it is a calculation, not a dossier.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import buttons
from bot.buttons import Keyboard, column, keyboard
from bot.domain.calculator import calculate_subsidy
from bot.domain.dates import DateRejected, parse_date
from bot.domain.money import AmountRejected, parse_amount
from bot.domain.rules import SIZES, Scheme
from bot.flows import Flow, Step, on
from bot.texts import label
from bot.turn import Turn
from conversations.common import begin_or_resume, resume_step

_SIZE, _START, _SERVICE, _THEME, _AMOUNT = "grootte", "startdatum", "dienst", "thema", "bedrag"


async def begin(turn: Turn) -> None:
    """/berekenen (optionally with a start date): a calculation in progress is offered back."""
    if turn.args:
        await start_afresh(turn)
        return
    await begin_or_resume(turn, FLOW, start_afresh)


async def start_afresh(turn: Turn) -> None:
    """The company size question, under the rules of today (or of the date typed after it)."""
    await turn.begin(FLOW, _SIZE, {"start": turn.today.isoformat()})
    typed = " ".join(turn.args)
    if not typed:
        await ask_size(turn)
        return
    await _take_start(turn, parse_date(typed, turn.today))


async def ask_size(turn: Turn) -> None:
    """The company size, with the date whose rules apply (and a button to change it)."""
    start = _start(turn)
    turn.go(_SIZE)
    await turn.say(
        "calculator/ask_size",
        _size_keyboard(),
        start=start,
        is_today=start == turn.today,
        scheme=_scheme(turn),
    )


async def retry_size(turn: Turn) -> None:
    """Asks again to pick a size with the buttons."""
    await turn.say("application/retry_buttons", _size_keyboard())


async def on_size(turn: Turn, size: str) -> None:
    """The chosen size; then the services supported on the start date."""
    if size not in SIZES:
        await retry_size(turn)
        return
    turn.draft["size"] = size
    turn.go(_SERVICE)
    await ask_service(turn)


async def on_other_start(turn: Turn, _: Any) -> None:
    """Asks for the project's start date (typed, or Vandaag)."""
    await turn.ask(_START, "calculator/ask_start", _today_keyboard())


async def ask_start(turn: Turn) -> None:
    """The start date whose rules apply."""
    await turn.say("calculator/ask_start", _today_keyboard())


async def retry_start(turn: Turn) -> None:
    """Asks again for the start date as text."""
    await turn.say(
        "application/date_invalid", _today_keyboard(), reason="not_text", today=turn.today
    )


async def on_start_text(turn: Turn, text: str) -> None:
    """A typed start date decides the rules; then the size question again, under those rules."""
    await _take_start(turn, parse_date(text, turn.today))


async def on_start_today(turn: Turn, _: Any) -> None:
    """Vandaag: today's rules; then the size question."""
    await _take_start(turn, turn.today)


async def ask_service(turn: Turn, *, retry: bool = False) -> None:
    """The services supported on the start date."""
    choices = [
        buttons.SERVICE.button(label("choice", name=s.name), s.code)
        for s in _scheme(turn).services
    ]
    await turn.say("calculator/ask_service", column(choices), retry=retry)


async def retry_service(turn: Turn) -> None:
    """Asks again to pick a service with the buttons."""
    await ask_service(turn, retry=True)


async def on_service(turn: Turn, code: str) -> None:
    """The chosen service; then its theme (when there is a choice) or the amount."""
    service = next((s for s in _scheme(turn).services if s.code == code), None)
    if service is None:
        await retry_service(turn)
        return
    turn.draft["service"] = service.code
    if len(service.themes) == 1:
        turn.draft["theme"] = service.themes[0].code
        await turn.ask(_AMOUNT, "calculator/ask_amount", service=service)
        return
    turn.go(_THEME)
    await _ask_theme(turn, "application/ask_theme")


async def ask_theme(turn: Turn) -> None:
    """The themes of the chosen service."""
    await _ask_theme(turn, "application/ask_theme")


async def retry_theme(turn: Turn) -> None:
    """Asks again to pick a theme with the buttons."""
    await _ask_theme(turn, "application/retry_buttons")


async def on_theme(turn: Turn, code: str) -> None:
    """The chosen theme; then the amount."""
    service = _scheme(turn).service(turn.draft["service"])
    if code not in {t.code for t in service.themes}:
        await retry_theme(turn)
        return
    turn.draft["theme"] = code
    await turn.ask(_AMOUNT, "calculator/ask_amount", service=service)


async def ask_amount(turn: Turn) -> None:
    """The amount excl. VAT."""
    service = _scheme(turn).service(turn.draft["service"])
    await turn.say("calculator/ask_amount", service=service)


async def retry_amount(turn: Turn) -> None:
    """Asks again for the amount as text."""
    await turn.say("calculator/amount_invalid", reason="not_text")


async def on_amount(turn: Turn, text: str) -> None:
    """The amount excl. VAT: support, own share, and the cap or minimum when they apply."""
    amount = parse_amount(text)
    if isinstance(amount, AmountRejected):
        await turn.say("calculator/amount_invalid", reason=amount.reason)
        return
    draft = turn.draft
    result = calculate_subsidy(
        _scheme(turn), draft["service"], draft["theme"], draft["size"], amount
    )
    start = _start(turn)
    await turn.end()
    markup = column(
        [
            buttons.MENU.button(label("new_calculation"), "berekenen"),
            buttons.MENU.button(label("menu_application"), "aanvraag"),
        ]
    )
    await turn.say(
        "calculator/result", markup, result=result, start=start, check_at=turn.rules.check_at
    )


async def _take_start(turn: Turn, parsed: date | DateRejected) -> None:
    """Keep a start date that some scheme covers and ask the size; otherwise ask again."""
    turn.go(_START)
    if isinstance(parsed, DateRejected):
        await turn.say(
            "application/date_invalid", _today_keyboard(), reason=parsed.reason, today=turn.today
        )
        return
    first = turn.rules.schemes[0].valid_from
    if parsed < first:
        await turn.say("calculator/no_scheme", _today_keyboard(), day=parsed, first=first)
        return
    turn.draft["start"] = parsed.isoformat()
    await ask_size(turn)


async def _ask_theme(turn: Turn, template: str) -> None:
    service = _scheme(turn).service(turn.draft["service"])
    themes = column(
        buttons.THEME.button(label("choice", name=t.name), t.code) for t in service.themes
    )
    await turn.say(template, themes, service=service)


def _size_keyboard() -> Keyboard:
    return keyboard(
        [buttons.SIZE.button(label("size", code=size), size) for size in SIZES],
        [buttons.CALC_START.button(label("other_start"), True)],
    )


def _today_keyboard() -> Keyboard:
    return keyboard([buttons.CALC_TODAY.button(label("today"), True)])


def _start(turn: Turn) -> date:
    return date.fromisoformat(turn.draft["start"])


def _scheme(turn: Turn) -> Scheme:
    """The scheme of the draft's start date."""
    return turn.rules.scheme_for(_start(turn))


FLOW = Flow(
    name="berekenen",
    first=_SIZE,
    command="berekenen",
    keeps_draft=True,
    steps={
        **resume_step(start_afresh),
        _SIZE: Step(
            ask=ask_size,
            buttons=(on(buttons.SIZE, on_size), on(buttons.CALC_START, on_other_start)),
            retry=retry_size,
        ),
        _START: Step(
            ask=ask_start,
            text=on_start_text,
            buttons=(on(buttons.CALC_TODAY, on_start_today),),
            retry=retry_start,
        ),
        _SERVICE: Step(
            ask=ask_service, buttons=(on(buttons.SERVICE, on_service),), retry=retry_service
        ),
        _THEME: Step(ask=ask_theme, buttons=(on(buttons.THEME, on_theme),), retry=retry_theme),
        _AMOUNT: Step(ask=ask_amount, text=on_amount, retry=retry_amount),
    },
)
