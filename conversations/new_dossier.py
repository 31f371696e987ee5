"""/nieuwdossier (VIGC staff): one client's project, set up by VIGC, and its personal link.

Company → enterprise number (or skip) → start date (it decides the rules) → service →
theme (when the service has several) → title → amount (or not known) → company size (or
skip) → contact name (or skip) → summary: "Link maken" gives the link and its QR code.
The same project (enterprise number or company, title and start date) made twice gives
the link made the first time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot import buttons
from bot.buttons import keyboard
from bot.domain.deadlines import application_deadline
from bot.domain.enrolment import MAX_CONTACT_LENGTH, dedupe_key
from bot.domain.enterprise import (
    MAX_COMPANY_LENGTH,
    NumberRejected,
    format_enterprise_number,
    parse_enterprise_number,
)
from bot.domain.progress import StartVerdict, check_start
from bot.domain.rules import SIZES, Service, Theme
from bot.enrolment_files import qr_png, safe_file_name
from bot.flows import Flow, Step, on
from bot.invitations import audit, invite, link_of
from bot.outbox import Kind
from bot.texts import label, render
from bot.turn import Turn
from conversations.common import begin_or_resume, resume_step
from conversations.questions import amount_step as shared_amount_step
from conversations.questions import (
    ask_theme,
    retry_date,
    scheme_of,
    service_markup,
    service_step,
    theme_step,
    typed_date,
)
from storage.audit import INVITE
from storage.invitations import Invitation, NewInvitation

MAX_TITLE = 80
_COMPANY, _NUMBER, _START, _SERVICE, _THEME, _TITLE = (
    "bedrijf",
    "nummer",
    "startdatum",
    "dienst",
    "thema",
    "titel",
)
_AMOUNT, _SIZE, _CONTACT, _CONFIRM = "bedrag", "grootte", "contact", "bevestigen"


async def begin(turn: Turn) -> None:
    """/nieuwdossier: a project being set up is offered back, else it starts."""
    await begin_or_resume(turn, FLOW, start_afresh)


async def start_afresh(turn: Turn) -> None:
    """Asks the company's name."""
    await turn.begin(FLOW, _COMPANY, {"for_staff": True})
    await ask_company(turn)


# -- company and enterprise number ---------------------------------------------------------


async def ask_company(turn: Turn) -> None:
    """The client company's name."""
    await turn.say("new_dossier/ask_company")


async def on_company(turn: Turn, text: str) -> None:
    """The name; then the enterprise number."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_COMPANY_LENGTH:
        await turn.say("new_dossier/company_invalid", max=MAX_COMPANY_LENGTH, length=len(name))
        return
    turn.draft["company"] = name
    turn.go(_NUMBER)
    await ask_number(turn)


async def ask_number(turn: Turn, reason: str | None = None) -> None:
    """The enterprise number, or "Nummer overslaan"."""
    skip = keyboard([buttons.NO_ENTERPRISE_NUMBER.button(label("no_enterprise_number"), True)])
    if reason is None:
        await turn.say("new_dossier/ask_number", skip, company=turn.draft["company"])
    else:
        await turn.say("registration/number_invalid", skip, reason=reason)


async def on_number(turn: Turn, text: str) -> None:
    """A checked number; a wrong one is refused with an example."""
    parsed = parse_enterprise_number(text)
    if isinstance(parsed, NumberRejected):
        await ask_number(turn, parsed.reason)
        return
    turn.draft["number"] = parsed
    await _to_start(turn)


async def on_skip_number(turn: Turn, _: Any) -> None:
    """No enterprise number: the company name is the key."""
    turn.draft["number"] = None
    await _to_start(turn)


# -- start date, service, theme ------------------------------------------------------------


async def _to_start(turn: Turn) -> None:
    turn.go(_START)
    await ask_start(turn)


async def ask_start(turn: Turn) -> None:
    """The project's start date (it decides the rules and the deadline)."""
    await turn.say("new_dossier/ask_start", today=turn.today)


