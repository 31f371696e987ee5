"""Property tests for `parse_amount`: any text is an amount in range or a known rejection."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.money import MAX_AMOUNT, REASONS, AmountRejected, format_euro, parse_amount
from bot.texts import render

KNOWN_REASONS = {"empty", "unreadable", "negative", "too_large"}

# Text shaped like what users type: digits, groups, signs, currency, and some noise.
pieces = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str),
    st.sampled_from(["0", "00", "1", "12", "123", "999", "1000", "9999999", "10000000"]),
    st.sampled_from([".", ",", " ", "-", "+", "−", ",-", ".--", "€", "eur", "EURO", "euros"]),
    st.sampled_from(["e", "E", "e309", "nan", "NaN", "inf", "Infinity", "_", "'", "x"]),
    st.sampled_from(["\u00a0", "\u202f", "\u2009", "\t", "\n", "٣", "１", "²", "\u2212"]),
)
amount_like = st.lists(pieces, max_size=10).map("".join)


def assert_amount_or_known_rejection(result: Decimal | AmountRejected) -> None:
    if isinstance(result, AmountRejected):
        assert result.reason in KNOWN_REASONS
        return
    assert isinstance(result, Decimal)
    assert result.is_finite()
    assert not result.is_signed()  # no Decimal("-0.00"): it would show as "€ -0,00"
    assert Decimal(0) <= result <= MAX_AMOUNT
    assert result.as_tuple().exponent == -2  # cents, never more decimals


@given(st.text())
def test_any_text(text: str) -> None:
    assert_amount_or_known_rejection(parse_amount(text))


@given(amount_like)
def test_amount_like_text(text: str) -> None:
    assert_amount_or_known_rejection(parse_amount(text))


@given(st.integers(min_value=0, max_value=10**12))
def test_every_number_of_cents_reads_back_or_is_too_large(cents: int) -> None:
    amount = Decimal(cents) / 100
    expected = amount if amount <= MAX_AMOUNT else AmountRejected("too_large")
    assert parse_amount(format_euro(amount)) == expected
    plain = f"{amount:.2f}".replace(".", ",")
    assert parse_amount(plain) == expected
    assert parse_amount(f"{plain} euro") == expected


@given(st.integers(min_value=1, max_value=10**12))
def test_negative_amounts_are_negative(cents: int) -> None:
    amount = Decimal(cents) / 100
    for sign in ("-", "−"):
        assert parse_amount(f"{sign}{amount:.2f}".replace(".", ",")) == AmountRejected("negative")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e309", "unreadable"),
        ("1E5", "unreadable"),
        ("1.2e3", "unreadable"),
        ("9" * 200, "unreadable"),  # longer than any amount: not read at all
        ("9" * 100, "too_large"),
        ("9" * 30, "too_large"),
        ("NaN", "unreadable"),
        ("nan", "unreadable"),
        ("sNaN", "unreadable"),
        ("Infinity", "unreadable"),
        ("-Infinity", "unreadable"),
        ("inf", "unreadable"),
        ("∞", "unreadable"),
        ("0x10", "unreadable"),
        ("1_000", "unreadable"),
        ("1'000", "unreadable"),
        ("١٢٣", "unreadable"),  # digits from another script
        ("１２３", "unreadable"),  # full-width digits
        ("1²", "unreadable"),
        ("1.000.000.000.000.000.000.000,00", "too_large"),
        ("1,000,000,000,000,000,000,000.00", "too_large"),
        ("1 000 000 000 000 000 000 000", "too_large"),
        ("10.000.000,01", "too_large"),
        ("999.999.999.999", "too_large"),
        ("1.000.000.000.000.000.000.0000", "unreadable"),
        ("10000000,001", "unreadable"),
        ("--5", "unreadable"),
        ("+-5", "unreadable"),
        ("-€-5", "unreadable"),
        ("−99999999999", "negative"),
    ],
)
def test_absurd_input_is_rejected_with_a_reason(text: str, reason: str) -> None:
    assert parse_amount(text) == AmountRejected(reason)


@pytest.mark.parametrize("text", ["−0", "-0", "+0", "- 0", "€ −0,00", "0,00"])
def test_minus_zero_is_zero(text: str) -> None:
    # Like "-0" (pinned in test_money.py): zero, not negative, and without a sign.
    result = parse_amount(text)
    assert result == Decimal(0)
    assert isinstance(result, Decimal)
    assert not result.is_signed()
    assert format_euro(result) == "€ 0,00"


def test_the_largest_amount() -> None:
    assert parse_amount("10.000.000,00") == MAX_AMOUNT
    assert parse_amount("€ 10 000 000") == MAX_AMOUNT
    assert parse_amount("10000000.01") == AmountRejected("too_large")


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("empty", "Dat bedrag begrijp ik niet."),
        ("unreadable", "Dat bedrag begrijp ik niet."),
        ("negative", "Een bedrag kan niet negatief zijn."),
        ("too_large", "Dat bedrag is te groot."),
        ("not_text", "Ik verwacht hier een bedrag, als tekst."),  # set by the conversations
    ],
)
def test_every_reason_has_a_sentence(reason: str, sentence: str) -> None:
    assert REASONS == KNOWN_REASONS  # a new reason needs its own row here
    assert render("calculator/amount_invalid", reason=reason).startswith(sentence)
