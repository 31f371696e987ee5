"""/uitnodigingen (VIGC staff): the invitations no client has taken over yet, and what staff
can do with one: send its link again, revoke it, or correct it. Every action is audited.

A correction of an invitation the client questioned opens it again, and that client hears
that VIGC changed it (with the link, to check once more).
"""

from __future__ import annotations

from typing import Any

from bot import buttons
from bot.buttons import Button, Keyboard, column, keyboard
from bot.domain.dates import DateRejected, parse_date
from bot.domain.deadlines import application_deadline
from bot.domain.enrolment import MAX_TITLE_LENGTH
from bot.domain.enterprise import MAX_COMPANY_LENGTH
from bot.flows import Flow, Step, on
from bot.invitations import audit, link_of
from bot.outbox import text_message
from bot.texts import label, render
from bot.turn import Turn
from conversations.common import show_in_pressed
from conversations.new_dossier import send_link
from storage import invitations as stored
from storage.audit import CORRECT, RESEND, REVOKE
from storage.invitations import Invitation

PAGE_SIZE = 8
_FIELD, _VALUE = "veld", "waarde"
_CHANGEABLE = (stored.OPEN, stored.DISPUTED)


async def on_list(turn: Turn) -> None:
    """The invitations not taken over yet, the nearest deadline first, a page at a time."""
    text, markup = await _page(turn, 1)
    await turn.send(text, markup)


async def on_page(turn: Turn, page: int) -> None:
    """Another page of /uitnodigingen, in the same message."""
    await show_in_pressed(turn, *await _page(turn, page))


