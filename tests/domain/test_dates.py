"""Tests for reading and showing dates."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.dates import (
    BRUSSELS,
    MAX_DATE,
    MIN_DATE,
    DateRejected,
    format_date_nl,
    format_number_nl,
    local_today,
    parse_date,
)

TODAY = date(2026, 11, 28)
OUT_OF_RANGE = DateRejected("out_of_range")


def in_range_or_rejected(d: date) -> date | DateRejected:
    """What parsing a written `d` gives: `d` itself, or out_of_range outside 2000-2100."""
    return d if MIN_DATE <= d <= MAX_DATE else OUT_OF_RANGE


@pytest.mark.parametrize(
    "text",
    [
        "3/12/2026",
        "03/12/2026",
        "03-12-2026",
        "3.12.2026",
        "3/12/26",
        "2026-12-03",
        "3 december 2026",
        "3 December 2026",
        "3 dec 2026",
        "3 dec. 2026",
        "3 DEC 2026",
        "3 dec",
        "3 december",
        "3/12",
        "3-12",
        "3.12",
        "  3/12/2026  ",
        "3/12/2026.",
        "3 december 2026.",
        "donderdag 3 december 2026",
        "Donderdag 3 december",
        "do 3/12",
        "donderdag, 3/12/2026",
    ],
)
def test_accepts_common_spellings(text: str) -> None:
    assert parse_date(text, TODAY) == date(2026, 12, 3)


@pytest.mark.parametrize(
    ("name", "month"),
    [
        ("jan", 1),
        ("januari", 1),
        ("feb", 2),
        ("februari", 2),
        ("mrt", 3),
        ("maart", 3),
        ("apr", 4),
        ("april", 4),
        ("mei", 5),
        ("jun", 6),
        ("juni", 6),
        ("jul", 7),
        ("juli", 7),
        ("aug", 8),
        ("augustus", 8),
        ("sep", 9),
        ("sept", 9),
        ("september", 9),
        ("okt", 10),
        ("oktober", 10),
        ("nov", 11),
        ("november", 11),
        ("dec", 12),
        ("december", 12),
    ],
)
def test_month_names(name: str, month: int) -> None:
    assert parse_date(f"1 {name} 2027", TODAY) == date(2027, month, 1)
    assert parse_date(f"1 {name.upper()} 2027", TODAY) == date(2027, month, 1)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("vandaag", date(2026, 11, 28)),
        ("gisteren", date(2026, 11, 27)),
        ("eergisteren", date(2026, 11, 26)),
        ("morgen", date(2026, 11, 29)),
        ("overmorgen", date(2026, 11, 30)),
        ("Vandaag", date(2026, 11, 28)),
        (" GISTEREN. ", date(2026, 11, 27)),
    ],
)
def test_relative_words(word: str, expected: date) -> None:
    assert parse_date(word, TODAY) == expected


def test_relative_words_cross_month_and_year() -> None:
    assert parse_date("morgen", date(2026, 12, 31)) == date(2027, 1, 1)
    assert parse_date("eergisteren", date(2028, 3, 1)) == date(2028, 2, 28)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5/1", date(2027, 1, 5)),  # early next year is closer than last January
        ("20/11", date(2026, 11, 20)),
        ("28/11", date(2026, 11, 28)),
        ("1 jun", date(2026, 6, 1)),
        ("31 mei", date(2026, 5, 31)),
        ("1 juni", date(2026, 6, 1)),
    ],
)
def test_missing_year_picks_the_closest(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


def test_missing_year_in_january_looks_back_to_december() -> None:
    assert parse_date("30/12", date(2027, 1, 3)) == date(2026, 12, 30)


def test_missing_year_leap_day() -> None:
    assert parse_date("29/2", TODAY) == DateRejected("impossible")
    assert parse_date("29/2", date(2027, 12, 1)) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (".", "empty"),
        ("x" * 101, "too_long"),
        ("3/12/2026" + " " * 100, "too_long"),
        ("hallo", "unreadable"),
        ("3 foo 2026", "unreadable"),
        ("3/12-2026", "unreadable"),
        ("3/12/202", "unreadable"),
        ("12/2026", "unreadable"),
        ("morgenochtend", "unreadable"),
        ("٣/١٢/٢٠٢٦", "unreadable"),  # digits from another script are not accepted
        ("31/02/2027", "impossible"),
        ("29/02/2027", "impossible"),
        ("32/1/2026", "impossible"),
        ("3/13/2026", "impossible"),
        ("0/1/2026", "impossible"),
        ("2026-02-30", "impossible"),
        ("0000-01-01", "impossible"),
        ("31 april", "impossible"),
    ],
)
def test_rejections(text: str, reason: str) -> None:
    assert parse_date(text, TODAY) == DateRejected(reason)


def test_leap_day_with_year() -> None:
    assert parse_date("29/02/2028", TODAY) == date(2028, 2, 29)


def test_edges_of_the_calendar_do_not_raise() -> None:
    # Before MIN_DATE/MAX_DATE existed these were "impossible", "impossible", date(1, 1, 1)
    # and date.max; now every one of them is outside the range.
    assert parse_date("morgen", date.max) == OUT_OF_RANGE
    assert parse_date("gisteren", date.min) == OUT_OF_RANGE
    assert parse_date("1/1", date.min) == OUT_OF_RANGE
    assert parse_date("31/12", date.max) == OUT_OF_RANGE


def test_edges_of_the_range() -> None:
    assert parse_date("1/1", MIN_DATE) == MIN_DATE
    assert parse_date("31/12", MAX_DATE) == MAX_DATE
    assert parse_date("vandaag", MIN_DATE) == MIN_DATE
    assert parse_date("gisteren", MIN_DATE) == OUT_OF_RANGE
    assert parse_date("morgen", MAX_DATE) == OUT_OF_RANGE
    assert parse_date("morgen", MIN_DATE - timedelta(days=1)) == MIN_DATE
    assert parse_date("31/12/9999", TODAY) == OUT_OF_RANGE
    assert parse_date("1/1/1999", TODAY) == OUT_OF_RANGE
    assert parse_date("0001-01-01", TODAY) == OUT_OF_RANGE
    assert parse_date("1/1/2101", TODAY) == OUT_OF_RANGE
    assert parse_date("31/12/1999", TODAY) == OUT_OF_RANGE
    assert parse_date("1/1/2000", TODAY) == MIN_DATE
    assert parse_date("31/12/2100", TODAY) == MAX_DATE
    assert parse_date("30/12", date(2000, 1, 3)) == OUT_OF_RANGE  # the nearest is in 1999
    assert parse_date("3/1", date(2100, 12, 30)) == OUT_OF_RANGE  # the nearest is in 2101


@given(st.text())
def test_parse_date_never_raises(text: str) -> None:
    result = parse_date(text, TODAY)
    assert isinstance(result, date | DateRejected)
    if isinstance(result, DateRejected):
        assert result.reason in {"empty", "unreadable", "impossible", "too_long", "out_of_range"}
    else:
        assert MIN_DATE <= result <= MAX_DATE


@given(st.text(), st.dates())
def test_parse_date_never_raises_on_any_day(text: str, today: date) -> None:
    assert isinstance(parse_date(text, today), date | DateRejected)


@given(st.dates(min_value=date(1000, 1, 1)), st.dates())
def test_formatted_dates_round_trip(d: date, today: date) -> None:
    assert parse_date(d.strftime("%d/%m/%Y"), today) == in_range_or_rejected(d)
    assert parse_date(d.isoformat(), today) == in_range_or_rejected(d)
    assert parse_date(f"{d.day}-{d.month}-{d.year}", today) == in_range_or_rejected(d)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_two_digit_years_are_this_century(d: date) -> None:
    assert parse_date(d.strftime("%d.%m.%y"), TODAY) == d


@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)))
def test_day_and_month_alone_stay_within_half_a_year(today: date) -> None:
    for offset in (-182, -30, -1, 0, 1, 30, 182):
        target = today + timedelta(days=offset)
        assert parse_date(f"{target.day}/{target.month}", today) == in_range_or_rejected(target)


def test_local_today_uses_brussels_time() -> None:
    late_evening_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert local_today(late_evening_utc) == date(2027, 1, 1)
    summer = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 00:30 CEST
    assert local_today(summer) == date(2026, 7, 2)
    assert local_today(datetime(2026, 7, 1, 21, 59, tzinfo=UTC)) == date(2026, 7, 1)


def test_local_today_other_zone_and_offsets() -> None:
    moment = datetime(2026, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=5)))
    assert local_today(moment, BRUSSELS) == date(2026, 2, 28)
    assert local_today(moment, ZoneInfo("UTC")) == date(2026, 2, 28)


def test_local_today_rejects_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_today(datetime(2026, 1, 1, 12, 0))


def test_format_date_nl() -> None:
    assert format_date_nl(date(2026, 12, 14)) == "maandag 14 december 2026"
    assert format_date_nl(date(2026, 2, 1)) == "zondag 1 februari 2026"
    assert format_date_nl(date(2027, 3, 4)) == "donderdag 4 maart 2027"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_format_date_nl_parses_back(d: date) -> None:
    assert parse_date(format_date_nl(d), TODAY) == in_range_or_rejected(d)


def test_format_number_nl() -> None:
    assert format_number_nl(1250) == "1.250"
    assert format_number_nl(7) == "7"
    assert format_number_nl(1234567) == "1.234.567"
