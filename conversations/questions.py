"""The questions /aanvraag, the dossier details and /berekenen share: service, theme, size and
amount. Each is built here once, as a step; the flow that uses it says what happens next.

They read two answers from the flow's draft: "start" (ISO date: it decides the rules) and,
once chosen, "service" (a code of the scheme of that date).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from bot import buttons
from bot.buttons import Button, Keyboard, column, keyboard
from bot.domain.dates import DateRejected, parse_date
from bot.domain.money import AmountRejected, parse_amount
from bot.domain.rules import SIZES, Scheme, Service, Theme
from bot.flows import ButtonRoute, Handler, Step, on
from bot.texts import label
from bot.turn import Turn

# The value of the theme button "none of these" under a service supported for some themes.
NO_THEME = "geen"
# The value of the size button under the amount question: the size from before is wrong.
OTHER_SIZE = "wijzig"

Markup = Callable[[Turn], Keyboard]


def scheme_of(turn: Turn) -> Scheme:
    """The scheme of the draft's start date."""
    return turn.rules.scheme_for(date.fromisoformat(turn.draft["start"]))


def service_of(turn: Turn) -> Service:
    return scheme_of(turn).service(turn.draft["service"])


async def typed_date(turn: Turn, text: str) -> date | None:
    """The date in `text`; None after telling the user why it is not one."""
    parsed = parse_date(text, turn.today)
    if isinstance(parsed, DateRejected):
        await turn.say("application/date_invalid", reason=parsed.reason, today=turn.today)
        return None
    return parsed


async def retry_date(turn: Turn) -> None:
    """Asks again for a date, as text."""
    await turn.say("application/date_invalid", reason="not_text", today=turn.today)


async def end_not_supported(turn: Turn) -> None:
    """None of the themes the service is supported for: the flow ends, and the user hears
    plainly that there is no support under the rules of that date."""
    scheme = scheme_of(turn)
    service = scheme.service(turn.draft["service"])
    await turn.end()
    await turn.say("questions/not_supported", service=service, scheme=scheme)


def _retry(markup: Markup) -> Handler:
    async def retry(turn: Turn) -> None:
        """Asks to answer with the buttons, which come again."""
        await turn.say("questions/use_buttons", markup(turn))

    return retry


# -- service ------------------------------------------------------------------------------


def service_step(
    ask: Handler,
    services: Callable[[Turn], Sequence[Service]],
    chosen: Callable[[Turn, Service], Awaitable[None]],
    *,
    extra: Sequence[Button] = (),
    extra_routes: Sequence[ButtonRoute[Any]] = (),
) -> Step:
    """Which service, of `services` (those on offer); `extra` buttons go under them."""

    def markup(turn: Turn) -> Keyboard:
        return service_markup(services(turn), *extra)

    async def on_service(turn: Turn, code: str) -> None:
        """The chosen service."""
        service = next((s for s in services(turn) if s.code == code), None)
        if service is None:
            await _retry(markup)(turn)
            return
        turn.draft["service"] = service.code
        await chosen(turn, service)

    return Step(
        ask=ask,
        buttons=(on(buttons.SERVICE, on_service), *extra_routes),
        retry=_retry(markup),
    )


def service_markup(services: Sequence[Service], *extra: Button) -> Keyboard:
    """The keyboard `service_step`'s question shows (its `ask` sends it)."""
    choices = [buttons.SERVICE.button(label("choice", name=s.name), s.code) for s in services]
    return column([*choices, *extra])


# -- theme --------------------------------------------------------------------------------


def _theme_markup(turn: Turn) -> Keyboard:
    """A restricted service: its themes and "none of these"; else every theme."""
    service = service_of(turn)
    if service.restricted:
        yes = [
            buttons.THEME.button(label("theme_yes", name=t.name), t.code) for t in service.themes
        ]
        return column([*yes, buttons.THEME.button(label("theme_none"), NO_THEME)])
    ordered = sorted(service.themes, key=lambda t: t.standard)  # the plain rate last
    return column(buttons.THEME.button(label("choice", name=t.name), t.code) for t in ordered)


