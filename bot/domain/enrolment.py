"""Checking an enrolment list (the rows of a CSV or spreadsheet) into dossiers to create.

Pure code: `bot.enrolment_files.read_table` turns a file into a header and rows, and
`plan_import` checks each row against the rules of its own start date. The result says
which dossiers to create, what is wrong (by line number as Excel shows it, header = 1)
and which lines repeat an earlier one. Nothing here raises on cell content.

A row's dedupe key (`EnrolmentRow.key`) is the enterprise number, or the folded company
name when there is none, plus the folded title and the start date: sending the same list
twice yields the same keys, so the database can skip dossiers it already holds.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from bot.domain.deadlines import application_deadline
from bot.domain.enrolment_aliases import (
    HEADER_ALIASES,
    SERVICE_ALIASES,
    SIZE_ALIASES,
    THEME_ALIASES,
)
from bot.domain.enrolment_cells import amount_cell, date_cell
from bot.domain.enterprise import MAX_COMPANY_LENGTH, NumberRejected, parse_enterprise_number
from bot.domain.money import AmountRejected
from bot.domain.rules import Rules, Scheme, Service, Theme

FIELDS: Final = (
    "company",
    "enterprise_number",
    "service",
    "theme",
    "title",
    "start_date",
    "amount",
    "size",
    "contact_name",
    "email",
)
REQUIRED: Final = ("company", "title", "start_date", "service")  # service: unless defaulted
# Every RowError.reason; messages_nl/enrolment/error.html has a phrase for each.
ERROR_REASONS: Final = (
    "missing_company",
    "company_too_long",
    "bad_enterprise_number",
    "missing_service",
    "unknown_service",
    "service_not_offered",
    "missing_theme",
    "unknown_theme",
    "missing_title",
    "title_too_long",
    "missing_date",
    "impossible_date",
    "unreadable_date",
    "date_out_of_range",
    "deadline_passed",
    "bad_amount",
    "bad_size",
    "contact_too_long",
    "bad_email",
)

MAX_TITLE_LENGTH: Final = 80
MAX_CONTACT_LENGTH: Final = 120
MAX_EMAIL_LENGTH: Final = 254
MAX_SHOWN_VALUE: Final = 40  # characters of an offending value kept for the preview
DEFAULT_THEME: Final = "algemeen"  # the plain rate
PAST_YEARS: Final = 1  # default window of accepted start dates around "today"
FUTURE_YEARS: Final = 2

_YEAR = re.compile(r"[0-9]{4}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


@dataclass(frozen=True)
class HeaderMap:
    """Which column holds which field (first one wins), and the required fields not found."""

    columns: Mapping[str, int] = field(hash=False)
    missing: tuple[str, ...]

    @property
    def recognised(self) -> int:
        """How many fields were found: a header row has at least two."""
        return len(self.columns)


@dataclass(frozen=True)
class RowError:
    """One problem in one line: a reason code, the field and the offending value as text.

    `detail` refines some reasons: "checksum"/"form" for enterprise numbers,
    "past"/"future" for dates out of range, AmountRejected reasons for amounts.
    """

    line: int
    reason: str
    field: str
    value: str = ""
    detail: str = ""


@dataclass(frozen=True)
class EnrolmentRow:
    """A valid line: one dossier to create (service and theme are rule codes)."""

    line: int
    key: str
    company: str
    enterprise_number: str | None  # ten digits, compact
    service: str
    theme: str
    title: str
    start_date: date
    amount: Decimal | None
    size: str | None  # "klein" or "middelgroot"
    contact_name: str | None
    email: str | None


@dataclass(frozen=True)
class ImportPlan:
    """What a list would create; every data line is in exactly one of four groups.

    `rows` (one per dossier), `duplicates` (line -> line of the row it repeats), lines in
    `errors` (skipped), and `empty_lines` (blank lines, skipped silently).
    """

    rows: tuple[EnrolmentRow, ...]
    errors: tuple[RowError, ...]
    duplicates: Mapping[int, int] = field(hash=False)
    lines: int  # data lines read, blank ones included
    empty_lines: int
    missing_columns: tuple[str, ...] = ()

    @property
    def ready(self) -> int:
        """Dossiers this list describes (before looking at what the database holds)."""
        return len(self.rows)

    @property
    def error_lines(self) -> tuple[int, ...]:
        """The lines with at least one error, in order."""
        return tuple(sorted({error.line for error in self.errors}))

    def links_by_line(self, links_by_key: Mapping[str, str | None]) -> dict[int, str | None]:
        """The link of each valid line, repeated lines included, from links per row key."""
        by_line = {row.line: links_by_key.get(row.key) for row in self.rows}
        for line, first in self.duplicates.items():
            by_line[line] = by_line.get(first)
        return by_line


def fold(text: str) -> str:
    """Letters and digits only, lowercase, accents removed: "KBO-nummer" -> "kbonummer"."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def fold_words(text: str) -> str:
    """Like `fold`, but words stay apart: "Excel – Basis!" -> "excel basis"."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    kept = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(kept.split())


def dedupe_key(enterprise_number: str | None, company: str, title: str, start: date) -> str:
    """(enterprise number, or the company name when there is none) + title + start date:
    two trainings of one company are two dossiers; case, accents and punctuation do not
    make a difference. Lists and /nieuwdossier use this one key."""
    who = f"kbo:{enterprise_number}" if enterprise_number else f"name:{fold_words(company)}"
    return f"{who}|{fold_words(title)}|{start.isoformat()}"


def _lookup(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, spellings in aliases.items():
        for spelling in (name, *spellings):
            folded = fold(spelling)
            if table.setdefault(folded, name) != name:
                raise ValueError(f"alias {spelling!r} names two fields")
    return table


_HEADERS: Final = _lookup(HEADER_ALIASES)
_SIZES: Final = {fold(alias): size for alias, size in SIZE_ALIASES.items()}
_SERVICE_ALIASES: Final = {fold(alias): code for alias, code in SERVICE_ALIASES.items()}
_THEME_ALIASES: Final = {fold(alias): code for alias, code in THEME_ALIASES.items()}


def header_field(cell: object) -> str | None:
    """The field a header cell names, or None for a column the import ignores."""
    return _HEADERS.get(fold(cell_text(cell)))


def map_header(header: Sequence[object], *, default_service: str | None = None) -> HeaderMap:
    """Map header cells to fields; service is required only without `default_service`."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = header_field(cell)
        if name is not None:
            columns.setdefault(name, index)
    required = [name for name in REQUIRED if name != "service" or default_service is None]
    missing = tuple(name for name in required if name not in columns)
    return HeaderMap(MappingProxyType(columns), missing)


