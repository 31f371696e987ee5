"""Euro amounts: read what users type, show them the Belgian way (€ 1.234,56).

Money is always `Decimal`, quantized to cents. `parse_amount` never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

CENT: Final = Decimal("0.01")
MAX_AMOUNT: Final = Decimal(10_000_000)
MAX_INPUT_LENGTH: Final = 100


@dataclass(frozen=True)
class AmountRejected:
    """Why a text is not an amount: "empty", "unreadable", "negative" or "too_large"."""

    reason: str


EMPTY: Final = AmountRejected("empty")
UNREADABLE: Final = AmountRejected("unreadable")
NEGATIVE: Final = AmountRejected("negative")
TOO_LARGE: Final = AmountRejected("too_large")
REASONS: Final = frozenset(
    rejected.reason for rejected in (EMPTY, UNREADABLE, NEGATIVE, TOO_LARGE)
)

_SPACES = "\u00a0\u202f\u2009"  # no-break, narrow no-break and thin space (copied amounts)
_CURRENCY = r"(?:€|eur|euro|euros)"
_SHAPE = re.compile(
    rf"(?P<sign1>[-+−])?\s*{_CURRENCY}?\s*(?P<sign2>[-+−])?\s*(?P<number>[0-9][0-9., ]*?)"
    rf"(?:[.,]-{{1,2}})?\s*{_CURRENCY}?"
)
# Thousands groups must be well formed (1-3 digits, then groups of exactly 3): this is
# what makes "1.234" one thousand two hundred and thirty-four, but "1.23" a decimal.
_NUMBER = re.compile(
    r"(?P<whole>[1-9][0-9]{0,2}(?:(?P<sep>[., ])[0-9]{3})(?:(?P=sep)[0-9]{3})*|[0-9]+)"
    r"(?:(?P<point>[.,])(?P<fraction>[0-9]+))?"
)


def parse_amount(text: str) -> Decimal | AmountRejected:
    """Read an amount in euro such as "1.234,56", "€ 1234" or "1234.5 euro".

    A single "." or "," followed by exactly three digits groups thousands ("1.234" is
    1234); with one or two digits after it, it is the decimal point. More than two
    decimals are rejected rather than rounded: for money a typo is likelier than
    a fraction of a cent. The result is quantized to cents.
    """
    if len(text) > MAX_INPUT_LENGTH:
        return UNREADABLE
    cleaned = text.lower()
    for space in _SPACES:
        cleaned = cleaned.replace(space, " ")
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        return EMPTY
    read = _read(cleaned)
    if isinstance(read, AmountRejected):
        return read
    amount, minus = read
    if minus and amount:
        return NEGATIVE
    if amount > MAX_AMOUNT:
        return TOO_LARGE
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _read(cleaned: str) -> tuple[Decimal, bool] | AmountRejected:
    """The unsigned amount and whether a minus sign was written, or UNREADABLE."""
    shape = _SHAPE.fullmatch(cleaned)
    if shape is None or (shape["sign1"] and shape["sign2"]):
        return UNREADABLE
    number = _NUMBER.fullmatch(shape["number"])
    if number is None or (number["point"] is not None and number["point"] == number["sep"]):
        return UNREADABLE
    fraction = number["fraction"] or "0"
    if len(fraction) > 2:
        return UNREADABLE
    whole = number["whole"].replace(number["sep"] or " ", "")
    minus = (shape["sign1"] or shape["sign2"]) in ("-", "−")
    return Decimal(f"{whole}.{fraction}"), minus


def format_euro(amount: Decimal) -> str:
    """E.g. "€ 1.234,56"; negative amounts as "€ -5,00". Always two decimals."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    grouped = f"{abs(cents):,.2f}"  # "1,234.56": swap the separators to the Belgian ones
    return f"€ {sign}{grouped.translate(str.maketrans(',.', '.,'))}"


def format_percent(p: Decimal) -> str:
    """E.g. "30 %" or "22,5 %" (no trailing zeros)."""
    text = f"{p.normalize():f}"
    return f"{text.replace('.', ',')} %"
