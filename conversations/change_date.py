"""/wijzig: correct a dossier's start date or VIGC's confirmation date; reminders follow."""

from __future__ import annotations

from bot import buttons
from bot.buttons import Button, column
from bot.domain.progress import Dossier, StartVerdict, Step, check_start, step_date_problem
from bot.flows import Flow, on
from bot.flows import Step as FlowStep
from bot.reminders import sync_reminders
from bot.texts import label
from bot.turn import Turn
from conversations.common import dossier_view
from conversations.dossiers import MAX_LISTED
from conversations.questions import retry_date, typed_date
from storage.dossiers import DateField, change_date, get_client_dossier, list_open_dossiers

_DOSSIER, _FIELD, _DATE = "dossier", "veld", "datum"


async def begin(turn: Turn) -> None:
    """The open dossiers to choose from (straight to the date choice when there is one)."""
    dossiers = await list_open_dossiers(turn.tx, turn.user_id)
    if not dossiers:
        await turn.end()
        await turn.say("dossiers/none")
        return
    await turn.begin(FLOW, _DOSSIER)
    if len(dossiers) == 1:
        await _ask_field(turn, dossiers[0])
        return
    await ask_dossier(turn)


async def ask_dossier(turn: Turn) -> None:
    """Which dossier (one button per open dossier)."""
    dossiers = await list_open_dossiers(turn.tx, turn.user_id)
    choices = [
        buttons.CHANGE_DOSSIER.button(label("dossier_choice", dossier=d), d.id) for d in dossiers
    ]
    turn.go(_DOSSIER)
    await turn.say("change_date/ask_dossier", column(choices[:MAX_LISTED]))


async def on_dossier(turn: Turn, dossier_id: int) -> None:
    """The chosen dossier: which of its dates to correct."""
    dossier = await get_client_dossier(turn.tx, turn.user_id, dossier_id)
    if dossier is None:
        await turn.end()
        await turn.say("start/stale_button")
        return
    await _ask_field(turn, dossier)


async def ask_field(turn: Turn) -> None:
    """Which date of the chosen dossier, asked again."""
    dossier = await _chosen(turn)
    if dossier is None:
        await begin(turn)
        return
    await _ask_field(turn, dossier, retry=True)


async def _ask_field(turn: Turn, dossier: Dossier, *, retry: bool = False) -> None:
    turn.draft["dossier"] = dossier.id
    await turn.ask(
        _FIELD,
        "change_date/ask_field",
        column(_fields(dossier)),
        dossier=dossier,
        retry=retry,
    )


def _fields(dossier: Dossier) -> list[Button]:
    """The dates this dossier has that a client may correct."""
    choices = [buttons.CHANGE_FIELD.button(label("change_start"), "start")]
    if Step.CONFIRMED in dossier.done:
        choices.append(buttons.CHANGE_FIELD.button(label("change_confirmed"), "confirmed"))
    return choices


async def on_field(turn: Turn, field: str) -> None:
    """Asks for the corrected date."""
    turn.draft["field"] = field
    await turn.ask(_DATE, "change_date/ask_date", field=field)


async def ask_date(turn: Turn) -> None:
    """The corrected date, asked again."""
    await turn.say("change_date/ask_date", field=turn.draft["field"])


async def on_new_date(turn: Turn, text: str) -> None:
    """The date is corrected, the deadline and reminders recomputed, the dossier shown."""
    today = turn.today
    parsed = await typed_date(turn, text)
    if parsed is None:
        return
    dossier = await _chosen(turn)
    if dossier is None:
        await turn.end()
        await turn.say("start/stale_button")
        return
    field: DateField = "confirmed" if turn.draft["field"] == "confirmed" else "start"
    if field == "start":
        check = check_start(turn.rules, dossier.service, parsed, today, theme_code=dossier.theme)
        if check.verdict is not StartVerdict.OK:
            # Nothing is saved: with that start the dossier could not go on.
            await turn.end()
            await turn.say(f"application/{check.verdict}", start=parsed, check=check)
            return
    else:
        problem = step_date_problem(dossier, Step.CONFIRMED, parsed, today)
        if problem:
            await turn.say("dossiers/date_rejected", problem=problem, day=parsed)
            return
    await change_date(turn.tx, dossier.id, field, parsed, turn.now)
    fresh = await get_client_dossier(turn.tx, dossier.client_id, dossier.id)
    await turn.end()
    if fresh is None:
        return
    await sync_reminders(turn.services, turn.tx, fresh)
    await turn.say("change_date/changed", field=field, day=parsed)
    await turn.send(*await dossier_view(turn.services, turn.tx, fresh))


async def _chosen(turn: Turn) -> Dossier | None:
    dossier_id = turn.draft.get("dossier")
    if dossier_id is None:
        return None
    return await get_client_dossier(turn.tx, turn.user_id, int(dossier_id))


FLOW = Flow(
    name="wijzig",
    first=_DOSSIER,
    command="wijzig",
    steps={
        _DOSSIER: FlowStep(ask=ask_dossier, buttons=(on(buttons.CHANGE_DOSSIER, on_dossier),)),
        _FIELD: FlowStep(ask=ask_field, buttons=(on(buttons.CHANGE_FIELD, on_field),)),
        _DATE: FlowStep(ask=ask_date, text=on_new_date, retry=retry_date),
    },
)
