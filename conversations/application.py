"""/aanvraag: a new dossier. The start date comes early: it decides the rules, the themes on
offer and the deadline. The dossier exists as soon as the date is known (for a service
supported only for some themes: once the client said the project is about one of them);
its theme, name, company size and amount are asked next, and can follow later.

Service → agreement signed / enrolled? → start date → (is it about one of the themes?) →
the dossier and its deadline → the details (conversations/details.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot import buttons
from bot.buttons import column, keyboard
from bot.domain import progress
from bot.domain.enterprise import format_enterprise_number
from bot.domain.progress import Dossier, StartVerdict, check_start
from bot.domain.registration import is_registered
from bot.domain.rules import Service, Theme
from bot.flows import Flow, Step, on
from bot.reminders import sync_reminders
from bot.texts import label
from bot.turn import Turn
from conversations import details
from conversations.common import begin_or_resume, calendar_button, resume_step
from conversations.questions import (
    ask_theme,
    end_not_supported,
    retry_date,
    scheme_of,
    service_markup,
    service_step,
    theme_step,
    typed_date,
)
from storage.clients import get_client
from storage.dossiers import NewDossier, create_dossier, get_dossier

# A start this far ahead is probably a typo in the year: ask before counting on it.
FAR_AHEAD = timedelta(days=365)

_SERVICE, _AGREEMENT, _START, _FAR, _THEME = (
    "dienst",
    "overeenkomst",
    "startdatum",
    "ver_weg",
    "thema",
)


async def begin(turn: Turn) -> None:
    """/aanvraag: an unfinished application is offered back, else it starts."""
    await begin_or_resume(turn, FLOW, start_afresh)


async def start_afresh(turn: Turn) -> None:
    """Which service (and: register first, if not yet)."""
    await turn.begin(FLOW, _SERVICE)
    await ask_service(turn)


def services_on_offer(turn: Turn) -> list[Service]:
    """The services of today's rules, and of the rules of projects that started in the last
    days and can still be filed (the newest name of each)."""
    rules, today = turn.rules, turn.today
    window = max(scheme.application_days for scheme in rules.schemes)
    offered: dict[str, Service] = {}
    for day in (today, today - timedelta(days=window)):
        if day >= rules.schemes[0].valid_from:
            for service in rules.scheme_for(day).services:
                offered.setdefault(service.code, service)
    return list(offered.values())


async def ask_service(turn: Turn) -> None:
    """One button per service on offer."""
    client = await get_client(turn.tx, turn.user_id)
    registered = client is not None and is_registered(client.registration_step)
    await turn.say(
        "application/ask_service",
        service_markup(services_on_offer(turn)),
        register_first=not registered,
    )


async def on_service(turn: Turn, service: Service) -> None:
    """The chosen service; then: is the agreement signed (or is the client enrolled)?"""
    turn.go(_AGREEMENT)
    await ask_agreement(turn)


async def ask_agreement(turn: Turn, template: str = "application/ask_agreement") -> None:
    """Signed / enrolled, or not yet."""
    service = _service(turn)
    markup = column(
        [
            buttons.AGREEMENT.button(label("yes_signed", enrolment=service.enrolment), "ja"),
            buttons.AGREEMENT.button(label("not_yet"), "nee"),
        ]
    )
    await turn.say(template, markup, service=service)


async def retry_agreement(turn: Turn) -> None:
    """Asks again, with the buttons."""
    await ask_agreement(turn, "questions/use_buttons")


async def on_agreement(turn: Turn, answer: str) -> None:
    """Yes: the start date. Not yet: what to do first and how to come back; the flow ends."""
    service = _service(turn)
    if answer == "ja":
        await turn.ask(_START, "application/ask_start", service=service)
        return
    await turn.end()
    await turn.say("application/agreement_first", service=service)


async def ask_start(turn: Turn) -> None:
    """The project's start date."""
    await turn.say("application/ask_start", service=_service(turn))


async def on_start_date(turn: Turn, text: str) -> None:
    """The start date: on with it, or first a check when it is more than a year ahead."""
    today = turn.today
    parsed = await typed_date(turn, text)
    if parsed is None:
        return
    if parsed - today > FAR_AHEAD:
        turn.draft["pending_start"] = parsed.isoformat()
        turn.go(_FAR)
        await ask_far(turn)
        return
    await _take_start(turn, parsed)


async def ask_far(turn: Turn) -> None:
    """Is that far-off start date right?"""
    markup = keyboard(
        [
            buttons.FAR_AHEAD.button(label("far_yes"), "ja"),
            buttons.FAR_AHEAD.button(label("far_no"), "nee"),
        ]
    )
    start = date.fromisoformat(turn.draft["pending_start"])
    await turn.say("application/check_far", markup, start=start)