def cell_text(value: object) -> str:
    """A cell as text the way Belgian Excel shows it (dates d/m/y, decimal comma)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for kind, show in _SHOW:
        if isinstance(value, kind):
            return show(value)
    return str(value)


def _show_datetime(value: datetime) -> str:
    if value.time() == time():
        return value.strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y %H:%M")


def _show_float(value: float) -> str:
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value).replace(".", ",")


# Order matters: bool before int, datetime before date.
_SHOW: Final[tuple[tuple[type[Any], Callable[[Any], str]], ...]] = (
    (bool, lambda value: "WAAR" if value else "ONWAAR"),  # Excel's Dutch TRUE and FALSE
    (datetime, _show_datetime),
    (date, lambda value: value.strftime("%d/%m/%Y")),
    (time, lambda value: value.strftime("%H:%M")),
    (int, str),
    (float, _show_float),
    (Decimal, lambda value: str(value).replace(".", ",")),
)


def is_empty_row(cells: Sequence[object]) -> bool:
    """A line without any value (Excel writes such lines after the data)."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def plan_import(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    rules: Rules,
    today: date,
    first_line: int = 2,
    default_service: str | None = None,
    earliest: date | None = None,
    latest: date | None = None,
) -> ImportPlan:
    """Check every row; `first_line` is the Excel line of the first row (header = line 1).

    Start dates must lie between `earliest` and `latest` (default: one year before `today`
    to two years after it) and fall under a scheme of `rules`. When required columns are
    missing, the plan has no rows and names them in `missing_columns`.
    """
    columns = map_header(header, default_service=default_service)
    checker = _RowChecker(
        columns.columns,
        rules=rules,
        today=today,
        default_service=default_service,
        earliest=earliest if earliest is not None else _years_later(today, -PAST_YEARS),
        latest=latest if latest is not None else _years_later(today, FUTURE_YEARS),
    )
    found: list[EnrolmentRow] = []
    errors: list[RowError] = []
    duplicates: dict[int, int] = {}
    first_of_key: dict[str, int] = {}
    lines = empty = 0
    for offset, cells in enumerate(rows):
        line = first_line + offset
        lines += 1
        if is_empty_row(cells):
            empty += 1
            continue
        if columns.missing:
            continue
        checked = checker.check(line, cells)
        if isinstance(checked, EnrolmentRow):
            first = first_of_key.setdefault(checked.key, line)
            if first == line:
                found.append(checked)
            else:
                duplicates[line] = first
        else:
            errors.extend(checked)
    return ImportPlan(
        rows=tuple(found),
        errors=tuple(errors),
        duplicates=MappingProxyType(duplicates),
        lines=lines,
        empty_lines=empty,
        missing_columns=columns.missing,
    )


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _shown(value: object) -> str:
    """The offending value as the preview shows it: one line, at most MAX_SHOWN_VALUE."""
    text = " ".join(cell_text(value).split())
    if len(text) > MAX_SHOWN_VALUE:
        return text[: MAX_SHOWN_VALUE - 1] + "…"
    return text


