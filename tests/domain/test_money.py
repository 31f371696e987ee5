"""Tests for reading and showing euro amounts."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.money import AmountRejected, format_euro, format_percent, parse_amount

CENTS = st.integers(min_value=0, max_value=10**9).map(lambda cents: Decimal(cents) / 100)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("€1234", "1234"),
        ("€ 1.234", "1234"),
        ("1234.5", "1234.50"),
        ("1234", "1234"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("EUR 1234", "1234"),
        ("eur1234", "1234"),
        ("1234 euro", "1234"),
        ("1234 EURO", "1234"),
        ("1234 €", "1234"),
        ("1.234.567,8", "1234567.80"),
        ("1.234", "1234"),
        ("1,234", "1234"),
        ("1,234.56", "1234.56"),
        ("12,345", "12345"),
        ("1,5", "1.50"),
        ("1,50", "1.50"),
        ("0,5", "0.50"),
        ("1.23", "1.23"),
        ("€ 1.234,-", "1234"),
        ("1 234 567", "1234567"),
        ("+5", "5"),
        ("-0", "0"),
        ("0", "0"),
        ("  € 2.000,00  ", "2000"),
        ("10000000", "10000000"),
    ],
)
def test_accepts(text: str, expected: str) -> None:
    result = parse_amount(text)
    assert result == Decimal(expected)
    assert isinstance(result, Decimal)
    assert result.as_tuple().exponent == -2  # always quantized to cents


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "unreadable"),
        ("€", "unreadable"),
        ("1.234.56", "unreadable"),
        ("1,234,56", "unreadable"),
        ("1.2.3", "unreadable"),
        ("12 34", "unreadable"),
        ("1234.567", "unreadable"),  # three decimals: rejected, not rounded
        ("1,2345", "unreadable"),
        ("0,500", "unreadable"),
        ("1e5", "unreadable"),
        ("NaN", "unreadable"),
        ("Infinity", "unreadable"),
        ("1" * 101, "unreadable"),
        ("-5", "negative"),
        ("€ -5,00", "negative"),
        ("-€ 5,00", "negative"),
        ("−5", "negative"),
        ("10000000,01", "too_large"),
        ("99.999.999", "too_large"),
    ],
)
def test_rejects(text: str, reason: str) -> None:
    assert parse_amount(text) == AmountRejected(reason)


@given(st.text())
def test_parse_amount_never_raises(text: str) -> None:
    result = parse_amount(text)
    assert isinstance(result, Decimal | AmountRejected)
    if isinstance(result, Decimal):
        assert Decimal(0) <= result <= Decimal(10_000_000)


@given(st.text(alphabet="0123456789.,€ -eurEUR", max_size=30))
def test_parse_amount_never_raises_on_number_like_text(text: str) -> None:
    assert isinstance(parse_amount(text), Decimal | AmountRejected)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("1234.56", "€ 1.234,56"),
        ("0", "€ 0,00"),
        ("5", "€ 5,00"),
        ("7500", "€ 7.500,00"),
        ("1234567.8", "€ 1.234.567,80"),
        ("0.005", "€ 0,01"),  # half up
        ("-5", "€ -5,00"),
        ("-1234.5", "€ -1.234,50"),
    ],
)
def test_format_euro(amount: str, text: str) -> None:
    assert format_euro(Decimal(amount)) == text


@given(CENTS.filter(lambda amount: amount <= 10_000_000))
def test_euro_round_trip(amount: Decimal) -> None:
    assert parse_amount(format_euro(amount)) == amount


def test_negative_formats_are_recognised_as_negative() -> None:
    assert parse_amount(format_euro(Decimal(-5))) == AmountRejected("negative")


@pytest.mark.parametrize(
    ("percent", "text"),
    [("30", "30 %"), ("22.5", "22,5 %"), ("22.50", "22,5 %"), ("100", "100 %"), ("0", "0 %")],
)
def test_format_percent(percent: str, text: str) -> None:
    assert format_percent(Decimal(percent)) == text
