"""Reading dates the way Flemish users type them, and showing them the Dutch way.

`parse_date` never raises: whatever a user sends, the answer is a date or a reason to ask
again. Years may be left out; the year then puts the date closest to "today".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal

BRUSSELS: Final = ZoneInfo("Europe/Brussels")
LOCALE: Final = "nl_BE"
MAX_INPUT_LENGTH: Final = 100


@dataclass(frozen=True)
class DateRejected:
    """Why a text is not a date: "empty", "unreadable", "impossible" or "too_long"."""

    reason: str


EMPTY: Final = DateRejected("empty")
UNREADABLE: Final = DateRejected("unreadable")
IMPOSSIBLE: Final = DateRejected("impossible")
TOO_LONG: Final = DateRejected("too_long")

# Parsing tables (data, not prose): every spelling users write, mapped to a number.
MONTHS: Final[dict[str, int]] = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "febr": 2,
    "maart": 3,
    "mrt": 3,
    "maa": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augustus": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}

WEEKDAYS: Final = frozenset(
    {
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
        "ma",
        "di",
        "wo",
        "do",
        "vr",
        "za",
        "zo",
    }
)

RELATIVE_DAYS: Final[dict[str, int]] = {
    "eergisteren": -2,
    "gisteren": -1,
    "vandaag": 0,
    "morgen": 1,
    "overmorgen": 2,
}

# ASCII digits only: str.isdigit/\d would also accept digits from other scripts.
_ISO = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})")
_NUMERIC = re.compile(
    r"(?P<d>[0-9]{1,2})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?:(?P=sep)(?P<y>[0-9]{4}|[0-9]{2}))?"
)
_WRITTEN = re.compile(
    r"(?P<d>[0-9]{1,2})\s+(?P<month>[a-z]+)\.?(?:,?\s+(?P<y>[0-9]{4}|[0-9]{2}))?"
)
_WEEKDAY_PREFIX = re.compile(r"(?P<word>[a-z]+)\.?,?\s+(?P<rest>[0-9].*)")


def parse_date(text: str, today: date) -> date | DateRejected:
    """Read a Dutch-style date typed by a user; a rejection explains why it is not one.

    A weekday in front ("donderdag 3 december 2026") is accepted and not checked: the
    bot always echoes the date with its real weekday, so a mismatch shows there.
    """
    if len(text) > MAX_INPUT_LENGTH:
        return TOO_LONG
    cleaned = " ".join(text.lower().split()).rstrip(".").strip()
    if not cleaned:
        return EMPTY
    if cleaned in RELATIVE_DAYS:
        try:
            return today + timedelta(days=RELATIVE_DAYS[cleaned])
        except OverflowError:
            return IMPOSSIBLE
    prefixed = _WEEKDAY_PREFIX.fullmatch(cleaned)
    if prefixed and prefixed["word"] in WEEKDAYS:
        cleaned = prefixed["rest"]
    return _parse_absolute(cleaned, today)


def _parse_absolute(cleaned: str, today: date) -> date | DateRejected:
    if match := _ISO.fullmatch(cleaned):
        return _build(int(match["y"]), int(match["m"]), int(match["d"]))
    if match := _NUMERIC.fullmatch(cleaned):
        month = int(match["m"])
    elif (match := _WRITTEN.fullmatch(cleaned)) and match["month"] in MONTHS:
        month = MONTHS[match["month"]]
    else:
        return UNREADABLE
    day = int(match["d"])
    year_text = match["y"]
    if year_text is None:
        return _nearest(day, month, today)
    # Two-digit years are this century: nobody files a subsidy for 1926.
    year = 2000 + int(year_text) if len(year_text) == 2 else int(year_text)
    return _build(year, month, day)


def _build(year: int, month: int, day: int) -> date | DateRejected:
    try:
        return date(year, month, day)
    except ValueError:
        return IMPOSSIBLE


def _nearest(day: int, month: int, today: date) -> date | DateRejected:
    """The existing date with this day and month closest to today (ties: the earlier)."""
    candidates = [
        found
        for year in (today.year - 1, today.year, today.year + 1)
        if isinstance(found := _build(year, month, day), date)
    ]
    if not candidates:
        return IMPOSSIBLE
    return min(candidates, key=lambda found: (abs((found - today).days), found))


def local_today(now: datetime, tz: ZoneInfo = BRUSSELS) -> date:
    """The calendar date in `tz` at the aware moment `now`."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("local_today needs an aware datetime")
    return now.astimezone(tz).date()


def format_date_nl(d: date) -> str:
    """E.g. "maandag 14 december 2026"."""
    return format_date(d, "EEEE d MMMM y", locale=LOCALE).lower()


def format_number_nl(n: int) -> str:
    """E.g. "1.250" (dot as thousands separator)."""
    return format_decimal(n, locale=LOCALE)
