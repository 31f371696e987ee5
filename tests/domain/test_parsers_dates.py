"""Property tests for `parse_date`: any text is a date in range or a known rejection.

Also pins what the dateutil-based reading must not take over from dateutil: filling in a
missing day or month, reading times of day, swapping day and month, fuzzy reading, two-digit
years relative to the machine's clock.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.dates import (
    MAX_DATE,
    MIN_DATE,
    REASONS,
    RELATIVE_DAYS,
    DateRejected,
    DutchParserInfo,
    parse_date,
)
from bot.texts import render

KNOWN_REASONS = {"empty", "unreadable", "impossible", "too_long", "out_of_range"}
TODAY = date(2026, 11, 28)

MONTH_NAMES = [name for names in DutchParserInfo.MONTHS for name in names]
WEEKDAY_NAMES = [name for names in DutchParserInfo.WEEKDAYS for name in names]
SPELLINGS = dict(enumerate(DutchParserInfo.MONTHS, start=1))  # month -> its spellings

in_range = st.dates(min_value=MIN_DATE, max_value=MAX_DATE)
any_day = st.one_of(
    in_range,
    st.dates(),
    st.sampled_from([date.min, date.max, MIN_DATE, MAX_DATE]),
)
# Text shaped like what users type: numbers, separators, Dutch words, and some noise.
pieces = st.one_of(
    st.integers(min_value=0, max_value=100_000).map(str),
    st.sampled_from(["0", "00", "01", "12", "13", "29", "31", "32", "2000", "2100", "9999"]),
    st.sampled_from(MONTH_NAMES + WEEKDAY_NAMES + list(RELATIVE_DAYS)),
    st.sampled_from(MONTH_NAMES + WEEKDAY_NAMES).map(str.upper),
    st.sampled_from(["/", "-", ".", " ", ",", ", ", ". ", ":", "\t", "T", "u", "h", "am", "Z"]),
    st.sampled_from(["٣", "²", "１", "\u00a0", "\u212a"]),  # other digits, spaces, Kelvin "K"
)
date_like = st.lists(pieces, max_size=8).map("".join)


def assert_date_or_known_rejection(result: date | DateRejected) -> None:
    if isinstance(result, DateRejected):
        assert result.reason in KNOWN_REASONS
    else:
        assert isinstance(result, date)
        assert MIN_DATE <= result <= MAX_DATE


def test_the_reasons_are_the_known_ones() -> None:
    assert REASONS == KNOWN_REASONS


@given(st.text(), any_day)
def test_any_text_on_any_day(text: str, today: date) -> None:
    assert_date_or_known_rejection(parse_date(text, today))


@given(date_like, any_day)
def test_date_like_text_on_any_day(text: str, today: date) -> None:
    assert_date_or_known_rejection(parse_date(text, today))


@given(date_like, in_range)
def test_a_time_of_day_is_never_part_of_a_date(text: str, today: date) -> None:
    if ":" in text:
        assert isinstance(parse_date(text, today), DateRejected)


@given(st.text(), in_range)
def test_only_ascii_digits(text: str, today: date) -> None:
    if any(char.isdigit() and char not in "0123456789" for char in text):
        assert isinstance(parse_date(text, today), DateRejected)


@given(in_range, in_range, st.data())
def test_formatted_dates_read_back(d: date, today: date, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(SPELLINGS[d.month]))
    for text in (
        d.strftime("%d/%m/%Y"),
        f"{d.day}-{d.month}-{d.year}",
        f"{d.day}.{d.month}.{d.year}",
        f"{d.day} {name} {d.year}",
        f"{d.day} {name.capitalize()}. {d.year}",
        d.isoformat(),
    ):
        assert parse_date(text, today) == d, text
    if d.year < 2100:  # two-digit years are 2000-2099
        assert parse_date(d.strftime("%d.%m.%y"), today) == d


@given(in_range)
def test_relative_words_on_any_day_in_range(today: date) -> None:
    for word, offset in RELATIVE_DAYS.items():
        expected = today + timedelta(days=offset)
        result = parse_date(word, today)
        if MIN_DATE <= expected <= MAX_DATE:
            assert result == expected
        else:
            assert result == DateRejected("out_of_range")


@given(in_range, st.integers(min_value=-182, max_value=182))
def test_year_left_out_on_any_day_in_range(today: date, offset: int) -> None:
    target = today + timedelta(days=offset)
    expected = target if MIN_DATE <= target <= MAX_DATE else DateRejected("out_of_range")
    assert parse_date(f"{target.day}/{target.month}", today) == expected
    assert parse_date(f"{target.day} {SPELLINGS[target.month][-1]}", today) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # Missing day or month: dateutil would fill it in from its default.
        ("2026", "unreadable"),
        ("12", "unreadable"),
        ("december", "unreadable"),
        ("december 2026", "unreadable"),
        ("donderdag", "unreadable"),
        ("do 2026", "unreadable"),
        # Times of day: dateutil reads them, a date here has none.
        ("10:30", "unreadable"),
        ("3/12/2026 10:30", "unreadable"),
        ("3/12/2026 10", "unreadable"),
        ("3 december 2026 10u", "unreadable"),
        ("2026-12-03T10:30", "unreadable"),
        ("2026-12-03 10:30:00Z", "unreadable"),
        ("3/12 12am", "unreadable"),
        # Shapes dateutil reads but users here do not write (or mean something else by).
        ("3 12 2026", "unreadable"),
        ("december 3", "unreadable"),
        ("dec 3, 2026", "unreadable"),
        ("3-dec-2026", "unreadable"),
        ("20261203", "unreadable"),
        ("031226", "unreadable"),
        ("3rd december", "unreadable"),
        ("3 of december", "unreadable"),
        ("1/1/10000", "unreadable"),
        # No fuzzy reading of dates inside sentences.
        ("ik begin op 3 december", "unreadable"),
        ("3 december graag", "unreadable"),
        # dateutil swaps day and month (or reads the day as a year) to make these fit.
        ("3/13/2026", "impossible"),
        ("12/31/2026", "impossible"),
        ("3/13", "impossible"),
        ("32/12/26", "impossible"),
        ("32 dec 26", "impossible"),
        ("45/3", "impossible"),
        ("2026-13-12", "impossible"),
        ("1/1/0000", "impossible"),
        # Real dates, outside the range.
        ("31/12/9999", "out_of_range"),
        ("9999-12-31", "out_of_range"),
        ("1/1/1999", "out_of_range"),
        ("31 december 1999", "out_of_range"),
        ("1/1/2101", "out_of_range"),
        ("0026-01-01", "out_of_range"),
    ],
)
def test_what_dateutil_alone_would_read_differently(text: str, reason: str) -> None:
    assert parse_date(text, TODAY) == DateRejected(reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # With dayfirst, dateutil itself reads year-first dates as year-day-month.
        ("2026-03-12", date(2026, 3, 12)),
        ("2026-12-03", date(2026, 12, 3)),
        ("2026/3/1", date(2026, 3, 1)),
        ("2026.01.02", date(2026, 1, 2)),
        # dateutil's lexer reads "3.12" as a decimal number.
        ("3.12", date(2026, 12, 3)),
        ("do. 3.12", date(2026, 12, 3)),
        # Two-digit years are 20xx whatever the machine's clock (dateutil: within 50 years).
        ("1/1/80", date(2080, 1, 1)),
        ("31.12.99", date(2099, 12, 31)),
        ("1 jan 00", date(2000, 1, 1)),
        ("3 december, 26", date(2026, 12, 3)),
        ("3 febr 2027", date(2027, 2, 3)),
        ("3 maa 2027", date(2027, 3, 3)),
        ("zo 29 feb 2032", date(2032, 2, 29)),
        ("vr, 3/12/2026", date(2026, 12, 3)),
    ],
)
def test_reads(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("empty", "Die datum begrijp ik niet."),
        ("unreadable", "Die datum begrijp ik niet."),
        ("impossible", "Die datum bestaat niet."),
        ("too_long", "Dat bericht is te lang voor een datum."),
        ("out_of_range", "Die datum ligt te ver in het verleden of de toekomst."),
        ("not_text", "Ik verwacht hier een datum, als tekst."),  # set by the conversations
    ],
)
def test_every_reason_has_a_sentence(reason: str, sentence: str) -> None:
    assert REASONS == KNOWN_REASONS  # a new reason needs its own row here
    text = render("application/date_invalid", reason=reason, today=TODAY)
    assert text.startswith(sentence)
    assert "28/11/2026" in text  # and the example that follows every sentence
