"""The Belgian enterprise number (ondernemingsnummer): checked by python-stdnum, never by hand.

Stored compact (ten digits, e.g. "0123456749"); shown the official way ("0123.456.749").
`parse_enterprise_number` never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from stdnum.be import vat
from stdnum.exceptions import InvalidChecksum, ValidationError

MAX_INPUT_LENGTH: Final = 40
# A company's name, wherever it is entered (registration, /nieuwdossier, enrolment lists).
MAX_COMPANY_LENGTH: Final = 120


@dataclass(frozen=True)
class NumberRejected:
    """Why a text is not an enterprise number: "form" (shape or length) or "checksum"."""

    reason: str


FORM: Final = NumberRejected("form")
CHECKSUM: Final = NumberRejected("checksum")


def parse_enterprise_number(text: str) -> str | NumberRejected:
    """Read "0123.456.749", "BE0123456749", "BE 0123 456 749" or "123456749" (old form).

    Returns the ten-digit compact number, or why it is not one: a wrong shape or length,
    or check digits that do not match (a typo, most likely).
    """
    if len(text) > MAX_INPUT_LENGTH:
        return FORM
    try:
        return str(vat.validate(text.strip()))
    except InvalidChecksum:
        return CHECKSUM
    except ValidationError:
        return FORM


def format_enterprise_number(number: str) -> str:
    """E.g. "0123.456.749" for a stored (compact) number; other text is returned as it is."""
    compact = vat.compact(number)
    if len(compact) != 10 or not compact.isdigit():
        return number
    return f"{compact[:4]}.{compact[4:7]}.{compact[7:]}"
