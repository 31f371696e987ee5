"""Dated KMO-portefeuille rules (rates, caps, minimums, deadlines) read from rules.toml.

Code never holds a percentage, cap, minimum, deadline length or recognition number: they
live in the data file, one scheme per `valid_from` date, so that staff can correct them and
a project is always computed with the rules of its own start date.
"""

from __future__ import annotations

import bisect
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

SIZES: Final = ("klein", "middelgroot")
DEFAULT_CHECK_AT: Final = "www.kmo-portefeuille.be"
_PACKAGED: Final = "rules.toml"


_CODE = re.compile(r"[a-z_]{1,24}")


class RulesError(ValueError):
    """The rules file is malformed or inconsistent; the message names the faulty entry."""


# Mappings are left out of the hash (they are unhashable) but still compared for equality.
@dataclass(frozen=True)
class Theme:
    """A subsidy theme of a service, with its rate in percent per company size."""

    code: str
    name: str
    rates: Mapping[str, Decimal] = field(hash=False)
    # The plain rate, for any subject that is not one of the service's special themes.
    standard: bool = False


@dataclass(frozen=True)
class Service:
    """A kind of service VIGC provides (training, advice, ...) under one scheme."""

    code: str
    name: str
    recognition_number: str
    minimum_amount: Decimal
    themes: tuple[Theme, ...]
    # Advice and technology exploration: approve VIGC's report form before paying the balance.
    needs_report_approval: bool
    # True: the client enrols (training) and the project starts on the first lesson.
    # False: the client signs an agreement and the project starts with the collaboration.
    enrolment: bool

    @property
    def restricted(self) -> bool:
        """Supported only for its themes (no plain rate for other subjects)."""
        return not any(theme.standard for theme in self.themes)

    @property
    def standard_theme(self) -> Theme | None:
        return next((theme for theme in self.themes if theme.standard), None)

    def theme(self, code: str) -> Theme:
        """The theme with this code; KeyError when this service does not offer it."""
        for theme in self.themes:
            if theme.code == code:
                return theme
        raise KeyError(f"service {self.code!r} has no theme {code!r}")


@dataclass(frozen=True)
class Scheme:
    """One set of rules, applying to projects that start on or after `valid_from`."""

    valid_from: date
    name: str
    source: str
    application_days: int
    payment_days: int
    payment_handler: str
    annual_cap: Mapping[str, Decimal] = field(hash=False)
    services: tuple[Service, ...] = ()

    def service(self, code: str) -> Service:
        """The service with this code; KeyError when this scheme does not support it."""
        for service in self.services:
            if service.code == code:
                return service
        raise KeyError(f"scheme of {self.valid_from} has no service {code!r}")

    def theme(self, service_code: str, theme_code: str) -> Theme:
        """A theme of a service; KeyError when either is absent from this scheme."""
        return self.service(service_code).theme(theme_code)


class Rules:
    """All schemes, oldest first; picks the one that applies on a given day."""

    def __init__(self, schemes: Iterable[Scheme], check_at: str = DEFAULT_CHECK_AT) -> None:
        ordered = tuple(sorted(schemes, key=lambda scheme: scheme.valid_from))
        if not ordered:
            raise RulesError("rules contain no scheme")
        starts = [scheme.valid_from for scheme in ordered]
        for earlier, later in itertools.pairwise(starts):
            if earlier == later:
                raise RulesError(f"two schemes have valid_from {later}")
        self.schemes: tuple[Scheme, ...] = ordered
        self.check_at = check_at  # where users can verify the figures
        self._starts = starts

    def scheme_for(self, day: date) -> Scheme:
        """The scheme with the latest valid_from on or before `day`."""
        index = bisect.bisect_right(self._starts, day)
        if index == 0:
            raise ValueError(f"no scheme applies on {day}; the first starts {self._starts[0]}")
        return self.schemes[index - 1]

    def current(self, today: date) -> Scheme:
        """The scheme that applies to a project starting today."""
        return self.scheme_for(today)


def load_rules(path: Path | None = None) -> Rules:
    """Read and check the rules: the packaged file, or a corrected copy at `path`.

    Raises RulesError (a ValueError) naming the file and the faulty entry; OSError if the
    file cannot be read.
    """
    if path is None:
        origin = f"packaged {_PACKAGED}"
        text = resources.files("bot.domain").joinpath(_PACKAGED).read_text(encoding="utf-8")
    else:
        origin = str(path)
        text = path.read_text(encoding="utf-8")
    try:
        # parse_float=Decimal: "22.5" must stay exactly 22.5, never a binary float.
        data = tomllib.loads(text, parse_float=Decimal)
        schemes = [
            _scheme(entry, f"scheme #{number}")
            for number, entry in enumerate(_list(data, "scheme", "file"), start=1)
        ]
        return Rules(schemes, _text(data, "check_at", "file", DEFAULT_CHECK_AT))
    except ValueError as error:  # TOMLDecodeError included
        raise RulesError(f"{origin}: {error}") from error