async def on_start(turn: Turn, text: str) -> None:
    """A readable date whose application deadline has not passed; then the services of
    the rules of that date."""
    day = await typed_date(turn, text)
    if day is None:
        return
    scheme = turn.rules.scheme_for(day)
    deadline = application_deadline(day, scheme)
    if deadline < turn.today:
        await turn.say("new_dossier/too_late", start=day, deadline=deadline)
        return
    turn.draft["start"] = day.isoformat()
    turn.go(_SERVICE)
    await ask_service(turn)


def services_of_start(turn: Turn) -> list[Service]:
    return list(scheme_of(turn).services)


async def ask_service(turn: Turn) -> None:
    """The services of the rules of the start date."""
    await turn.say(
        "new_dossier/ask_service",
        service_markup(services_of_start(turn)),
        start=date.fromisoformat(turn.draft["start"]),
    )


async def on_service(turn: Turn, service: Service) -> None:
    """One theme: taken. Several: asked."""
    if len(service.themes) == 1:
        await _take_theme(turn, service.themes[0])
        return
    turn.go(_THEME)
    await ask_theme(turn)


async def on_theme(turn: Turn, theme: Theme | None) -> None:
    """A theme; "none of these" for a restricted service: no support, nothing made."""
    if theme is None:
        scheme = scheme_of(turn)
        service = scheme.service(turn.draft["service"])
        await turn.end()
        await turn.say("new_dossier/not_supported", service=service, scheme=scheme)
        return
    await _take_theme(turn, theme)


async def _take_theme(turn: Turn, theme: Theme) -> None:
    turn.draft["theme"] = theme.code
    turn.go(_TITLE)
    await ask_title(turn)


# -- title, amount, size, contact ----------------------------------------------------------


async def ask_title(turn: Turn) -> None:
    """The project's or training's title, as the client will recognise it."""
    await turn.say("new_dossier/ask_title", service=scheme_of(turn).service(turn.draft["service"]))


async def on_title(turn: Turn, text: str) -> None:
    """The title; then the amount."""
    title = " ".join(text.split())
    if not title or len(title) > MAX_TITLE:
        await turn.say("details/title_invalid", max=MAX_TITLE, length=len(title))
        return
    turn.draft["title"] = title
    turn.go(_AMOUNT)
    await FLOW.steps[_AMOUNT].ask(turn)


async def on_amount(turn: Turn, amount: Decimal | None) -> None:
    """The amount (or not known); then the size."""
    turn.draft["amount"] = None if amount is None else str(amount)
    turn.go(_SIZE)
    await ask_size(turn)


async def ask_size(turn: Turn) -> None:
    """Small, medium-sized, or not known (the client is asked later)."""
    choices = [buttons.SIZE.button(label("size", code=size), size) for size in SIZES]
    skip = buttons.STAFF_SKIP.button(label("skip"), "grootte")
    await turn.say("new_dossier/ask_size", keyboard(choices, [skip]))


async def on_size(turn: Turn, size: str) -> None:
    """The size; then the contact."""
    if size not in SIZES:
        await ask_size(turn)
        return
    turn.draft["size"] = size
    await _to_contact(turn)


async def _to_contact(turn: Turn) -> None:
    turn.go(_CONTACT)
    await ask_contact(turn)


async def ask_contact(turn: Turn) -> None:
    """The contact person's name, or skip (kept only until the link is opened)."""
    skip = keyboard([buttons.STAFF_SKIP.button(label("skip"), "contact")])
    await turn.say("new_dossier/ask_contact", skip)


