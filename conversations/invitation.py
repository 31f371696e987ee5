"""The client's side of an invitation: a personal link (`/start <code>`) shows the project as
VIGC set it up and asks "Klopt dit?". Yes: the dossier is the client's, with reminders.
No: the client says what is wrong, and staff hear it.

Every link gets an answer: a used, revoked, expired or unknown one a polite one that says
what to do. Unknown codes are counted per user; after a few, codes are not even looked up
for a while (nobody can try codes until one fits). A code never appears in a log line.
"""

from __future__ import annotations

import logging

from bot import buttons
from bot.buttons import keyboard
from bot.domain.invitations import is_code_shaped
from bot.domain.progress import check_start
from bot.flows import Flow, Step, on
from bot.invitations import claim, to_staff, too_many_wrong_codes
from bot.texts import label
from bot.turn import Turn
from conversations.application import announce
from conversations.common import dossier_view
from storage import invitations as stored
from storage.dossiers import get_dossier
from storage.invitations import Invitation
from storage.meta import get_meta, set_meta

_LOGGER = logging.getLogger(__name__)

_CHECK, _REMARK = "controleren", "opmerking"
MAX_REMARK = 1000


async def open_link(turn: Turn, code: str) -> None:
    """A personal link was opened: the project to check, or why the link does not work."""
    if await too_many_wrong_codes(turn.tx, turn.user_id, turn.now):
        _LOGGER.warning("User %s: invitation codes refused for a while", turn.user_id)
        await turn.say("invitations/too_many")
        return
    invitation = await stored.invitation_by_code(turn.tx, code) if is_code_shaped(code) else None
    if invitation is None:
        await stored.record_wrong_code(turn.tx, turn.user_id, turn.now)
        _LOGGER.info("User %s opened an unknown invitation link", turn.user_id)
        await turn.say("invitations/unknown", contact=turn.services.settings.vigc_contact)
        return
    mine = invitation.client_id == turn.user_id
    if invitation.status == stored.LINKED and mine and invitation.dossier_id is not None:
        await _already_yours(turn, invitation.dossier_id)
    elif invitation.status in (stored.LINKED, stored.DISPUTED) and not mine:
        await _someone_elses(turn, invitation)
    elif invitation.status == stored.DISPUTED:
        await turn.say("invitations/disputed", contact=turn.services.settings.vigc_contact)
    elif invitation.status == stored.REVOKED:
        await turn.say("invitations/revoked", contact=turn.services.settings.vigc_contact)
    elif invitation.expired(turn.today):
        await turn.say(
            "invitations/expired",
            invitation=invitation,
            contact=turn.services.settings.vigc_contact,
        )
    else:
        await turn.begin(FLOW, _CHECK, {"invitation": invitation.id})
        await ask_check(turn)


async def _already_yours(turn: Turn, dossier_id: int) -> None:
    """The dossier is already this client's: its status."""
    dossier = await get_dossier(turn.tx, dossier_id)
    await turn.say("invitations/already_yours")
    if dossier is not None:
        await turn.send(*await dossier_view(turn.services, turn.tx, dossier))


async def _someone_elses(turn: Turn, invitation: Invitation) -> None:
    """Taken by another Telegram account: a polite refusal; staff are told (once per
    account and invitation)."""
    await stored.record_wrong_code(turn.tx, turn.user_id, turn.now)
    await turn.say("invitations/taken", contact=turn.services.settings.vigc_contact)
    key = f"invitation_reuse:{invitation.id}:{turn.user_id}"
    if await get_meta(turn.tx, key) is not None:
        return
    await set_meta(turn.tx, key, turn.now.isoformat())
    user = turn.user
    for message in to_staff(
        turn.services,
        "invitations/staff_reused",
        invitation=invitation,
        name=user.full_name,
        username=user.username,
        user_id=user.id,
    ):
        await turn.enqueue(message)


