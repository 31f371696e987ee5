"""Where a dossier stands: its steps, the next one, and the deadline that applies now.

The stage is derived from which step dates are set; nothing about it is stored twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.domain.calculator import calculate_subsidy
from bot.domain.deadlines import application_deadline, days_left, payment_deadline
from bot.domain.rules import Scheme


class Step(StrEnum):
    """The client's steps after the agreement, in the words of the procedure."""

    FILED = "filed"  # subsidy application filed on the website
    CONFIRMED = "confirmed"  # VIGC confirmed the application
    SHARE_PAID = "share_paid"  # own share paid to the payment handler
    REPORT_APPROVED = "report_approved"  # report form approved (advice, technology exploration)
    EVALUATED = "evaluated"  # VIGC evaluated on the website
    VIGC_PAID = "vigc_paid"  # VIGC paid from the wallet


# Steps whose date matters for a deadline, so the client is asked for it.
DATED_STEPS = frozenset({Step.FILED, Step.CONFIRMED})

_TRAINING_ORDER = (Step.FILED, Step.CONFIRMED, Step.SHARE_PAID, Step.VIGC_PAID, Step.EVALUATED)
# Advice / technology exploration: approve the report form, evaluate, then pay the balance.
_REPORT_ORDER = (
    Step.FILED,
    Step.CONFIRMED,
    Step.SHARE_PAID,
    Step.REPORT_APPROVED,
    Step.EVALUATED,
    Step.VIGC_PAID,
)


class DeadlineKind(StrEnum):
    APPLICATION = "application"
    PAYMENT = "payment"


@dataclass(frozen=True)
class Dossier:
    id: int
    client_id: int
    service: str
    theme: str
    title: str
    start_date: date
    amount: Decimal | None = None
    company_size: str | None = None
    done: Mapping[Step, date] = field(default_factory=dict)
    confirmed_by: int | None = None


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due: date
    days_left: int

    @property
    def missed(self) -> bool:
        return self.days_left < 0


def steps_for(dossier: Dossier, scheme: Scheme) -> tuple[Step, ...]:
    service = scheme.service(dossier.service)
    return _REPORT_ORDER if service.needs_report_approval else _TRAINING_ORDER


def next_step(dossier: Dossier, scheme: Scheme) -> Step | None:
    """The first step not done yet, or None when the dossier is complete."""
    return next((step for step in steps_for(dossier, scheme) if step not in dossier.done), None)


def current_deadline(dossier: Dossier, scheme: Scheme, today: date) -> Deadline | None:
    """The deadline that the client must meet next, if any applies right now."""
    if Step.FILED not in dossier.done:
        due = application_deadline(dossier.start_date, scheme)
        return Deadline(DeadlineKind.APPLICATION, due, days_left(due, today))
    confirmed = dossier.done.get(Step.CONFIRMED)
    if confirmed is not None and Step.SHARE_PAID not in dossier.done:
        due = payment_deadline(confirmed, scheme)
        return Deadline(DeadlineKind.PAYMENT, due, days_left(due, today))
    return None


def own_share_due(dossier: Dossier, scheme: Scheme) -> Decimal | None:
    """What the client pays into the wallet, when the amount and company size are known."""
    if dossier.amount is None or dossier.company_size is None:
        return None
    result = calculate_subsidy(
        scheme, dossier.service, dossier.theme, dossier.company_size, dossier.amount
    )
    return result.own_share
