"""What the flows share: coming back to a paused flow, /annuleer, a dossier's status view."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import buttons
from bot.buttons import Button, Keyboard, keyboard
from bot.domain.progress import Dossier, current_deadline, missing_details, next_step
from bot.figures import figures_for
from bot.flows import Flow, Step, on
from bot.services import Services
from bot.texts import label, render
from bot.turn import Turn
from storage.db import Store

Handler = Callable[[Turn], Awaitable[None]]

RESUME_STEP = "hervatten"
_RESUME_AT = "_hervat_bij"  # in the draft: the step to go back to


def resume_step(restart: Handler) -> dict[str, Step]:
    """The question a flow with a kept draft starts with: go on where you were, or afresh."""

    async def ask(turn: Turn) -> None:
        """Asks whether to continue the unfinished flow."""
        flow = turn.flow
        await turn.say(
            "flow/resume",
            keyboard(
                [buttons.RESUME.button(label("resume_yes"), "ja")],
                [buttons.RESUME.button(label("resume_no"), "nee")],
            ),
            flow=flow.name if flow else "",
        )

    async def answer(turn: Turn, choice: str) -> None:
        """Back to the question where the client stopped, or the flow from the start."""
        flow, step = turn.flow, turn.draft.pop(_RESUME_AT, None)
        if choice == "ja" and flow is not None and step in flow.steps and step != RESUME_STEP:
            turn.go(step)
            await flow.steps[step].ask(turn)
            return
        await restart(turn)

    return {RESUME_STEP: Step(ask=ask, buttons=(on(buttons.RESUME, answer),))}


async def begin_or_resume(turn: Turn, flow: Flow, restart: Handler) -> None:
    """The flow's command: its kept draft is offered back, else it starts afresh."""
    if await turn.resume(flow):
        if turn.step != RESUME_STEP:
            turn.draft[_RESUME_AT] = turn.step
            turn.go(RESUME_STEP)
        await flow.steps[RESUME_STEP].ask(turn)
        return
    await restart(turn)


async def on_cancel(turn: Turn) -> None:
    """Leaves the current flow; saved dossiers stay as they are."""
    await turn.end()
    await turn.say("flow/cancelled")


async def on_flow_kept(turn: Turn, flow: Flow) -> None:
    """A command interrupted a flow: its answers are kept, and how to come back."""
    await turn.say("flow/kept", flow=flow.name, command=flow.command)


async def show_in_pressed(turn: Turn, text: str, markup: Keyboard | None) -> None:
    """Another page of a list: in the message whose button was pressed (else a new one)."""
    query = turn.update.callback_query
    message = query.message if query is not None else None
    if message is None:
        await turn.send(text, markup)
        return
    await turn.edit_text(message.message_id, text, markup)


def calendar_button(dossier_id: int) -> Button:
    """The "Zet in mijn agenda" button of a dossier."""
    return buttons.CALENDAR.button(label("to_calendar"), dossier_id)


async def dossier_view(
    services: Services, store: Store, dossier: Dossier
) -> tuple[str, Keyboard | None]:
    """A dossier's status message with its figures and what is still missing; the button
    for its next step, "Aanvullen" when details are missing and, while a deadline is open,
    the button that puts it in the client's calendar."""
    scheme = services.rules.scheme_for(dossier.start_date)
    step = next_step(dossier, scheme)
    deadline = current_deadline(dossier, scheme, services.clock.today())
    missing = missing_details(dossier, scheme)
    text = render(
        "dossiers/status",
        dossier=dossier,
        service=scheme.service(dossier.service),
        theme=scheme.theme(dossier.service, dossier.theme),
        scheme=scheme,
        step=step.value if step else None,
        deadline=deadline,
        figures=await figures_for(store, services.rules, dossier),
        missing=[detail.value for detail in missing],
    )
    rows: list[list[Button]] = []
    if step is not None:
        rows.append([buttons.STEP.button(label("step_done", code=step.value), (dossier.id, step))])
    if missing and step is not None:
        rows.append([buttons.DETAILS.button(label("complete_details"), dossier.id)])
    if step is not None and deadline is not None and not deadline.missed:
        rows.append([calendar_button(dossier.id)])
    return text, keyboard(*rows) if rows else None
