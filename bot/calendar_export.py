"""A dossier's deadlines as an .ics file that Google, Outlook and Apple calendars import.

Pure: a dossier and its scheme in, bytes out (no Telegram here). Each open deadline is an
all-day event on its last day, with a reminder the day before; its UID stays the same for
the same dossier and deadline, so importing again updates the event instead of doubling it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from icalendar import Alarm, Calendar, Event

from bot.domain.calculator import SubsidyResult
from bot.domain.deadlines import application_deadline, payment_deadline
from bot.domain.progress import DeadlineKind, Dossier, Step
from bot.domain.rules import Scheme
from bot.texts import render

PRODID: Final = "-//VIGC//KMO-portefeuille-assistent//NL"
UID_DOMAIN: Final = "kmo-portefeuille-assistent.vigc"
MIME_TYPE: Final = "text/calendar"
# The alarm goes off at 09:00 on the day before (an all-day event starts at 00:00).
ALARM_BEFORE: Final = timedelta(hours=15)


@dataclass(frozen=True)
class CalendarDeadline:
    kind: DeadlineKind
    due: date


def open_deadlines(dossier: Dossier, scheme: Scheme) -> list[CalendarDeadline]:
    """The deadlines still to meet: filing until filed; payment once confirmed, until paid."""
    found = []
    if Step.FILED not in dossier.done:
        found.append(
            CalendarDeadline(
                DeadlineKind.APPLICATION, application_deadline(dossier.start_date, scheme)
            )
        )
    confirmed = dossier.done.get(Step.CONFIRMED)
    if confirmed is not None and Step.SHARE_PAID not in dossier.done:
        found.append(CalendarDeadline(DeadlineKind.PAYMENT, payment_deadline(confirmed, scheme)))
    return found


def filename_for(dossier: Dossier) -> str:
    return f"kmo-portefeuille-termijnen-{dossier.id}.ics"


def dossier_calendar(
    dossier: Dossier, scheme: Scheme, now: datetime, figures: SubsidyResult | None = None
) -> bytes | None:
    """The .ics file of the dossier's open deadlines, or None when none is open."""
    deadlines = open_deadlines(dossier, scheme)
    if not deadlines:
        return None
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _plain("calendar/name"))
    stamp = now.astimezone(UTC)
    for deadline in deadlines:
        calendar.add_component(_event(dossier, scheme, deadline, stamp, figures))
    return bytes(calendar.to_ical())


def _event(
    dossier: Dossier,
    scheme: Scheme,
    deadline: CalendarDeadline,
    stamp: datetime,
    figures: SubsidyResult | None,
) -> Event:
    values = {
        "kind": deadline.kind.value,
        "dossier": dossier,
        "due": deadline.due,
        "scheme": scheme,
        "service": scheme.service(dossier.service),
        "figures": figures,
    }
    summary = _plain("calendar/summary", **values)
    event = Event()
    event.add("uid", f"dossier-{dossier.id}-{deadline.kind.value}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", deadline.due)  # a date, not a datetime: DTSTART;VALUE=DATE
    event.add("dtend", deadline.due + timedelta(days=1))  # all-day: the end is exclusive
    event.add("summary", summary)
    event.add("description", _plain("calendar/description", **values))
    event.add("transp", "TRANSPARENT")  # a deadline does not make the day busy
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -ALARM_BEFORE)
    event.add_component(alarm)
    return event


def _plain(template: str, /, **values: object) -> str:
    """A template rendered as plain text: calendars show no HTML, so undo the escaping."""
    return html.unescape(render(template, **values))