def _clean(value: object) -> str:
    return " ".join(cell_text(value).split())


_SHORT: Final = {"company": "company", "title": "title", "contact_name": "contact"}


class _Problems(list[RowError]):
    """The errors of one line."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line

    def add(self, reason: str, name: str, value: object = None, detail: str = "") -> None:
        self.append(RowError(self.line, reason, name, _shown(value), detail))


class _RowChecker:
    """Checks one row at a time; remembers service and theme look-ups per scheme."""

    def __init__(
        self,
        columns: Mapping[str, int],
        *,
        rules: Rules,
        today: date,
        default_service: str | None,
        earliest: date,
        latest: date,
    ) -> None:
        self.columns = columns
        self.rules = rules
        self.today = today
        self.default_service = default_service
        self.earliest = earliest
        self.latest = latest
        self._services: dict[tuple[date | None, str], Service | str] = {}

    def _cell(self, cells: Sequence[object], name: str) -> object:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def check(self, line: int, cells: Sequence[object]) -> EnrolmentRow | list[RowError]:
        problems = _Problems(line)
        company = self._text(problems, cells, "company", MAX_COMPANY_LENGTH)
        number = self._enterprise_number(problems, cells)
        start, scheme = self._start(problems, cells)
        service = self._service(problems, cells, scheme)
        theme = self._theme(problems, cells, service)
        title = self._text(problems, cells, "title", MAX_TITLE_LENGTH)
        amount = self._amount(problems, cells)
        size = self._size(problems, cells)
        contact = self._text(problems, cells, "contact_name", MAX_CONTACT_LENGTH)
        email = self._email(problems, cells)
        if problems or start is None or service is None or theme is None:
            return problems
        return EnrolmentRow(
            line=line,
            key=dedupe_key(number, company, title, start),
            company=company,
            enterprise_number=number,
            service=service.code,
            theme=theme.code,
            title=title,
            start_date=start,
            amount=amount,
            size=size,
            contact_name=contact or None,
            email=email,
        )

    def _text(self, problems: _Problems, cells: Sequence[object], name: str, most: int) -> str:
        """Company, title (both required) or contact name, on one line."""
        text = _clean(self._cell(cells, name))
        short = _SHORT[name]
        if not text and name != "contact_name":
            problems.add(f"missing_{short}", name)
        elif len(text) > most:
            problems.add(f"{short}_too_long", name, text)
        return text

    def _enterprise_number(self, problems: _Problems, cells: Sequence[object]) -> str | None:
        cell = self._cell(cells, "enterprise_number")
        number = _enterprise_number(cell)
        if isinstance(number, NumberRejected):
            problems.add("bad_enterprise_number", "enterprise_number", cell, number.reason)
            return None
        return number

    def _start(
        self, problems: _Problems, cells: Sequence[object]
    ) -> tuple[date | None, Scheme | None]:
        cell = self._cell(cells, "start_date")
        start = date_cell(cell, self.today)
        if isinstance(start, str):
            detail = ""
            if start == "date_out_of_range":  # before 2000 or after 2100 (parse_date's range)
                years = (int(year) for year in _YEAR.findall(cell_text(cell)))
                detail = "future" if any(year > self.today.year for year in years) else "past"
            problems.add(start, "start_date", cell, detail)
            return None, None
        scheme = self._scheme(start)
        if scheme is None:
            past = start < self.earliest or start < self.rules.schemes[0].valid_from
            problems.add("date_out_of_range", "start_date", cell, "past" if past else "future")
            return None, None
        if application_deadline(start, scheme) < self.today:
            # The client can no longer apply: a link would only promise what cannot be.
            problems.add("deadline_passed", "start_date", cell)
            return None, None
        return start, scheme

    def _service(
        self, problems: _Problems, cells: Sequence[object], scheme: Scheme | None
    ) -> Service | None:
        """The service in the row's scheme; without a valid date, only whether it exists."""
        cell = self._cell(cells, "service")
        text = _clean(cell) or (self.default_service or "")
        if not text:
            problems.add("missing_service", "service")
            return None
        folded = fold(text)
        cache_key = (scheme.valid_from if scheme else None, folded)
        if cache_key not in self._services:
            self._services[cache_key] = self._find_service(folded, scheme)
        found = self._services[cache_key]
        if isinstance(found, str):
            problems.add(found, "service", text)
            return None
        return found if scheme is not None else None

    def _find_service(self, folded: str, scheme: Scheme | None) -> Service | str:
        alias = _SERVICE_ALIASES.get(folded)

        def matches(service: Service) -> bool:
            return alias == service.code or folded in (fold(service.code), fold(service.name))

        if scheme is not None:
            for service in scheme.services:
                if matches(service):
                    return service
        for other in self.rules.schemes:
            for service in other.services:
                if matches(service):
                    return "service_not_offered" if scheme is not None else service
        return "unknown_service"

    def _theme(
        self, problems: _Problems, cells: Sequence[object], service: Service | None
    ) -> Theme | None:
        """The theme within the service (not checked without a service)."""
        if service is None:
            return None
        cell = self._cell(cells, "theme")
        theme = _theme(cell, service)
        if isinstance(theme, str):
            problems.add(theme, "theme", cell)
            return None
        return theme

    def _amount(self, problems: _Problems, cells: Sequence[object]) -> Decimal | None:
        cell = self._cell(cells, "amount")
        amount = amount_cell(cell)
        if isinstance(amount, AmountRejected):
            problems.add("bad_amount", "amount", cell, amount.reason)
            return None
        return amount

    def _size(self, problems: _Problems, cells: Sequence[object]) -> str | None:
        cell = self._cell(cells, "size")
        text = _clean(cell)
        if not text:
            return None
        size = _SIZES.get(fold(text))
        if size is None:
            problems.add("bad_size", "size", cell)
        return size

    def _email(self, problems: _Problems, cells: Sequence[object]) -> str | None:
        email = _clean(self._cell(cells, "email")).removeprefix("mailto:")
        if not email:
            return None
        if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(email):
            problems.add("bad_email", "email", email)
            return None
        return email

    def _scheme(self, start: date) -> Scheme | None:
        if not self.earliest <= start <= self.latest:
            return None
        try:
            return self.rules.scheme_for(start)
        except ValueError:
            return None


def _theme(cell: object, service: Service) -> Theme | str:
    """The theme of the service, or an error reason."""
    text = _clean(cell)
    if not text:
        if len(service.themes) == 1:
            return service.themes[0]
        for theme in service.themes:
            if theme.code == DEFAULT_THEME:
                return theme
        return "missing_theme"
    folded = fold(text)
    alias = _THEME_ALIASES.get(folded)
    for theme in service.themes:
        if alias == theme.code or folded in (fold(theme.code), fold(theme.name)):
            return theme
    return "unknown_theme"


def _enterprise_number(cell: object) -> str | NumberRejected | None:
    if isinstance(cell, bool):
        return NumberRejected("form")
    if isinstance(cell, float) and math.isfinite(cell) and cell.is_integer():
        cell = int(cell)  # a number cell: Excel dropped the leading 0 (stdnum restores it)
    text = cell_text(cell).strip()
    if not text:
        return None
    return parse_enterprise_number(text)