def _scheme(entry: Any, where: str) -> Scheme:
    table = _table(entry, where)
    valid_from = table.get("valid_from")
    if not isinstance(valid_from, date) or isinstance(valid_from, datetime):
        raise RulesError(f"{where}: valid_from must be a date such as 2026-02-01")
    where = f"scheme {valid_from}"
    services = [
        _service(item, where, number)
        for number, item in enumerate(_list(table, "service", where), start=1)
    ]
    _unique((service.code for service in services), f"{where}: service")
    return Scheme(
        valid_from=valid_from,
        name=_text(table, "name", where),
        source=_text(table, "source", where),
        application_days=_days(table, "application_days", where),
        payment_days=_days(table, "payment_days", where),
        payment_handler=_text(table, "payment_handler", where),
        annual_cap=_per_size(table, "annual_cap", where, maximum=None),
        services=tuple(services),
    )


def _service(entry: Any, parent: str, number: int) -> Service:
    table = _table(entry, f"{parent}, service #{number}")
    code = _code(table, f"{parent}, service #{number}")
    where = f"{parent}, service {code!r}"
    themes = [
        _theme(item, where, index)
        for index, item in enumerate(_list(table, "themes", where), start=1)
    ]
    _unique((theme.code for theme in themes), f"{where}: theme")
    return Service(
        code=code,
        name=_text(table, "name", where),
        recognition_number=_text(table, "recognition_number", where),
        minimum_amount=_number(table, "minimum_amount", where, maximum=None),
        themes=tuple(themes),
        needs_report_approval=_flag(table, "needs_report_approval", where),
        enrolment=_flag(table, "enrolment", where),
    )


def _flag(table: Mapping[str, Any], key: str, where: str) -> bool:
    value = table.get(key)
    if not isinstance(value, bool):
        raise RulesError(f"{where}: {key} must be true or false")
    return value


def _theme(entry: Any, parent: str, number: int) -> Theme:
    table = _table(entry, f"{parent}, theme #{number}")
    code = _code(table, f"{parent}, theme #{number}")
    where = f"{parent}, theme {code!r}"
    standard = table.get("standard", False)
    if not isinstance(standard, bool):
        raise RulesError(f"{where}: standard must be true or false")
    return Theme(
        code=code,
        name=_text(table, "name", where),
        rates=_per_size(table, "rates", where, maximum=Decimal(100)),
        standard=standard,
    )


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RulesError(f"{where}: expected a table")
    return value


def _list(table: dict[str, Any], key: str, where: str) -> list[Any]:
    value = table.get(key)
    if not isinstance(value, list) or not value:
        raise RulesError(f"{where}: {key!r} must be a non-empty list")
    return value


def _code(table: dict[str, Any], where: str) -> str:
    """Codes travel in button data ("svc:<code>"): short, lowercase, no separators."""
    code = _text(table, "code", where)
    if not _CODE.fullmatch(code):
        raise RulesError(f"{where}: code {code!r} must be 1-24 characters a-z or _")
    return code


def _text(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where}: {key!r} must be a non-empty text")
    return value.strip()


def _days(table: dict[str, Any], key: str, where: str) -> int:
    value = table.get(key)
    # bool is an int subclass; `true` is not a number of days.
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise RulesError(f"{where}: {key!r} must be a positive whole number of days")
    return value


def _number(table: dict[str, Any], key: str, where: str, maximum: Decimal | None) -> Decimal:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise RulesError(f"{where}: {key!r} must be a number")
    number = Decimal(value)
    if not number.is_finite() or number < 0 or (maximum is not None and number > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        raise RulesError(f"{where}: {key!r} must be at least 0{limit}, got {value}")
    return number


def _per_size(
    table: dict[str, Any], key: str, where: str, maximum: Decimal | None
) -> Mapping[str, Decimal]:
    values = _table(table.get(key), f"{where}: {key!r}")
    missing = [size for size in SIZES if size not in values]
    unknown = sorted(set(values) - set(SIZES))
    if missing or unknown:
        raise RulesError(
            f"{where}: {key!r} needs exactly the sizes {', '.join(SIZES)}"
            f" (missing: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'})"
        )
    numbers = {size: _number(values, size, f"{where}: {key!r}", maximum) for size in SIZES}
    return MappingProxyType(numbers)


def _unique(codes: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise RulesError(f"{what} {code!r} appears twice")
        seen.add(code)
