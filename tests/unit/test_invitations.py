"""Invitation codes and links: random, URL-safe, within Telegram's start-parameter rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.invitations import invitation_link, is_code_shaped, new_code

TELEGRAM_START = re.compile(r"[A-Za-z0-9_-]{1,64}")


def test_codes_fit_telegram_and_carry_at_least_96_bits() -> None:
    codes = {new_code() for _ in range(1_000)}
    assert len(codes) == 1_000
    for code in codes:
        assert TELEGRAM_START.fullmatch(code)
        assert is_code_shaped(code)
        # base64url: 6 bits a character, so 16 characters hold 96 bits at the least.
        assert len(code) >= 16


def test_codes_use_the_whole_alphabet() -> None:
    seen = set("".join(new_code() for _ in range(500)))
    assert len(seen) == 64


@pytest.mark.parametrize(
    "text",
    [
        "",
        "short",
        "a" * 15,
        "a" * 65,
        "abcdefghijklmnop qrst",
        "abcdefghijklmnop+rst",
        "abcdefghijklmnop/rst",
        "abcdefghijklmnopé",
        "abcdefghijklmnop\n",
    ],
)
def test_other_texts_are_not_codes(text: str) -> None:
    assert not is_code_shaped(text)


def test_link_is_exactly_the_telegram_deep_link() -> None:
    code = "AbC-def_0123456789xyz"
    assert invitation_link("VIGC_kmo_bot", code) == f"https://t.me/VIGC_kmo_bot?start={code}"
    assert invitation_link("@VIGC_kmo_bot", code) == f"https://t.me/VIGC_kmo_bot?start={code}"


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("vigc bot", "AbC-def_0123456789xyz"),
        ("bot", "AbC-def_0123456789xyz"),
        ("vigc_bot/../x", "AbC-def_0123456789xyz"),
        ("vigc_bot", "not a code"),
        ("vigc_bot", "x" * 65),
    ],
)
def test_malformed_links_are_refused(username: str, code: str) -> None:
    with pytest.raises(ValueError, match="not") as raised:
        invitation_link(username, code)
    assert code not in str(raised.value)  # codes are secrets: never in a message


@given(st.text(max_size=80))
def test_shape_check_never_raises(text: str) -> None:
    assert is_code_shaped(text) == bool(re.fullmatch(r"[A-Za-z0-9_-]{16,64}", text))