async def _page(turn: Turn, page: int) -> tuple[str, Keyboard | None]:
    waiting = await stored.waiting_invitations(turn.tx, turn.today)
    if not waiting:
        return render("invitations/admin_none"), None
    pages = (len(waiting) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    shown = waiting[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    text = render(
        "invitations/admin_list",
        invitations=shown,
        total=len(waiting),
        disputed=sum(1 for i in waiting if i.status == stored.DISPUTED),
        page=page,
        pages=pages,
        today=turn.today,
    )
    cards = [
        buttons.INVITATION_CARD.button(label("invitation_card", invitation=i), i.id) for i in shown
    ]
    paging: list[Button] = []
    if page > 1:
        paging.append(buttons.INVITATIONS_PAGE.button(label("page_previous"), page - 1))
    if page < pages:
        paging.append(buttons.INVITATIONS_PAGE.button(label("page_next"), page + 1))
    return text, keyboard(*column(cards), paging)


async def on_card(turn: Turn, invitation_id: int) -> None:
    """One invitation in full, with what staff can do with it."""
    invitation = await stored.get_invitation(turn.tx, invitation_id)
    if invitation is None:
        await turn.say("invitations/admin_gone")
        return
    await _show(turn, invitation)


async def _show(turn: Turn, invitation: Invitation) -> None:
    actions: Keyboard | None = None
    if invitation.status in _CHANGEABLE and not invitation.expired(turn.today):
        actions = column(
            buttons.INVITATION.button(
                label("invitation_action", action=action), (invitation.id, action)
            )
            for action in ("link", "corrigeren", "intrekken")
        )
    await turn.say(
        "invitations/admin_card",
        actions,
        invitation=invitation,
        today=turn.today,
        days_left=(invitation.deadline - turn.today).days,
    )


async def action_offered(turn: Turn, value: tuple[int, str]) -> bool:
    """An action on an invitation that is still open (or questioned) and not expired."""
    invitation = await stored.get_invitation(turn.tx, value[0])
    return (
        invitation is not None
        and invitation.status in _CHANGEABLE
        and not invitation.expired(turn.today)
    )


async def action_not_offered(turn: Turn, value: tuple[int, str]) -> None:
    """How the invitation stands now (taken over, revoked, expired or gone)."""
    await on_card(turn, value[0])


async def on_action(turn: Turn, value: tuple[int, str]) -> None:
    """Send the link again; revoke (after "are you sure"); or correct."""
    invitation = await stored.get_invitation(turn.tx, value[0])
    if invitation is None:
        return
    action = value[1]
    if action == "link":
        await audit(turn.tx, turn.user_id, RESEND, turn.now, invitation)
        await send_link(turn, invitation, made=False, again=True)
    elif action == "intrekken":
        sure = keyboard(
            [buttons.INVITATION.button(label("revoke_yes"), (invitation.id, "zeker_intrekken"))],
            [buttons.INVITATION_CARD.button(label("revoke_no"), invitation.id)],
        )
        await turn.say("invitations/admin_revoke_sure", sure, invitation=invitation)
    elif action == "zeker_intrekken":
        await stored.set_status(turn.tx, invitation.id, stored.REVOKED, turn.now)
        await audit(turn.tx, turn.user_id, REVOKE, turn.now, invitation)
        await turn.say("invitations/admin_revoked", invitation=invitation)
    else:
        await turn.begin(FLOW, _FIELD, {"invitation": invitation.id})
        await ask_field(turn)


# -- correcting an invitation ----------------------------------------------------------------


async def _invitation(turn: Turn) -> Invitation | None:
    invitation = await stored.get_invitation(turn.tx, int(turn.draft.get("invitation", 0)))
    if invitation is None or invitation.status not in _CHANGEABLE:
        return None
    return invitation


async def ask_field(turn: Turn) -> None:
    """What to correct: the company name, the title or the start date."""
    invitation = await _invitation(turn)
    if invitation is None:
        await _stopped(turn)
        return
    choices = [
        buttons.CORRECT_FIELD.button(label("correct_field", field=field), field)
        for field in ("bedrijf", "titel", "start")
    ]
    await turn.say("invitations/admin_ask_field", column(choices), invitation=invitation)


async def on_field(turn: Turn, field: str) -> None:
    """The new value is asked."""
    turn.draft["field"] = field
    turn.go(_VALUE)
    await ask_value(turn)


async def ask_value(turn: Turn, problem: str | None = None, **values: Any) -> None:
    """The new company name, title or start date (after a wrong one: why)."""
    invitation = await _invitation(turn)
    if invitation is None:
        await _stopped(turn)
        return
    await turn.say(
        "invitations/admin_ask_value",
        field=turn.draft["field"],
        invitation=invitation,
        problem=problem,
        today=turn.today,
        **values,
    )


async def on_value(turn: Turn, text: str) -> None:
    """Checked, saved, audited; a client who questioned the project hears of it."""
    invitation = await _invitation(turn)
    if invitation is None:
        await _stopped(turn)
        return
    changes = _changes(turn, turn.draft["field"], " ".join(text.split()))
    if isinstance(changes, tuple):
        problem, details = changes
        await ask_value(turn, problem, **details)
        return
    await stored.correct(turn.tx, invitation.id, changes, turn.now)
    await audit(turn.tx, turn.user_id, CORRECT, turn.now, invitation, fields=sorted(changes))
    await turn.end()
    fresh = await stored.get_invitation(turn.tx, invitation.id)
    if fresh is None:
        return
    if invitation.status == stored.DISPUTED and invitation.client_id is not None:
        news = render("invitations/corrected_client", link=link_of(turn.services, fresh))
        await turn.enqueue(text_message(invitation.client_id, news))
    await turn.say("invitations/admin_corrected", invitation=fresh)
    await _show(turn, fresh)


def _changes(turn: Turn, field: str, value: str) -> dict[str, Any] | tuple[str, dict[str, Any]]:
    """The columns to change, or (problem, details) for a value that cannot be taken."""
    if field == "start":
        day = parse_date(value, turn.today)
        if isinstance(day, DateRejected):
            return "date", {"reason": day.reason}
        deadline = application_deadline(day, turn.rules.scheme_for(day))
        if deadline < turn.today:
            return "too_late", {"start": day, "deadline": deadline}
        return {"start_date": day, "deadline": deadline}
    limit = MAX_COMPANY_LENGTH if field == "bedrijf" else MAX_TITLE_LENGTH
    if not value or len(value) > limit:
        return "length", {"limit": limit}
    return {"company_name" if field == "bedrijf" else "title": value}


async def _stopped(turn: Turn) -> None:
    """Taken over or revoked meanwhile: nothing to correct any more."""
    await turn.end()
    await turn.say("invitations/admin_not_changeable")


async def retry_value(turn: Turn) -> None:
    """Asks again for the new value, as text."""
    await ask_value(turn, "not_text")


FLOW = Flow(
    name="uitnodiging_corrigeren",
    first=_FIELD,
    steps={
        _FIELD: Step(ask=ask_field, buttons=(on(buttons.CORRECT_FIELD, on_field),)),
        _VALUE: Step(ask=ask_value, text=on_value, retry=retry_value),
    },
)