async def on_far(turn: Turn, answer: str) -> None:
    """Yes: on with that date. No: the start date again."""
    pending = date.fromisoformat(turn.draft.pop("pending_start"))
    if answer == "ja":
        await _take_start(turn, pending)
        return
    await turn.ask(_START, "application/ask_start", service=_service(turn))


async def _take_start(turn: Turn, start: date) -> None:
    """Too late, or not supported on that date: said, and the flow ends. A service that
    is supported only for some themes: asked first. Otherwise: the dossier."""
    check = check_start(turn.rules, turn.draft["service"], start, turn.today)
    if check.verdict is not StartVerdict.OK:
        await turn.end()
        await turn.say(f"application/{check.verdict}", start=start, check=check)
        return
    turn.draft["start"] = start.isoformat()
    service = scheme_of(turn).service(turn.draft["service"])
    if service.restricted:
        turn.go(_THEME)
        await ask_theme(turn)
        return
    standard = service.standard_theme or service.themes[0]
    await _create(turn, service, standard, chosen=len(service.themes) == 1)


async def on_theme(turn: Turn, theme: Theme | None) -> None:
    """About one of the themes: the dossier. About something else: no support under the
    rules of that date, said plainly, and nothing is recorded."""
    if theme is None:
        await end_not_supported(turn)
        return
    await _create(turn, scheme_of(turn).service(turn.draft["service"]), theme, chosen=True)


async def _create(turn: Turn, service: Service, theme: Theme, *, chosen: bool) -> None:
    draft = turn.draft
    start = date.fromisoformat(draft["start"])
    client = await get_client(turn.tx, turn.user_id)
    size = draft.get("size") or (client.company_size if client else None)
    amount = draft.get("amount")
    # Answers given before (a draft from an earlier version of this flow) are kept.
    earlier = next((t for t in service.themes if t.code == draft.get("theme")), None)
    if earlier is not None and not chosen:
        theme, chosen = earlier, True
    dossier_id = await create_dossier(
        turn.tx,
        NewDossier(
            client_id=turn.user_id,
            service=service.code,
            theme=theme.code,
            title=draft.get("title", ""),
            start_date=start,
            company_size=size,
            amount=None if amount is None else Decimal(amount),
            theme_chosen=chosen,
        ),
        turn.now,
    )
    dossier = await get_dossier(turn.tx, dossier_id)
    if dossier is None:
        raise RuntimeError("dossier missing right after it was written")
    await sync_reminders(turn.services, turn.tx, dossier)
    await turn.end()
    await announce(turn, dossier, size_from_profile=size is not None)


async def announce(
    turn: Turn, dossier: Dossier, *, linked: bool = False, size_from_profile: bool = False
) -> None:
    """The new dossier's deadline, how to file on the website, the buttons for filing and
    the calendar; then its missing details are asked. `linked`: a dossier VIGC set up that
    the client has just taken over."""
    client = await get_client(turn.tx, turn.user_id)
    check = check_start(turn.rules, dossier.service, dossier.start_date, turn.today)
    number = client.enterprise_number if client else None
    await turn.say(
        "application/deadline",
        keyboard(
            [
                buttons.STEP.button(
                    label("step_done", code="filed"), (dossier.id, progress.Step.FILED)
                )
            ],
            [calendar_button(dossier.id)],
        ),
        dossier=dossier,
        company=client.company_name if client else None,
        enterprise_number=format_enterprise_number(number) if number else None,
        start=dossier.start_date,
        deadline=check.deadline,
        days_left=check.days_left,
        service=check.scheme.service(dossier.service),
        scheme=check.scheme,
        linked=linked,
    )
    # A size known from before is not asked; the amount question offers to change it.
    await details.begin(turn, dossier, size_from_profile=size_from_profile)


def _service(turn: Turn) -> Service:
    """The chosen service, as the rules of the start date (or, before it, of today) name it."""
    code = turn.draft["service"]
    if "start" in turn.draft:
        return scheme_of(turn).service(code)
    return next(s for s in services_on_offer(turn) if s.code == code)


FLOW = Flow(
    name="aanvraag",
    first=_SERVICE,
    command="aanvraag",
    keeps_draft=True,
    steps={
        **resume_step(start_afresh),
        _SERVICE: service_step(ask_service, services_on_offer, on_service),
        _AGREEMENT: Step(
            ask=ask_agreement,
            buttons=(on(buttons.AGREEMENT, on_agreement),),
            retry=retry_agreement,
        ),
        _START: Step(ask=ask_start, text=on_start_date, retry=retry_date),
        _FAR: Step(ask=ask_far, buttons=(on(buttons.FAR_AHEAD, on_far),), retry=ask_far),
        _THEME: theme_step(on_theme),
    },
)
