"""Reading dates the way Flemish users type them, and showing them the Dutch way.

`parse_date` never raises: whatever a user sends, the answer is a date between `MIN_DATE`
and `MAX_DATE` or a reason to ask again. Years may be left out; the year then puts the date
closest to "today".

The reading is python-dateutil's, taught Dutch month and weekday names (`DutchParserInfo`).
dateutil is generous by design: it fills what is missing from a default, reads times of
day, and swaps day and month when the day-first reading does not fit ("3/13/2026" becomes
13 March, "2026-12-03" with `dayfirst` becomes 12 March). A bot that echoes a wrong date is
worse than one that asks again, so this module keeps what dateutil cannot know:

- the shapes users write (`_ISO`, `_NUMERIC`, `_WRITTEN`, an optional weekday in front);
  anything else is "unreadable" before dateutil sees it, so no time, no lone month or year;
- a check that dateutil read day, month and year from where the user typed them;
- the relative words ("morgen"), two-digit years (this century), the missing-year rule
  and the range `MIN_DATE`..`MAX_DATE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from dateutil import parser as dateutil_parser

BRUSSELS: Final = ZoneInfo("Europe/Brussels")
LOCALE: Final = "nl_BE"
MAX_INPUT_LENGTH: Final = 100
# Anything outside these is a typo ("31/12/9999", "1/1/1999"), not a subsidy date.
MIN_DATE: Final = date(2000, 1, 1)
MAX_DATE: Final = date(2100, 12, 31)


@dataclass(frozen=True)
class DateRejected:
    """Why a text is not a date: "empty", "unreadable", "impossible", "too_long" or
    "out_of_range" (a real date, but before `MIN_DATE` or after `MAX_DATE`)."""

    reason: str


EMPTY: Final = DateRejected("empty")
UNREADABLE: Final = DateRejected("unreadable")
IMPOSSIBLE: Final = DateRejected("impossible")
TOO_LONG: Final = DateRejected("too_long")
OUT_OF_RANGE: Final = DateRejected("out_of_range")
REASONS: Final = frozenset(
    rejected.reason for rejected in (EMPTY, UNREADABLE, IMPOSSIBLE, TOO_LONG, OUT_OF_RANGE)
)


class DutchParserInfo(dateutil_parser.parserinfo):
    """dateutil's vocabulary in Dutch: every spelling users write (data, not prose).

    Times of day, am/pm and time zones are left out on purpose: a date is all we ask for.
    """

    JUMP: Final = (" ", ".", ",", "-", "/")
    WEEKDAYS: Final = (
        ("ma", "maandag"),
        ("di", "dinsdag"),
        ("wo", "woensdag"),
        ("do", "donderdag"),
        ("vr", "vrijdag"),
        ("za", "zaterdag"),
        ("zo", "zondag"),
    )
    MONTHS: Final = (
        ("jan", "januari"),
        ("feb", "febr", "februari"),
        ("mrt", "maa", "maart"),
        ("apr", "april"),
        ("mei",),
        ("jun", "juni"),
        ("jul", "juli"),
        ("aug", "augustus"),
        ("sep", "sept", "september"),
        ("okt", "oktober"),
        ("nov", "november"),
        ("dec", "december"),
    )
    HMS: Final = ()
    AMPM: Final = ()
    UTCZONE: Final = ()
    PERTAIN: Final = ()

    def convertyear(self, year: int, century_specified: bool = False) -> int:
        """Two-digit years are this century: nobody files a subsidy for 1926.

        (dateutil's own rule depends on the machine's clock: within 50 years of "now".)
        """
        return 2000 + year if year < 100 and not century_specified else year


_INFO: Final = DutchParserInfo(dayfirst=True)
_PARSER: Final = dateutil_parser.parser(_INFO)
# Fills only what the shape lets the user leave out: the year. 2000 is a leap year, so a
# year-less "29/2" reads; `_nearest` then picks the year.
_DEFAULT: Final = datetime(2000, 1, 1, tzinfo=UTC)

RELATIVE_DAYS: Final[dict[str, int]] = {
    "eergisteren": -2,
    "gisteren": -1,
    "vandaag": 0,
    "morgen": 1,
    "overmorgen": 2,
}

# The shapes accepted, on lowercased text with single spaces. ASCII digits only:
# str.isdigit/\d (and dateutil) would also accept digits from other scripts.
_WEEKDAY_PREFIX = re.compile(r"(?P<word>[a-z]+)\.?,?\s+(?P<rest>[0-9].*)")
_ISO = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})")
_NUMERIC = re.compile(
    r"(?P<d>[0-9]{1,2})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?:(?P=sep)(?P<y>[0-9]{4}|[0-9]{2}))?"
)
_WRITTEN = re.compile(
    r"(?P<d>[0-9]{1,2})\s+(?P<month>[a-z]+)\.?(?:,?\s+(?P<y>[0-9]{4}|[0-9]{2}))?"
)


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
            found: date | DateRejected = today + timedelta(days=RELATIVE_DAYS[cleaned])
        except OverflowError:  # before date.min or after date.max: far outside the range
            return OUT_OF_RANGE
    else:
        prefixed = _WEEKDAY_PREFIX.fullmatch(cleaned)
        if prefixed and _INFO.weekday(prefixed["word"]) is not None:
            cleaned = prefixed["rest"]
        found = _parse_absolute(cleaned, today)
    if isinstance(found, date) and not MIN_DATE <= found <= MAX_DATE:
        return OUT_OF_RANGE
    return found


def _parse_absolute(cleaned: str, today: date) -> date | DateRejected:
    """A date in one of the accepted shapes (no weekday in front), read by dateutil."""
    typed = _typed(cleaned)
    if typed is None:
        return UNREADABLE
    try:
        # With dayfirst, dateutil reads year-first dates as year-day-month.
        read = _PARSER.parse(
            typed.text, default=_DEFAULT, dayfirst=not typed.year_first, yearfirst=typed.year_first
        ).date()
    except (ValueError, OverflowError):  # the shape is fine, so the calendar said no
        return IMPOSSIBLE
    # dateutil swaps fields to make an impossible date fit: "3/13/2026" as 13 March,
    # "32/12/26" as 26 December 2032. What the user typed where is what counts.
    read_year = None if typed.year is None else read.year  # None: filled from _DEFAULT
    if (read.day, read.month, read_year) != (typed.day, typed.month, typed.year):
        return IMPOSSIBLE
    if typed.year is None:
        return _nearest(read.day, read.month, today)
    return read


@dataclass(frozen=True)
class _Typed:
    """The fields as the shape says the user typed them, and the text for dateutil."""

    day: int
    month: int
    year: int | None
    text: str
    year_first: bool


def _typed(cleaned: str) -> _Typed | None:
    """The fields of `cleaned` if it has one of the accepted shapes; None otherwise."""
    text = cleaned
    if match := _ISO.fullmatch(cleaned):
        month: int | None = int(match["m"])
    elif match := _NUMERIC.fullmatch(cleaned):
        month = int(match["m"])
        if match["sep"] == "." and match["y"] is None:
            text = f"{match['d']}/{match['m']}"  # dateutil would read "3.12" as a number
    elif match := _WRITTEN.fullmatch(cleaned):
        month = _INFO.month(match["month"])
    else:
        return None
    if month is None:
        return None
    year_text = match["y"]
    year = (
        None
        if year_text is None
        else _INFO.convertyear(int(year_text), century_specified=len(year_text) == 4)
    )
    return _Typed(int(match["d"]), month, year, text, year_first=match.re is _ISO)


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
