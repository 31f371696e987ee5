"""Tests for deadline arithmetic and reminder moments."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.dates import BRUSSELS
from bot.domain.deadlines import (
    application_deadline,
    days_left,
    parse_clock_time,
    parse_days_before,
    payment_deadline,
    reminder_moment,
)
from bot.domain.rules import Rules, Scheme, load_rules

RULES: Rules = load_rules()
SCHEME: Scheme = RULES.scheme_for(date(2026, 2, 1))


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (date(2026, 3, 2), date(2026, 3, 16)),
        (date(2026, 1, 20), date(2026, 2, 3)),  # across a month end
        (date(2026, 12, 25), date(2027, 1, 8)),  # across a year end
        (date(2028, 2, 20), date(2028, 3, 5)),  # leap year
        (date(2027, 2, 20), date(2027, 3, 6)),  # common year
    ],
)
def test_application_deadline(start: date, deadline: date) -> None:
    assert application_deadline(start, SCHEME) == deadline


@pytest.mark.parametrize(
    ("confirmed", "deadline"),
    [
        (date(2026, 3, 2), date(2026, 4, 1)),
        (date(2026, 1, 31), date(2026, 3, 2)),
        (date(2028, 2, 1), date(2028, 3, 2)),
        (date(2027, 2, 1), date(2027, 3, 3)),
        (date(2026, 12, 15), date(2027, 1, 14)),
    ],
)
def test_payment_deadline(confirmed: date, deadline: date) -> None:
    assert payment_deadline(confirmed, SCHEME) == deadline


def test_deadlines_use_every_scheme_length() -> None:
    for scheme in RULES.schemes:
        start = scheme.valid_from
        assert (application_deadline(start, scheme) - start).days == scheme.application_days
        assert (payment_deadline(start, scheme) - start).days == scheme.payment_days


def test_days_left() -> None:
    deadline = date(2026, 2, 3)
    assert days_left(deadline, date(2026, 1, 20)) == 14
    assert days_left(deadline, date(2026, 2, 3)) == 0
    assert days_left(deadline, date(2026, 2, 4)) == -1
    assert days_left(date(2028, 3, 1), date(2028, 2, 28)) == 2


@pytest.mark.parametrize(
    ("deadline", "days_before", "expected_utc"),
    [
        # Autumn 2026: summer time ends on Sunday 25 October.
        (date(2026, 10, 24), 0, datetime(2026, 10, 24, 7, 0, tzinfo=UTC)),
        (date(2026, 10, 25), 0, datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        (date(2026, 10, 27), 3, datetime(2026, 10, 24, 7, 0, tzinfo=UTC)),
        (date(2026, 10, 27), 2, datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        (date(2026, 10, 28), 1, datetime(2026, 10, 27, 8, 0, tzinfo=UTC)),
        # Spring 2027: summer time starts on Sunday 28 March.
        (date(2027, 3, 27), 0, datetime(2027, 3, 27, 8, 0, tzinfo=UTC)),
        (date(2027, 3, 28), 0, datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),
        (date(2027, 3, 31), 4, datetime(2027, 3, 27, 8, 0, tzinfo=UTC)),
        (date(2027, 3, 31), 3, datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),
    ],
)
def test_reminder_moment_across_dst(
    deadline: date, days_before: int, expected_utc: datetime
) -> None:
    moment = reminder_moment(deadline, days_before, time(9, 0))
    assert moment == expected_utc
    assert moment.utcoffset() == timedelta(0)
    local = moment.astimezone(BRUSSELS)
    assert (local.date(), local.time()) == (deadline - timedelta(days=days_before), time(9, 0))


def test_reminder_moment_ignores_a_time_zone_on_the_clock_time() -> None:
    aware = time(9, 0, tzinfo=UTC)
    assert reminder_moment(date(2026, 7, 1), 0, aware) == datetime(2026, 7, 1, 7, tzinfo=UTC)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=30),
    st.times(min_value=time(4, 0)),  # skip 02:00-03:00, which spring DST removes
)
def test_reminder_moment_keeps_local_clock_time(deadline: date, before: int, at: time) -> None:
    moment = reminder_moment(deadline, before, at)
    assert moment.tzinfo is UTC
    local = moment.astimezone(BRUSSELS)
    assert local.date() == deadline - timedelta(days=before)
    assert local.time() == at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7,3,1,0", (7, 3, 1, 0)),
        ("0,1,3,7", (7, 3, 1, 0)),
        (" 7, 3 ,1 ", (7, 3, 1)),
        ("3,3,1", (3, 1)),
        ("0", (0,)),
        ("14", (14,)),
    ],
)
def test_parse_days_before(text: str, expected: tuple[int, ...]) -> None:
    assert parse_days_before(text) == expected


@pytest.mark.parametrize("text", ["", " ", "7,,1", "7;3", "-1", "a", "1.5", "7,3,", "400", "٣"])
def test_parse_days_before_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="days"):
        parse_days_before(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9, 0)),
        ("9:00", time(9, 0)),
        (" 18:30 ", time(18, 30)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_parse_clock_time(text: str, expected: time) -> None:
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize("text", ["", "9", "24:00", "12:60", "9h", "09:00:00", "ab:cd", "-1:00"])
def test_parse_clock_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_clock_time(text)
