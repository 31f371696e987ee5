"""Property tests for `parse_enterprise_number`: any text is a number or a known rejection."""

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.enterprise import (
    NumberRejected,
    format_enterprise_number,
    parse_enterprise_number,
)

KNOWN_REASONS = {"form", "checksum"}

pieces = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.sampled_from(["0", "1", "0123", "456", "749", "0403170701", "123456749"]),
    st.sampled_from(["BE", "be", "(0)", " ", ".", "-", "/", "\t", "\n", "NL", "B01"]),
    st.sampled_from(["١", "１", "²", "\u2013", "\u00a0", "ß", "ﬀ", "\x00"]),
)
number_like = st.lists(pieces, max_size=8).map("".join)
# The first eight digits of a ten-digit number (first digit 0 or 1); the last two are
# 97 - (base mod 97): the rule stdnum checks.
bases = st.integers(min_value=0, max_value=19_999_999)


def valid_number(base: int) -> str:
    return f"{base:08d}{97 - base % 97:02d}"


def assert_number_or_known_rejection(result: str | NumberRejected) -> None:
    if isinstance(result, NumberRejected):
        assert result.reason in KNOWN_REASONS
    else:
        assert isinstance(result, str)
        assert len(result) == 10
        assert all(char in "0123456789" for char in result)
        assert result[0] in "01"


@given(st.text())
def test_any_text(text: str) -> None:
    assert_number_or_known_rejection(parse_enterprise_number(text))


@given(number_like)
def test_number_like_text(text: str) -> None:
    assert_number_or_known_rejection(parse_enterprise_number(text))


@given(bases)
def test_valid_numbers_in_every_usual_form(base: int) -> None:
    number = valid_number(base)
    shown = format_enterprise_number(number)
    assert shown == f"{number[:4]}.{number[4:7]}.{number[7:]}"
    for text in (number, shown, f"BE{number}", f"BE {shown}", f" {number[:4]} {number[4:]} "):
        assert parse_enterprise_number(text) == number, text
    if number.startswith("0"):
        assert parse_enterprise_number(number[1:]) == number  # the old nine-digit form


@given(bases, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_one_wrong_digit_is_caught(base: int, position: int, change: int) -> None:
    digits = list(valid_number(base))
    digits[position] = str((int(digits[position]) + change) % 10)
    typo = "".join(digits)
    expected = "form" if typo[0] not in "01" else "checksum"
    assert parse_enterprise_number(typo) == NumberRejected(expected)


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_wrong_lengths_are_form(digits: str) -> None:
    if len(digits) not in (9, 10):
        assert parse_enterprise_number(digits) == NumberRejected("form")