async def ask_theme(turn: Turn) -> None:
    """The themes of the service; for a restricted one, whether the project is about one."""
    await turn.say(
        "questions/ask_theme",
        _theme_markup(turn),
        service=service_of(turn),
        scheme=scheme_of(turn),
        for_staff=bool(turn.draft.get("for_staff")),
    )


def theme_step(chosen: Callable[[Turn, Theme | None], Awaitable[None]]) -> Step:
    """Which theme; None: none of those a restricted service is supported for."""

    async def on_theme(turn: Turn, code: str) -> None:
        """The chosen theme (or none of them)."""
        service = service_of(turn)
        if code == NO_THEME and service.restricted:
            await chosen(turn, None)
            return
        theme = next((t for t in service.themes if t.code == code), None)
        if theme is None:
            await _retry(_theme_markup)(turn)
            return
        turn.draft["theme"] = theme.code
        await chosen(turn, theme)

    return Step(ask=ask_theme, buttons=(on(buttons.THEME, on_theme),), retry=_retry(_theme_markup))


# -- company size -------------------------------------------------------------------------


def _size_markup(_: Turn | None = None) -> Keyboard:
    return keyboard([buttons.SIZE.button(label("size", code=size), size) for size in SIZES])


async def ask_size(turn: Turn) -> None:
    """The company size (small or medium-sized)."""
    await turn.say("questions/ask_size", _size_markup())


def size_step(chosen: Callable[[Turn, str], Awaitable[None]]) -> Step:
    """Small or medium-sized."""

    async def on_size(turn: Turn, size: str) -> None:
        """The chosen size."""
        if size not in SIZES:
            await _retry(_size_markup)(turn)
            return
        turn.draft["size"] = size
        await chosen(turn, size)

    return Step(ask=ask_size, buttons=(on(buttons.SIZE, on_size),), retry=_retry(_size_markup))


# -- amount -------------------------------------------------------------------------------


def amount_step(
    chosen: Callable[[Turn, Decimal | None], Awaitable[None]],
    ask_size_again: Handler,
    *,
    optional: bool = True,
) -> Step:
    """The amount excl. VAT; when `optional`, None means "not known yet". Under the question
    "Andere grootte" when the size came from the client's profile."""

    def markup(turn: Turn) -> Keyboard:
        rows = []
        if optional:
            rows.append([buttons.AMOUNT_UNKNOWN.button(label("amount_unknown"), True)])
        if turn.draft.get("size_from_profile"):
            rows.append([buttons.SIZE.button(label("other_size"), OTHER_SIZE)])
        return keyboard(*rows)

    async def ask(turn: Turn, *, reason: str | None = None) -> None:
        """The amount excl. VAT (after a wrong one: why it was not taken)."""
        await turn.say(
            "calculator/amount_invalid" if reason else "questions/ask_amount",
            markup(turn),
            service=service_of(turn),
            size=turn.draft.get("size"),
            size_known=bool(turn.draft.get("size_from_profile")),
            optional=optional,
            reason=reason,
        )

    async def on_text(turn: Turn, text: str) -> None:
        """A typed amount: kept when it reads as euro, otherwise asked again, saying why."""
        amount = parse_amount(text)
        if isinstance(amount, AmountRejected):
            await ask(turn, reason=amount.reason)
            return
        await chosen(turn, amount)

    async def on_unknown(turn: Turn, _: Any) -> None:
        """Not known yet."""
        await chosen(turn, None)

    async def on_other_size(turn: Turn, _: str) -> None:
        """The size from the profile is not right: it is asked."""
        turn.draft.pop("size_from_profile", None)
        await ask_size_again(turn)

    async def retry(turn: Turn) -> None:
        """Asks again for the amount as text."""
        await ask(turn, reason="not_text")

    routes: list[ButtonRoute[Any]] = [on(buttons.SIZE, on_other_size)]
    if optional:
        routes.append(on(buttons.AMOUNT_UNKNOWN, on_unknown))
    return Step(ask=ask, text=on_text, buttons=tuple(routes), retry=retry)
