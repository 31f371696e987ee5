"""/broadcast (VIGC staff): a message to clients, its audience, a preview, then off it goes."""

from __future__ import annotations

from typing import Any

from bot import buttons
from bot.broadcast import audience_counts, audience_ids
from bot.buttons import column, keyboard
from bot.flows import Flow, Step, on
from bot.staff_overview import Audience
from bot.texts import label, render
from bot.turn import Turn
from conversations.common import begin_or_resume, resume_step
from storage.broadcasts import (
    PROGRESS_SOURCE,
    count_unfinished,
    create_broadcast,
    queue_recipients,
)

_MESSAGE, _AUDIENCE, _CONFIRM = "bericht", "doelgroep", "bevestigen"
_AUDIENCE_LABELS = {
    Audience.ALL: "audience_all",
    Audience.OPEN: "audience_open",
    Audience.DEADLINE: "audience_deadline",
}


async def begin(turn: Turn) -> None:
    """/broadcast: a message in progress is offered back, else asked for."""
    await begin_or_resume(turn, FLOW, start_afresh)


async def start_afresh(turn: Turn) -> None:
    """Asks for the message, to be typed with Telegram's own formatting."""
    await turn.begin(FLOW, _MESSAGE)
    await ask_message(turn)


async def ask_message(turn: Turn) -> None:
    """Asks for the message text."""
    await turn.say("broadcast/ask_message")


async def retry_message(turn: Turn) -> None:
    """Asks again for a text message: photos, stickers and files are not broadcast."""
    await turn.say("broadcast/text_only")


async def on_message(turn: Turn, _: str) -> None:
    """The message (formatting kept as HTML); then the audiences with how many each reaches."""
    message = turn.update.message
    if message is None or not message.text:
        await retry_message(turn)
        return
    turn.draft["text"] = message.text_html
    turn.go(_AUDIENCE)
    await ask_audience(turn)


async def ask_audience(turn: Turn) -> None:
    """The audiences, each with how many clients it reaches now."""
    counts = await audience_counts(turn.services, turn.tx)
    choices = [
        buttons.AUDIENCE.button(label(_AUDIENCE_LABELS[a], count=counts[a]), a.value)
        for a in Audience
    ]
    await turn.say("broadcast/ask_audience", column(choices))


async def retry_audience(turn: Turn) -> None:
    """Asks to choose an audience with the buttons."""
    await turn.say("broadcast/choose_audience_again")


async def on_audience(turn: Turn, raw: str) -> None:
    """The preview exactly as clients will see it, under the count, with Versturen/Annuleren."""
    if raw not in Audience.__members__.values() or "text" not in turn.draft:
        await retry_audience(turn)
        return
    audience = Audience(raw)
    count = len(await audience_ids(turn.services, turn.tx, audience))
    if count == 0:
        await turn.say("broadcast/no_recipients")
        await ask_audience(turn)
        return
    turn.draft["audience"] = audience.value
    turn.go(_CONFIRM)
    await turn.say("broadcast/preview_header", count=count, audience=audience.value)
    await ask_confirmation(turn)


async def ask_confirmation(turn: Turn) -> None:
    """The message as clients will see it, with Versturen and Annuleren under it."""
    markup = keyboard(
        [
            buttons.BROADCAST_SEND.button(label("send_broadcast"), True),
            buttons.BROADCAST_CANCEL.button(label("cancel"), True),
        ]
    )
    await turn.send(turn.draft["text"], markup)


async def retry_confirmation(turn: Turn) -> None:
    """Asks to press Versturen or Annuleren under the preview."""
    await turn.say("broadcast/press_button")


async def on_send(turn: Turn, _: Any) -> None:
    """Every recipient's message is queued now; a progress message follows that ends as the
    report."""
    audience = Audience(turn.draft["audience"])
    text = turn.draft["text"]
    recipients = await audience_ids(turn.services, turn.tx, audience)
    if not recipients:
        await turn.say("broadcast/no_recipients")
        turn.go(_AUDIENCE)
        await ask_audience(turn)
        return
    ahead = await count_unfinished(turn.tx)
    broadcast_id = await create_broadcast(
        turn.tx, turn.user_id, audience.value, text, len(recipients), turn.now
    )
    await turn.end()
    progress = render(
        "broadcast/progress",
        broadcast_id=broadcast_id,
        queued=ahead > 0,
        done=0,
        total=len(recipients),
    )
    # The progress message first: staff see it before the first client gets the message.
    await turn.send(progress, source=PROGRESS_SOURCE, source_id=broadcast_id)
    await queue_recipients(turn.tx, broadcast_id, text, recipients, turn.now)
    turn.services.broadcasts_wakeup.set()


async def on_cancel_broadcast(turn: Turn, _: Any) -> None:
    """Nothing is sent; the message is dropped."""
    await turn.end()
    await turn.say("broadcast/cancelled")


FLOW = Flow(
    name="broadcast",
    first=_MESSAGE,
    command="broadcast",
    keeps_draft=True,
    steps={
        **resume_step(start_afresh),
        _MESSAGE: Step(ask=ask_message, text=on_message, retry=retry_message),
        _AUDIENCE: Step(
            ask=ask_audience,
            buttons=(on(buttons.AUDIENCE, on_audience),),
            retry=retry_audience,
        ),
        _CONFIRM: Step(
            ask=ask_confirmation,
            buttons=(
                on(buttons.BROADCAST_SEND, on_send),
                on(buttons.BROADCAST_CANCEL, on_cancel_broadcast),
            ),
            retry=retry_confirmation,
        ),
    },
)