async def on_contact(turn: Turn, text: str) -> None:
    """The contact's name; then the summary."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_CONTACT_LENGTH:
        await turn.say("new_dossier/contact_invalid", max=MAX_CONTACT_LENGTH, length=len(name))
        return
    turn.draft["contact"] = name
    await _to_confirm(turn)


async def on_skip(turn: Turn, what: str) -> None:
    """An optional answer skipped (the size, or the contact)."""
    if what == "grootte" and turn.step == _SIZE:
        turn.draft["size"] = None
        await _to_contact(turn)
    elif what == "contact" and turn.step == _CONTACT:
        turn.draft["contact"] = None
        await _to_confirm(turn)
    else:  # a skip button of the other question: this question again
        current = FLOW.steps[turn.step or _CONFIRM]
        await (current.retry or current.ask)(turn)


# -- summary and the link ------------------------------------------------------------------


async def _to_confirm(turn: Turn) -> None:
    turn.go(_CONFIRM)
    await ask_confirm(turn)


def _new_invitation(turn: Turn) -> NewInvitation:
    draft = turn.draft
    start = date.fromisoformat(draft["start"])
    amount = draft.get("amount")
    return NewInvitation(
        dedupe_key=dedupe_key(draft["number"], draft["company"], draft["title"], start),
        company_name=draft["company"],
        enterprise_number=draft["number"],
        service=draft["service"],
        theme=draft["theme"],
        title=draft["title"],
        start_date=start,
        deadline=application_deadline(start, scheme_of(turn)),
        amount=None if amount is None else Decimal(amount),
        company_size=draft.get("size"),
        contact_name=draft.get("contact"),
    )


async def ask_confirm(turn: Turn) -> None:
    """Everything entered, with "Link maken" and "Annuleren"."""
    new = _new_invitation(turn)
    scheme = scheme_of(turn)
    await turn.say(
        "new_dossier/summary",
        keyboard(
            [buttons.NEW_DOSSIER.button(label("make_link"), "maak")],
            [buttons.NEW_DOSSIER.button(label("cancel"), "annuleer")],
        ),
        project=new,
        number=format_enterprise_number(new.enterprise_number) if new.enterprise_number else None,
        service=scheme.service(new.service),
        theme=scheme.theme(new.service, new.theme),
        days_left=(new.deadline - turn.today).days,
    )


async def on_confirm(turn: Turn, choice: str) -> None:
    """ "Link maken": the invitation (or the one made before for this project), its link and
    QR code. "Annuleren": nothing is made."""
    if choice != "maak":
        await turn.end()
        await turn.say("new_dossier/cancelled")
        return
    new = _new_invitation(turn)
    check = check_start(turn.rules, new.service, new.start_date, turn.today, new.theme)
    if check.verdict is not StartVerdict.OK:  # the day passed while the form was open
        await turn.end()
        await turn.say("new_dossier/too_late", start=new.start_date, deadline=new.deadline)
        return
    invitation, made = await invite(turn.services, turn.tx, new, turn.user_id, turn.now)
    await turn.end()
    if made:
        await audit(turn.tx, turn.user_id, INVITE, turn.now, invitation)
    await send_link(turn, invitation, made=made)


async def send_link(
    turn: Turn, invitation: Invitation, *, made: bool, again: bool = False
) -> None:
    """The personal link as text (to copy into an e-mail) and as a QR code image."""
    link = link_of(turn.services, invitation)
    await turn.say("new_dossier/link", invitation=invitation, link=link, made=made, again=again)
    caption = render("new_dossier/qr_caption", invitation=invitation)
    name = safe_file_name(f"qr-{invitation.company_name}-{invitation.id}")
    await turn.send_file(Kind.PHOTO, qr_png(link), name, caption)


async def retry_buttons(turn: Turn) -> None:
    """Asks to use the buttons of the summary (it comes again)."""
    await ask_confirm(turn)


FLOW = Flow(
    name="nieuwdossier",
    first=_COMPANY,
    command="nieuwdossier",
    keeps_draft=True,
    steps={
        **resume_step(start_afresh),
        _COMPANY: Step(ask=ask_company, text=on_company),
        _NUMBER: Step(
            ask=ask_number,
            text=on_number,
            buttons=(on(buttons.NO_ENTERPRISE_NUMBER, on_skip_number),),
        ),
        _START: Step(ask=ask_start, text=on_start, retry=retry_date),
        _SERVICE: service_step(ask_service, services_of_start, on_service),
        _THEME: theme_step(on_theme),
        _TITLE: Step(ask=ask_title, text=on_title),
        _AMOUNT: shared_amount_step(on_amount, ask_size),
        _SIZE: Step(
            ask=ask_size,
            buttons=(on(buttons.SIZE, on_size), on(buttons.STAFF_SKIP, on_skip)),
        ),
        _CONTACT: Step(
            ask=ask_contact, text=on_contact, buttons=(on(buttons.STAFF_SKIP, on_skip),)
        ),
        _CONFIRM: Step(
            ask=ask_confirm,
            buttons=(on(buttons.NEW_DOSSIER, on_confirm),),
            retry=retry_buttons,
        ),
    },
)
