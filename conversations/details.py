"""The details of a dossier that can follow its start date: theme, name, company size, amount.

Asked right after /aanvraag created the dossier, and again from /termijnen ("Aanvullen")
for whatever is still missing. Each answer is saved at once, so a client who stops halfway
loses nothing. An amount under the service's minimum gets an honest answer straight away:
no support; the client corrects it, keeps the dossier without figures, or removes it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot import buttons
from bot.buttons import column
from bot.domain.progress import Detail, Dossier, missing_details
from bot.domain.rules import Theme
from bot.flows import Flow, Step, on
from bot.texts import label
from bot.turn import Turn
from conversations.common import dossier_view
from conversations.questions import amount_step, ask_size, service_of, size_step, theme_step
from storage.clients import set_company_size
from storage.dossiers import (
    delete_dossier,
    get_client_dossier,
    set_amount,
    set_size,
    set_theme,
    set_title,
)
from storage.reminders import cancel_for_dossier

MAX_TITLE = 80
_THEME, _TITLE, _SIZE, _AMOUNT, _BELOW = "thema", "titel", "grootte", "bedrag", "minimum"
_STEP_OF = {Detail.THEME: _THEME, Detail.TITLE: _TITLE, Detail.SIZE: _SIZE, Detail.AMOUNT: _AMOUNT}


async def begin(turn: Turn, dossier: Dossier, *, size_from_profile: bool = False) -> None:
    """Ask the first detail still missing (or show the dossier when nothing is)."""
    scheme = turn.rules.scheme_for(dossier.start_date)
    missing = missing_details(dossier, scheme)
    if not missing:
        await turn.send(*await dossier_view(turn.services, turn.tx, dossier))
        return
    draft = {
        "dossier": dossier.id,
        "start": dossier.start_date.isoformat(),
        "service": dossier.service,
        "size": dossier.company_size,
        "size_from_profile": size_from_profile,
    }
    await turn.begin(FLOW, _STEP_OF[missing[0]], draft)
    await FLOW.steps[_STEP_OF[missing[0]]].ask(turn)


async def details_offered(turn: Turn, dossier_id: int) -> bool:
    """The "Aanvullen" button of an open dossier of this client with something missing."""
    dossier = await get_client_dossier(turn.tx, turn.user_id, dossier_id)
    return dossier is not None and bool(
        missing_details(dossier, turn.rules.scheme_for(dossier.start_date))
    )


async def on_complete(turn: Turn, dossier_id: int) -> None:
    """Aanvullen under a dossier: the details it still misses, one question at a time."""
    dossier = await get_client_dossier(turn.tx, turn.user_id, dossier_id)
    if dossier is not None:
        await begin(turn, dossier)


async def on_theme(turn: Turn, theme: Theme | None) -> None:
    """The theme (the rate depends on it)."""
    if theme is not None:
        await set_theme(turn.tx, turn.draft["dossier"], theme.code, turn.now)
    await _next(turn)


async def ask_title(turn: Turn) -> None:
    """A short name for the project."""
    await turn.say("details/ask_title", service=service_of(turn))


async def retry_title(turn: Turn) -> None:
    """Asks again for the name as text."""
    await turn.say("details/title_invalid", max=MAX_TITLE, length=0)


async def on_title(turn: Turn, text: str) -> None:
    """The name, kept when it is not empty and not too long."""
    title = " ".join(text.split())
    if not title or len(title) > MAX_TITLE:
        await turn.say("details/title_invalid", max=MAX_TITLE, length=len(title))
        return
    await set_title(turn.tx, turn.draft["dossier"], title, turn.now)
    await _next(turn)


async def on_size(turn: Turn, size: str) -> None:
    """The company size, kept for this dossier and the client's next ones."""
    await set_company_size(turn.tx, turn.user_id, size, turn.now)
    await set_size(turn.tx, turn.draft["dossier"], size, turn.now)
    await _next(turn)


async def ask_size_again(turn: Turn) -> None:
    """The size, asked after all (it came from an earlier dossier)."""
    turn.go(_SIZE)
    await ask_size(turn)


async def on_amount(turn: Turn, amount: Decimal | None) -> None:
    """The amount: kept; under the minimum first the honest answer; unknown: later."""
    if amount is None:
        turn.draft.setdefault("later", []).append(Detail.AMOUNT.value)
        await _next(turn)
        return
    minimum = service_of(turn).minimum_amount
    if amount < minimum:
        turn.draft["pending_amount"] = str(amount)
        turn.go(_BELOW)
        await ask_below_minimum(turn)
        return
    await set_amount(turn.tx, turn.draft["dossier"], amount, turn.now)
    await _next(turn)


async def ask_below_minimum(turn: Turn) -> None:
    """Under the minimum there is no support: correct the amount, keep it, or remove it."""
    service = service_of(turn)
    markup = column(
        [
            buttons.BELOW_MINIMUM.button(label("below_minimum_correct"), "aanpassen"),
            buttons.BELOW_MINIMUM.button(label("below_minimum_keep"), "bijhouden"),
            buttons.BELOW_MINIMUM.button(label("below_minimum_remove"), "verwijderen"),
        ]
    )
    await turn.say(
        "details/below_minimum",
        markup,
        service=service,
        amount=Decimal(turn.draft["pending_amount"]),
        scheme_from=date.fromisoformat(turn.draft["start"]),
    )


async def on_below_minimum(turn: Turn, choice: str) -> None:
    """Another amount; the dossier kept without support; or the dossier removed."""
    amount = Decimal(turn.draft.pop("pending_amount"))
    dossier_id = turn.draft["dossier"]
    if choice == "aanpassen":
        turn.go(_AMOUNT)
        await FLOW.steps[_AMOUNT].ask(turn)
    elif choice == "bijhouden":
        await set_amount(turn.tx, dossier_id, amount, turn.now)
        await _next(turn)
    else:
        await cancel_for_dossier(turn.tx, dossier_id)
        await delete_dossier(turn.tx, turn.user_id, dossier_id)
        await turn.end()
        await turn.say("details/removed")


async def _next(turn: Turn) -> None:
    """The next missing detail the client did not leave for later, or the dossier."""
    dossier = await get_client_dossier(turn.tx, turn.user_id, turn.draft["dossier"])
    if dossier is None:
        await turn.end()
        return
    later = set(turn.draft.get("later", []))
    missing = [
        detail
        for detail in missing_details(dossier, turn.rules.scheme_for(dossier.start_date))
        if detail.value not in later
    ]
    if missing:
        turn.go(_STEP_OF[missing[0]])
        await FLOW.steps[_STEP_OF[missing[0]]].ask(turn)
        return
    await turn.end()
    await turn.send(*await dossier_view(turn.services, turn.tx, dossier))


FLOW = Flow(
    name="aanvullen",
    first=_THEME,
    command="termijnen",
    steps={
        _THEME: theme_step(on_theme),
        _TITLE: Step(ask=ask_title, text=on_title, retry=retry_title),
        _SIZE: size_step(on_size),
        _AMOUNT: amount_step(on_amount, ask_size_again),
        _BELOW: Step(
            ask=ask_below_minimum,
            buttons=(on(buttons.BELOW_MINIMUM, on_below_minimum),),
            retry=ask_below_minimum,
        ),
    },
)
