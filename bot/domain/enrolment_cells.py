"""Reading one cell of an enrolment list: dates as Excel writes them in Belgium, amounts.

Never raises on cell content: a value or a reason code (`bot.domain.enrolment.ERROR_REASONS`).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from bot.domain import money
from bot.domain.dates import DateRejected, parse_date
from bot.domain.money import CENT, MAX_AMOUNT, AmountRejected, parse_amount

MAX_DATE_TEXT: Final = 40
EXCEL_EPOCH: Final = date(1899, 12, 30)  # serial 1 is 1 January 1900 (and 60 a leap bug)
_SERIAL_RANGE: Final = range(61, 2_958_466)  # 1 March 1900 to 31 December 9999
_SERIAL_TEXT = re.compile(r"[0-9]{5}(?:[.,][0-9]+)?")
_ISO_BASIC = re.compile(r"(?P<y>[12][0-9]{3})(?P<m>[01][0-9])(?P<d>[0-3][0-9])")
# "31/01/2026 0:00" or "2026-01-31T00:00:00": a CSV written from datetime cells.
_TIME_SUFFIX = re.compile(r"(?:\s+|T)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?$")
_DATE_REASONS: Final = {"impossible": "impossible_date", "out_of_range": "date_out_of_range"}


def date_cell(cell: object, today: date) -> date | str:
    """The start date, or an error reason."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float | Decimal) and not isinstance(cell, bool):
        return _serial(cell)
    if isinstance(cell, str):
        return _date_text(cell, today)
    return "missing_date" if cell is None else "unreadable_date"


def _date_text(cell: str, today: date) -> date | str:
    text = " ".join(cell.split())
    if not text:
        return "missing_date"
    if len(text) > MAX_DATE_TEXT:
        return "unreadable_date"
    text = _TIME_SUFFIX.sub("", text) or text
    if _SERIAL_TEXT.fullmatch(text):
        return _serial(Decimal(text.replace(",", ".")))
    if match := _ISO_BASIC.fullmatch(text):
        text = f"{match['y']}-{match['m']}-{match['d']}"
    parsed = parse_date(text, today)
    if isinstance(parsed, DateRejected):
        return _DATE_REASONS.get(parsed.reason, "unreadable_date")
    return parsed


def _serial(number: float | Decimal) -> date | str:
    """An Excel day number (46053 is 31 January 2026); a fraction is the time of day."""
    try:
        if not _SERIAL_RANGE.start <= number < _SERIAL_RANGE.stop:  # False for nan
            return "unreadable_date"
        days = math.floor(number)
    except (ValueError, ArithmeticError):  # a signalling Decimal NaN
        return "unreadable_date"
    return EXCEL_EPOCH + timedelta(days=days)


def amount_cell(cell: object) -> Decimal | AmountRejected | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, str):
        return parse_amount(cell)
    if isinstance(cell, bool) or not isinstance(cell, int | float | Decimal):
        return money.UNREADABLE
    return _number_amount(Decimal(str(cell)) if isinstance(cell, float) else Decimal(cell))


def _number_amount(amount: Decimal) -> Decimal | AmountRejected:
    """A number cell: the checks of `parse_amount`, without the reading."""
    if not amount.is_finite():
        return money.UNREADABLE
    if amount < 0:
        return money.NEGATIVE
    if amount > MAX_AMOUNT:
        return money.TOO_LARGE
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
