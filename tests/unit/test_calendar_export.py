"""The .ics export of a dossier's deadlines (pure: no Telegram involved)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from icalendar import Calendar

from bot.calendar_export import dossier_calendar, filename_for, open_deadlines
from bot.domain.progress import DeadlineKind, Dossier, Step
from bot.domain.rules import load_rules
from bot.domain.support import figures_of

RULES = load_rules()
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _dossier(**changes: object) -> Dossier:
    values: dict[str, object] = {
        "id": 7,
        "client_id": 1001,
        "service": "opleiding",
        "theme": "algemeen",
        "title": "Jansen & Zonen <bv>",
        "start_date": date(2026, 12, 1),
    }
    values.update(changes)
    return Dossier(**values)  # type: ignore[arg-type]


def _events(dossier: Dossier) -> list:
    figures = figures_of(RULES, [dossier])[dossier.id]
    content = dossier_calendar(dossier, RULES.scheme_for(dossier.start_date), NOW, figures)
    assert content is not None
    return Calendar.from_ical(content).walk("VEVENT")


def test_open_deadlines_follow_the_steps() -> None:
    scheme = RULES.scheme_for(date(2026, 12, 1))
    fresh = _dossier()
    assert [(d.kind, d.due) for d in open_deadlines(fresh, scheme)] == [
        (DeadlineKind.APPLICATION, date(2026, 12, 15))
    ]
    filed = _dossier(done={Step.FILED: date(2026, 12, 2)})
    assert open_deadlines(filed, scheme) == []
    confirmed = _dossier(done={Step.FILED: date(2026, 12, 2), Step.CONFIRMED: date(2026, 12, 4)})
    assert [(d.kind, d.due) for d in open_deadlines(confirmed, scheme)] == [
        (DeadlineKind.PAYMENT, date(2027, 1, 3))
    ]
    paid = _dossier(
        done={
            Step.FILED: date(2026, 12, 2),
            Step.CONFIRMED: date(2026, 12, 4),
            Step.SHARE_PAID: date(2026, 12, 5),
        }
    )
    assert open_deadlines(paid, scheme) == []
    assert dossier_calendar(paid, scheme, NOW) is None


def test_all_day_event_with_alarm_and_the_required_properties() -> None:
    content = dossier_calendar(_dossier(), RULES.scheme_for(date(2026, 12, 1)), NOW)
    assert content is not None
    text = content.decode()
    for line in (
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//VIGC//KMO-portefeuille-assistent//NL",
        "DTSTART;VALUE=DATE:20261215",
        "DTEND;VALUE=DATE:20261216",
        "DTSTAMP:20261128T090000Z",
        "UID:dossier-7-application@kmo-portefeuille-assistent.vigc",
        "BEGIN:VALARM",
        "TRIGGER:-PT15H",
    ):
        assert line in text.splitlines(), line
    assert "\r\n" in text  # RFC 5545 line endings
    [event] = _events(_dossier())
    assert str(event["SUMMARY"]) == (
        "Laatste dag: subsidie aanvragen · Jansen & Zonen <bv>"  # plain text, unescaped
    )
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=15)


def test_payment_deadline_names_the_own_share_when_known() -> None:
    dossier = _dossier(
        amount=Decimal(2000),
        company_size="klein",
        done={Step.FILED: date(2026, 12, 2), Step.CONFIRMED: date(2026, 12, 4)},
    )
    [event] = _events(dossier)
    assert event.decoded("DTSTART") == date(2027, 1, 3)
    assert str(event["UID"]) == "dossier-7-payment@kmo-portefeuille-assistent.vigc"
    assert "€ 1.400,00" in str(event["DESCRIPTION"])
    assert "regels vanaf zondag 1 februari 2026" in str(event["DESCRIPTION"])
    assert "op de rekening van Sodexo staan" in str(event["DESCRIPTION"])


def test_filename() -> None:
    assert filename_for(_dossier()) == "kmo-portefeuille-termijnen-7.ics"