async def _current(turn: Turn) -> Invitation | None:
    """The invitation of this flow, while it can still be taken over."""
    invitation = await stored.get_invitation(turn.tx, int(turn.draft.get("invitation", 0)))
    if invitation is None or invitation.status != stored.OPEN or invitation.expired(turn.today):
        return None
    return invitation


async def ask_check(turn: Turn) -> None:
    """The project as VIGC set it up, its deadline and days left; Klopt dit? Ja / Nee."""
    invitation = await _current(turn)
    if invitation is None:
        await _gone(turn)
        return
    check = check_start(turn.rules, invitation.service, invitation.start_date, turn.today)
    scheme = check.scheme
    await turn.say(
        "invitations/check",
        keyboard(
            [buttons.INVITATION_ANSWER.button(label("invitation_yes"), "ja")],
            [buttons.INVITATION_ANSWER.button(label("invitation_no"), "nee")],
        ),
        invitation=invitation,
        service=scheme.service(invitation.service),
        theme=scheme.theme(invitation.service, invitation.theme),
        deadline=check.deadline,
        days_left=check.days_left,
    )


async def _gone(turn: Turn) -> None:
    """Taken, revoked or expired while the client was looking: ended, and what to do."""
    await turn.end()
    await turn.say("invitations/gone", contact=turn.services.settings.vigc_contact)


async def on_answer(turn: Turn, answer: str) -> None:
    """Ja: the dossier is the client's, with its deadline. Nee: what is not right?"""
    invitation = await _current(turn)
    if invitation is None:
        await _gone(turn)
        return
    if answer == "nee":
        await turn.ask(_REMARK, "invitations/ask_remark")
        return
    dossier = await claim(turn.services, turn.tx, invitation, turn.user_id, turn.now)
    if dossier is None:
        await _gone(turn)
        return
    _LOGGER.info("Invitation %s taken over by %s", invitation.id, turn.user_id)
    await turn.end()
    from_profile = invitation.company_size is None and dossier.company_size is not None
    await announce(turn, dossier, linked=True, size_from_profile=from_profile)


async def on_remark(turn: Turn, text: str) -> None:
    """What is wrong goes to VIGC staff; the client hears who will follow up."""
    remark = " ".join(text.split())[:MAX_REMARK]
    if not remark:
        await retry_remark(turn)
        return
    invitation = await stored.get_invitation(turn.tx, int(turn.draft.get("invitation", 0)))
    await turn.end()
    if invitation is None or invitation.status not in (stored.OPEN, stored.DISPUTED):
        await turn.say("invitations/gone", contact=turn.services.settings.vigc_contact)
        return
    await stored.dispute(turn.tx, invitation.id, turn.user_id, remark, turn.now)
    user = turn.user
    for message in to_staff(
        turn.services,
        "invitations/staff_disputed",
        invitation=invitation,
        remark=remark,
        name=user.full_name,
        username=user.username,
        user_id=user.id,
    ):
        await turn.enqueue(message)
    await turn.say(
        "invitations/remark_sent",
        invitation=invitation,
        contact=turn.services.settings.vigc_contact,
    )


async def retry_check(turn: Turn) -> None:
    """Asks to answer with Ja or Nee (the project comes again)."""
    await ask_check(turn)


async def retry_remark(turn: Turn) -> None:
    """Asks again, in words, what is not right."""
    await turn.say("invitations/ask_remark_again")


async def ask_remark(turn: Turn) -> None:
    """What is not right about the project?"""
    await turn.say("invitations/ask_remark")


FLOW = Flow(
    name="uitnodiging",
    first=_CHECK,
    steps={
        _CHECK: Step(
            ask=ask_check,
            buttons=(on(buttons.INVITATION_ANSWER, on_answer),),
            retry=retry_check,
        ),
        _REMARK: Step(ask=ask_remark, text=on_remark, retry=retry_remark),
    },
)
