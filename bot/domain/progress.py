"""Where a dossier stands: its steps, the next one, and the deadline that applies now.

The stage is derived from which step dates are set; nothing about it is stored twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.domain.deadlines import application_deadline, days_left, payment_deadline
from bot.domain.rules import Rules, Scheme


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
    # False while the theme is the plain rate only because the client was not asked yet.
    theme_chosen: bool = True

    @property
    def application_day(self) -> date:
        """The day that decides the dossier's year for the annual cap (see rules.toml)."""
        return self.done.get(Step.FILED, self.start_date)


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


class Detail(StrEnum):
    """What a client can still tell about a dossier after its start date is known."""

    THEME = "theme"
    TITLE = "title"
    SIZE = "size"
    AMOUNT = "amount"


def missing_details(dossier: Dossier, scheme: Scheme) -> list[Detail]:
    """The details not given yet, in the order the bot asks them."""
    missing = []
    service = scheme.service(dossier.service)
    if not dossier.theme_chosen and len(service.themes) > 1:
        missing.append(Detail.THEME)
    if not dossier.title:
        missing.append(Detail.TITLE)
    if dossier.company_size is None:
        missing.append(Detail.SIZE)
    if dossier.amount is None:
        missing.append(Detail.AMOUNT)
    return missing


class StartVerdict(StrEnum):
    OK = "ok"
    TOO_LATE = "too_late"  # the application deadline has passed: no subsidy any more
    NOT_ELIGIBLE = "not_eligible"  # the scheme of that date does not support the service


@dataclass(frozen=True)
class StartCheck:
    verdict: StartVerdict
    scheme: Scheme
    deadline: date
    days_left: int


def check_start(
    rules: Rules, service_code: str, start: date, today: date, theme_code: str | None = None
) -> StartCheck:
    """Judge a project start date: in time, too late, or a service (or, when given, a theme)
    the rules of that date do not cover.

    A date before the oldest scheme is judged with the oldest scheme's deadline: such a
    start is long past its deadline anyway.
    """
    oldest = rules.schemes[0]
    scheme = rules.scheme_for(start) if start >= oldest.valid_from else oldest
    deadline = application_deadline(start, scheme)
    left = days_left(deadline, today)
    if left < 0:
        verdict = StartVerdict.TOO_LATE
    elif not _offers(scheme, service_code, theme_code):
        verdict = StartVerdict.NOT_ELIGIBLE
    else:
        verdict = StartVerdict.OK
    return StartCheck(verdict, scheme, deadline, left)


def _offers(scheme: Scheme, service_code: str, theme_code: str | None) -> bool:
    try:
        service = scheme.service(service_code)
        if theme_code is not None:
            service.theme(theme_code)
    except KeyError:
        return False
    return True


def step_date_problem(dossier: Dossier, step: Step, day: date, today: date) -> str | None:
    """Why `step` cannot have been done on `day` ("future", "before_filed"), or None."""
    if day > today:
        return "future"
    filed = dossier.done.get(Step.FILED)
    if step is Step.CONFIRMED and filed is not None and day < filed:
        return "before_filed"
    return None
