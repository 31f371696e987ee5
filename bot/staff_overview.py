"""Staff views across all clients: which dossiers are at risk, who is in an audience, the CSV.

No Telegram and no SQL here: the handlers fetch, these functions decide and shape.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum, StrEnum

from bot.domain.calculator import SubsidyResult
from bot.domain.progress import Deadline, Dossier, Step, current_deadline, next_step
from bot.domain.rules import Rules
from bot.domain.support import figures_of
from bot.texts import render
from storage.invitations import Invitation
from storage.staff_queries import StaffDossier

# A deadline this close (in days) with its step not done puts the dossier at risk.
AT_RISK_DAYS = 3
# The broadcast audience "deadline soon" looks this many days ahead.
SOON_DAYS = 7
# Excel opens a file as UTF-8 only with this mark in front.
UTF8_BOM = "\ufeff"
# Cells starting with these would be formulas in Excel (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Urgency(IntEnum):
    """Sort order of /dossiers: the most urgent first."""

    AT_RISK = 0  # a deadline within AT_RISK_DAYS and its step not done
    MISSED = 1  # the deadline passed without the step
    LATER = 2  # a deadline further away
    NONE = 3  # no deadline applies now (waiting for VIGC, or the later steps)


class Audience(StrEnum):
    ALL = "all"
    OPEN = "open"
    DEADLINE = "deadline"


@dataclass(frozen=True)
class DossierLine:
    item: StaffDossier
    step: Step | None
    deadline: Deadline | None
    urgency: Urgency

    @property
    def dossier(self) -> Dossier:
        return self.item.dossier


def describe(rules: Rules, item: StaffDossier, today: date) -> DossierLine:
    """Where the dossier stands today, and how urgent it is."""
    dossier = item.dossier
    scheme = rules.scheme_for(dossier.start_date)
    deadline = None if item.closed else current_deadline(dossier, scheme, today)
    return DossierLine(item, next_step(dossier, scheme), deadline, _urgency(deadline))


def ranked(rules: Rules, items: Iterable[StaffDossier], today: date) -> list[DossierLine]:
    """At-risk dossiers first, then missed, then by the nearest deadline."""
    lines = [describe(rules, item, today) for item in items]
    return sorted(
        lines,
        key=lambda line: (
            line.urgency,
            line.deadline.due if line.deadline else date.max,
            line.dossier.id,
        ),
    )


def deadline_within(rules: Rules, dossier: Dossier, today: date, days: int) -> bool:
    """The dossier has a deadline from today up to `days` days ahead."""
    deadline = current_deadline(dossier, rules.scheme_for(dossier.start_date), today)
    return deadline is not None and 0 <= deadline.days_left <= days


def _urgency(deadline: Deadline | None) -> Urgency:
    if deadline is None:
        return Urgency.NONE
    if deadline.missed:
        return Urgency.MISSED
    if deadline.days_left <= AT_RISK_DAYS:
        return Urgency.AT_RISK
    return Urgency.LATER


def export_csv(
    rules: Rules,
    items: Iterable[StaffDossier],
    today: date,
    staff_ids: Collection[int],
    invitations: Iterable[Invitation] = (),
) -> bytes:
    """All dossiers as CSV for Excel in Belgium: UTF-8 with BOM, `;` between cells; then
    the invitations no client has taken over yet (no dossier number, the contact as client)."""
    header = [_plain(line) for line in render("staff/export_header").splitlines()]
    items = list(items)
    by_client: dict[int, list[Dossier]] = {}
    for item in items:
        by_client.setdefault(item.dossier.client_id, []).append(item.dossier)
    figures = {
        dossier_id: result
        for dossiers in by_client.values()
        for dossier_id, result in figures_of(rules, dossiers).items()
    }
    rows = [
        _export_row(rules, describe(rules, item, today), staff_ids, figures.get(item.dossier.id))
        for item in items
    ]
    rows += [_invitation_row(rules, invitation, today) for invitation in invitations]
    return csv_bytes(header, rows)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (UTF8_BOM + buffer.getvalue()).encode("utf-8")


def _export_row(
    rules: Rules,
    line: DossierLine,
    staff_ids: Collection[int],
    figures: SubsidyResult | None,
) -> list[str]:
    dossier, client = line.dossier, line.item.client
    scheme = rules.scheme_for(dossier.start_date)
    service = scheme.service(dossier.service)
    theme = scheme.theme(dossier.service, dossier.theme)
    deadline = line.deadline
    by = None
    if dossier.confirmed_by is not None:
        by = "staff" if dossier.confirmed_by in staff_ids else "client"
    return [
        str(dossier.id),
        _text(client.display_name),
        _text(f"@{client.username}" if client.username else ""),
        _text(client.company_name or ""),
        _text(client.enterprise_number or ""),
        service.name,
        theme.name,
        _text(dossier.title),
        dossier.start_date.isoformat(),
        _word("stage", line.step.value if line.step else "done"),
        deadline.due.isoformat() if deadline else "",
        _word("deadline", deadline.kind.value) if deadline else "",
        str(deadline.days_left) if deadline else "",
        *(_day(dossier.done.get(step)) for step in Step),
        _word("by", by) if by else "",
        _euro(dossier.amount),
        _euro(None if figures is None else figures.own_share),
        _word("status", "closed" if line.item.closed else "open"),
    ]


def _invitation_row(rules: Rules, invitation: Invitation, today: date) -> list[str]:
    """An invitation in the columns of a dossier: what staff entered, its application
    deadline, and as stage "link not opened" or "client reports an error"."""
    scheme = rules.scheme_for(invitation.start_date)
    service = scheme.service(invitation.service)
    theme = scheme.theme(invitation.service, invitation.theme)
    return [
        "",
        _text(invitation.contact_name or ""),
        "",
        _text(invitation.company_name),
        _text(invitation.enterprise_number or ""),
        service.name,
        theme.name,
        _text(invitation.title),
        invitation.start_date.isoformat(),
        _word("stage", invitation.status),
        invitation.deadline.isoformat(),
        _word("deadline", "application"),
        str((invitation.deadline - today).days),
        *("" for _ in Step),
        "",
        _euro(invitation.amount),
        "",
        _word("status", "invitation"),
    ]


def _word(kind: str, code: str) -> str:
    return _plain(render("staff/export_value", kind=kind, code=code))


def _plain(rendered: str) -> str:
    return html.unescape(rendered).strip()


def _day(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _euro(amount: Decimal | None) -> str:
    """Decimal comma, as Excel in Belgium reads numbers."""
    return "" if amount is None else f"{amount:.2f}".replace(".", ",")


def _text(value: str) -> str:
    """Text a client typed, never run as a formula by Excel."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value
