"""/termijnen and the buttons that move a dossier on, step by step, in any later session."""

from __future__ import annotations

from datetime import date, timedelta

from bot import buttons
from bot.buttons import keyboard
from bot.domain.progress import (
    DATED_STEPS,
    Dossier,
    Step,
    current_deadline,
    next_step,
    step_date_problem,
)
from bot.flows import Flow, on
from bot.flows import Step as FlowStep
from bot.steps import complete_step
from bot.texts import label
from bot.turn import Turn
from conversations.common import dossier_view
from conversations.questions import typed_date
from storage.dossiers import get_client_dossier, list_open_dossiers

# More open dossiers than this is unusual for one company; the rest are counted, not shown.
MAX_LISTED = 10
_DATE = "datum"


async def on_deadlines(turn: Turn) -> None:
    """Each open dossier with its stage, next deadline and the button for the next step."""
    dossiers = await list_open_dossiers(turn.tx, turn.user_id)
    if not dossiers:
        await turn.say("dossiers/none")
        return
    await turn.say("dossiers/overview", count=len(dossiers), shown=MAX_LISTED)
    for dossier in dossiers[:MAX_LISTED]:
        await turn.send(*await dossier_view(turn.services, turn.tx, dossier))


async def show_outdated(turn: Turn, value: tuple[int, Step]) -> None:
    """A step button of a step done already (or not yet due): the dossier as it stands."""
    dossier = await get_client_dossier(turn.tx, turn.user_id, value[0])
    if dossier is None:
        await turn.say("start/stale_button")
        return
    await turn.say("dossiers/step_outdated")
    await turn.send(*await dossier_view(turn.services, turn.tx, dossier))


async def on_step(turn: Turn, value: tuple[int, Step]) -> None:
    """Records a step done today, or asks for its date when that date sets a deadline."""
    dossier_id, step = value
    dossier = await get_client_dossier(turn.tx, turn.user_id, dossier_id)
    if dossier is None:
        await turn.say("start/stale_button")
        return
    if step in DATED_STEPS:
        await turn.begin(STEP_FLOW, _DATE, {"dossier": dossier.id, "step": step.value})
        await ask_date(turn)
        return
    await _record(turn, dossier, step, turn.today)


async def step_offered(turn: Turn, value: tuple[int, Step]) -> bool:
    """The step is the next one of an open dossier of this client."""
    dossier_id, step = value
    dossier = await get_client_dossier(turn.tx, turn.user_id, dossier_id)
    return dossier is not None and step == next_step(
        dossier, turn.rules.scheme_for(dossier.start_date)
    )


async def on_done_now(turn: Turn, value: tuple[int, Step]) -> None:
    """Gedaan on a reminder: the step is recorded today and its reminders stop at once."""
    dossier_id, step = value
    dossier = await get_client_dossier(turn.tx, turn.user_id, dossier_id)
    if dossier is None:
        await turn.say("start/stale_button")
        return
    await _record(turn, dossier, step, turn.today)


async def ask_date(turn: Turn) -> None:
    """Asks on which day the step was done (typed, or Vandaag / Gisteren)."""
    markup = keyboard(
        [
            buttons.STEP_DAY.button(label("today"), 0),
            buttons.STEP_DAY.button(label("yesterday"), 1),
        ]
    )
    await turn.say("dossiers/ask_step_date", markup, step=turn.draft["step"])


async def on_day_button(turn: Turn, days_ago: int) -> None:
    """Vandaag or Gisteren: recorded, and what comes next."""
    await _take_date(turn, turn.today - timedelta(days=days_ago))


async def on_date_text(turn: Turn, text: str) -> None:
    """A typed date: recorded when it can be right, otherwise asked again."""
    parsed = await typed_date(turn, text)
    if parsed is not None:
        await _take_date(turn, parsed)


async def _take_date(turn: Turn, day: date) -> None:
    step = Step(turn.draft["step"])
    dossier = await get_client_dossier(turn.tx, turn.user_id, turn.draft["dossier"])
    if dossier is None:
        await turn.end()
        await turn.say("start/stale_button")
        return
    problem = step_date_problem(dossier, step, day, turn.today)
    if problem:
        await turn.say("dossiers/date_rejected", problem=problem, day=day)
        await ask_date(turn)
        return
    await _record(turn, dossier, step, day)


async def _record(turn: Turn, dossier: Dossier, step: Step, day: date) -> None:
    scheme = turn.rules.scheme_for(dossier.start_date)
    deadline = current_deadline(dossier, scheme, turn.today)
    recorded, fresh = await complete_step(
        turn.services, turn.tx, dossier, step, day, by=turn.user_id
    )
    if turn.flow is STEP_FLOW:
        await turn.end()
    await turn.say(
        "dossiers/step_recorded",
        step=step.value,
        day=fresh.done.get(step, day),
        already=not recorded,
        late=deadline is not None and step in DATED_STEPS and day > deadline.due,
    )
    await turn.send(*await dossier_view(turn.services, turn.tx, fresh))


async def on_vigc_help(turn: Turn, dossier_id: int | None = None) -> None:
    """How to reach VIGC, for a client stuck on a step."""
    await turn.say("contact", contact=turn.services.settings.vigc_contact)


async def on_contact(turn: Turn) -> None:
    """/contact: how to reach VIGC."""
    await on_vigc_help(turn)


STEP_FLOW = Flow(
    name="stap",
    first=_DATE,
    steps={
        _DATE: FlowStep(
            ask=ask_date,
            text=on_date_text,
            buttons=(on(buttons.STEP_DAY, on_day_button),),
        )
    },
)
