"""/berekenen: the support and the own share for a project, under the rules of its start date.

The start date is today unless the client gives another one (`/berekenen 1/3/2026`, or the
button under the first question); it decides the rules, so the services and themes asked
about are those of that date. Nothing is stored: it is a calculation, not a dossier. For a
known client, the support their dossiers of that year already take from the annual cap is
counted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot import buttons
from bot.buttons import column, keyboard
from bot.domain.calculator import calculate_subsidy
from bot.domain.dates import DateRejected, parse_date
from bot.domain.rules import Service, Theme
from bot.domain.support import used_in_year
from bot.flows import Flow, Step, on
from bot.texts import label
from bot.turn import Turn
from conversations.common import begin_or_resume, resume_step
from conversations.questions import (
    amount_step,
    ask_size,
    ask_theme,
    end_not_supported,
    scheme_of,
    service_markup,
    service_step,
    size_step,
    theme_step,
)
from storage.clients import get_client
from storage.dossiers import list_client_dossiers

_SERVICE, _START, _THEME, _SIZE, _AMOUNT = "dienst", "startdatum", "thema", "grootte", "bedrag"


async def begin(turn: Turn) -> None:
    """/berekenen (optionally with a start date): a calculation in progress is offered back."""
    if turn.args:
        await start_afresh(turn)
        return
    await begin_or_resume(turn, FLOW, start_afresh)


async def start_afresh(turn: Turn) -> None:
    """The services of today's rules (or of the date typed after the command)."""
    await turn.begin(FLOW, _SERVICE, {"start": turn.today.isoformat()})
    typed = " ".join(turn.args)
    if not typed:
        await ask_service(turn)
        return
    await _take_start(turn, parse_date(typed, turn.today))


def _services(turn: Turn) -> list[Service]:
    return list(scheme_of(turn).services)


def _other_start_button() -> buttons.Button:
    return buttons.CALC_START.button(label("other_start"), True)


async def ask_service(turn: Turn) -> None:
    """The services supported on the start date, and a button for another date."""
    start = date.fromisoformat(turn.draft["start"])
    turn.go(_SERVICE)
    await turn.say(
        "calculator/ask_service",
        service_markup(_services(turn), _other_start_button()),
        start=start,
        is_today=start == turn.today,
        scheme=scheme_of(turn),
    )


async def on_service(turn: Turn, service: Service) -> None:
    """The chosen service; then its theme when there is a choice, else the size."""
    if service.restricted or len(service.themes) > 1:
        turn.go(_THEME)
        await ask_theme(turn)
        return
    turn.draft["theme"] = service.themes[0].code
    await _after_theme(turn)


async def on_theme(turn: Turn, theme: Theme | None) -> None:
    """The theme; none of those a restricted service is supported for: no support."""
    if theme is None:
        await end_not_supported(turn)
        return
    await _after_theme(turn)


async def _after_theme(turn: Turn) -> None:
    """The size, unless the client's profile holds it."""
    client = await get_client(turn.tx, turn.user_id)
    if client is not None and client.company_size is not None:
        turn.draft.update(size=client.company_size, size_from_profile=True)
        turn.go(_AMOUNT)
        await FLOW.steps[_AMOUNT].ask(turn)
        return
    turn.go(_SIZE)
    await ask_size(turn)


async def on_size(turn: Turn, _: str) -> None:
    """Then the amount."""
    turn.go(_AMOUNT)
    await FLOW.steps[_AMOUNT].ask(turn)


async def ask_size_again(turn: Turn) -> None:
    turn.go(_SIZE)
    await ask_size(turn)


async def on_amount(turn: Turn, amount: Decimal | None) -> None:
    """The amount excl. VAT: support, own share, and the cap or minimum when they apply."""
    if amount is None:  # not offered here: a calculation needs an amount
        await FLOW.steps[_AMOUNT].ask(turn)
        return
    draft = turn.draft
    start = date.fromisoformat(draft["start"])
    used, known = await _used_this_year(turn, start.year)
    result = calculate_subsidy(
        scheme_of(turn), draft["service"], draft["theme"], draft["size"], amount, used
    )
    await turn.end()
    markup = column(
        [
            buttons.MENU.button(label("new_calculation"), "berekenen"),
            buttons.MENU.button(label("menu_application"), "aanvraag"),
        ]
    )
    await turn.say(
        "calculator/result",
        markup,
        result=result,
        start=start,
        known_client=known,
        check_at=turn.rules.check_at,
    )


async def _used_this_year(turn: Turn, year: int) -> tuple[Decimal, bool]:
    """What the client's dossiers of `year` already take from the cap (and whether the bot
    knows this user as a client at all)."""
    if await get_client(turn.tx, turn.user_id) is None:
        return Decimal(0), False
    dossiers = await list_client_dossiers(turn.tx, turn.user_id)
    return used_in_year(turn.rules, dossiers, year), True


# -- another start date ------------------------------------------------------------------


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
    """A typed start date decides the rules; then the services of that date."""
    await _take_start(turn, parse_date(text, turn.today))


async def on_start_today(turn: Turn, _: Any) -> None:
    """Vandaag: today's rules."""
    await _take_start(turn, turn.today)


async def _take_start(turn: Turn, parsed: date | DateRejected) -> None:
    """Keep a start date that some scheme covers and ask the service; otherwise ask again."""
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
    for key in ("service", "theme"):  # chosen under the rules of another date
        turn.draft.pop(key, None)
    turn.draft["start"] = parsed.isoformat()
    await ask_service(turn)


def _today_keyboard() -> buttons.Keyboard:
    return keyboard([buttons.CALC_TODAY.button(label("today"), True)])


FLOW = Flow(
    name="berekenen",
    first=_SERVICE,
    command="berekenen",
    keeps_draft=True,
    steps={
        **resume_step(start_afresh),
        _SERVICE: service_step(
            ask_service,
            _services,
            on_service,
            extra=(_other_start_button(),),
            extra_routes=(on(buttons.CALC_START, on_other_start),),
        ),
        _START: Step(
            ask=ask_start,
            text=on_start_text,
            buttons=(on(buttons.CALC_TODAY, on_start_today),),
            retry=retry_start,
        ),
        _THEME: theme_step(on_theme),
        _SIZE: size_step(on_size),
        _AMOUNT: amount_step(on_amount, ask_size_again, optional=False),
    },
)
