"""The Belgian enterprise number: form and check digits (python-stdnum), stored compact."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.enterprise import (
    NumberRejected,
    format_enterprise_number,
    parse_enterprise_number,
)


@pytest.mark.parametrize(
    "text",
    [
        "0123.456.749",
        "0123456749",
        "BE0123456749",
        "be0123456749",
        "BE 0123 456 749",
        "BE 0123.456.749",
        "  0123-456-749 ",
        "123456749",  # the old nine-digit form gets its leading 0
    ],
)
def test_accepts_the_usual_ways_of_writing_it(text: str) -> None:
    assert parse_enterprise_number(text) == "0123456749"


def test_a_real_number_and_one_starting_with_1() -> None:
    assert parse_enterprise_number("BE 0403.170.701") == "0403170701"
    # Since 2023 new numbers may start with 1; 97 - (12345678 mod 97) = 94 here.
    assert parse_enterprise_number("1234.567.894") == "1234567894"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0123.456.789", "checksum"),  # one digit off
        ("0123.456.748", "checksum"),
        ("1123.456.749", "checksum"),
        ("12345", "form"),
        ("0123.456.7490", "form"),
        ("2123456749", "form"),  # must start with 0 or 1
        ("abc", "form"),
        ("", "form"),
        ("BE", "form"),
        ("0" * 100, "form"),
        ("NL123456789B01", "form"),
    ],
)
def test_rejects_with_the_reason(text: str, reason: str) -> None:
    assert parse_enterprise_number(text) == NumberRejected(reason)


@given(st.text(max_size=60))
def test_never_raises(text: str) -> None:
    result = parse_enterprise_number(text)
    assert isinstance(result, str | NumberRejected)
    if isinstance(result, str):
        assert len(result) == 10
        assert result.isdigit()


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("0123456749", "0123.456.749"),
        ("BE0123456749", "0123.456.749"),
        ("not a number", "not a number"),
    ],
)
def test_format(stored: str, shown: str) -> None:
    assert format_enterprise_number(stored) == shown


def test_format_then_parse_round_trip() -> None:
    assert parse_enterprise_number(format_enterprise_number("0403170701")) == "0403170701"
