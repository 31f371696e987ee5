"""The two strict deadlines of the KMO-portefeuille and when to remind about them.

Lengths come from the scheme (rules.toml); the day a deadline falls on is the last day
on which the step is still accepted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.domain.dates import BRUSSELS
from bot.domain.rules import Scheme

# A reminder further ahead than a year makes no sense for 14- and 30-day deadlines.
MAX_DAYS_BEFORE: Final = 365

_CLOCK = re.compile(r"(?P<hour>[01]?[0-9]|2[0-3]):(?P<minute>[0-5][0-9])")
_DAYS = re.compile(r"[0-9]{1,3}")


def application_deadline(start: date, scheme: Scheme) -> date:
    """Last day to file the application: the start plus the scheme's calendar days."""
    return start + timedelta(days=scheme.application_days)


def payment_deadline(confirmed: date, scheme: Scheme) -> date:
    """Last day for the own share to reach the payment handler after VIGC confirmed."""
    return confirmed + timedelta(days=scheme.payment_days)


def days_left(deadline: date, today: date) -> int:
    """Calendar days until the deadline: 0 on the last day, negative once it passed."""
    return (deadline - today).days


def reminder_moment(
    deadline: date, days_before: int, at: time, tz: ZoneInfo = BRUSSELS
) -> datetime:
    """The aware UTC moment of local clock time `at`, `days_before` days before `deadline`.

    Built from the local calendar day, so 09:00 stays 09:00 in Brussels across DST.
    A local time skipped by the spring DST change resolves like zoneinfo does (fold=0).
    """
    day = deadline - timedelta(days=days_before)
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz)
    return local.astimezone(UTC)


def parse_days_before(text: str) -> tuple[int, ...]:
    """Read a reminder setting such as "7,3,1,0": unique days, largest first."""
    parts = [part.strip() for part in text.split(",")]
    if not parts or not all(_DAYS.fullmatch(part) for part in parts):
        raise ValueError(f"expected comma-separated whole days such as '7,3,1,0', got {text!r}")
    days = {int(part) for part in parts}
    if max(days) > MAX_DAYS_BEFORE:
        raise ValueError(f"reminders at most {MAX_DAYS_BEFORE} days ahead, got {text!r}")
    return tuple(sorted(days, reverse=True))


def parse_clock_time(text: str) -> time:
    """Read a clock time such as "09:00" or "9:30" (24-hour)."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a time such as '09:00', got {text!r}")
    return time(int(match["hour"]), int(match["minute"]))
