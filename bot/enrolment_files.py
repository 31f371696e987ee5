"""Enrolment lists as files: a CSV or .xlsx in, the same list with links (and QR codes) out.

Bytes in, bytes out: no Telegram, no database. `read_table` detects the format by content
(a CSV named .txt is fine, a picture named .csv is not) and refuses with a reason the bot
can explain; `bot.domain.enrolment.plan_import` then checks the rows.

Everything here is CPU-bound: for 5,000 lines, reading an .xlsx takes about 0.5 s and a
QR archive about 25 s (5 ms a code; see bench/enrolment_import.py), so the bot should call
these functions via `asyncio.to_thread`. It should also compare the document's
`file_size` with MAX_IMPORT_BYTES before downloading it.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import segno
from openpyxl import load_workbook

from bot.domain.enrolment import (
    ImportPlan,
    RowError,
    cell_text,
    fold,
    is_empty_row,
    map_header,
)
from bot.texts import render

# Limits. 5,000 lines is well above a year of VIGC enrolments in one list and keeps a
# confirmation (one transaction), the result file and a QR archive quick; a larger file is
# most likely a whole CRM export sent by mistake. 4 MB holds 5,000 lines of a wide export
# (about 800 bytes a line) and is far below Telegram's 20 MB download limit for bots.
MAX_IMPORT_BYTES: Final = 4 * 1024 * 1024
MAX_IMPORT_ROWS: Final = 5_000  # filled data lines; blank lines do not count
MAX_LINES: Final = 20 * MAX_IMPORT_ROWS  # all lines, blank ones included
MAX_COLUMNS: Final = 100
MAX_UNPACKED_BYTES: Final = 40 * 1024 * 1024  # an .xlsx is a zip: refuse zip bombs
MAX_ZIP_ENTRIES: Final = 1_000
HEADER_SEARCH_ROWS: Final = 10  # title lines above the header are allowed
DELIMITERS: Final = (";", ",", "\t")  # on a tie, the Belgian ";" wins
CONTROL_SHARE: Final = 0.005  # more control characters than this: binary, not text

# Column names appended to the result file (data: the list is Dutch).
LINK_COLUMN: Final = "Link"
REMARK_COLUMN: Final = "Opmerking"

QR_ERROR: Final = "m"  # 15 % of the code may be damaged (a crease, a stain)
QR_SCALE: Final = 10  # pixels per module: about 400 px, 3.5 cm at 300 dpi
QR_BORDER: Final = 4  # the quiet zone the standard asks for
QR_NAME_LENGTH: Final = 80

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, encrypted .xlsx
_BINARY_MAGIC: Final = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",  # JPEG
    b"RIFF",  # WebP, WAV, AVI
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
    b"{\\rtf",
)
_OLE_DOCUMENTS: Final = (".doc", ".ppt", ".msg", ".pub")
_HTML: Final = re.compile(r"\s*<(?:!doctype|html|table|\?xml)", re.IGNORECASE)
_SEP_LINE: Final = re.compile(r"sep=([;,\t|])\r?\n", re.IGNORECASE)
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._]+")  # "-" too: runs become one "-"
_RESERVED_NAMES: Final = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(1, 10)}
    | {f"lpt{n}" for n in range(1, 10)}
)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # fixed: the same links give the same archive

Row = tuple[object, ...]


@dataclass(frozen=True)
class TableRejected:
    """Why a file is not an enrolment list.

    `reason`: too_large (`limit` in MB), too_many_rows (`limit` lines), not_a_table,
    unsupported_spreadsheet (`detail`: xls, ods, xlsb or html: save it as .xlsx or CSV),
    empty, no_header, missing_columns (`missing`: field names) or no_rows.
    """

    reason: str
    missing: tuple[str, ...] = ()
    detail: str = ""
    limit: int = 0


@dataclass(frozen=True)
class Table:
    """The rows of a list as read, from the header on; `preamble` holds title lines above it.

    Cells are strings (CSV) or what openpyxl gives (str, int, float, datetime, bool, None).
    Blank lines between data lines are kept (as empty tuples), trailing ones are dropped.
    """

    header: Row
    rows: tuple[Row, ...]
    header_line: int = 1
    preamble: tuple[Row, ...] = ()
    kind: str = "csv"  # or "xlsx"
    encoding: str = ""  # CSV only: utf-8-sig, utf-8, utf-16 or cp1252
    delimiter: str = ""  # CSV only

    @property
    def first_line(self) -> int:
        """The Excel line number of `rows[0]` (pass it to plan_import)."""
        return self.header_line + 1

    def line(self, index: int) -> int:
        """The Excel line number of `rows[index]`."""
        return self.first_line + index


class _UnreadableError(Exception):
    """The parser gave up in the middle of the file."""


class _TooManyLinesError(Exception):
    """More than MAX_IMPORT_ROWS filled lines, or more than MAX_LINES in all."""


def read_table(
    data: bytes, filename: str = "", *, default_service: str | None = None
) -> Table | TableRejected:
    """Read a CSV (`;`, `,` or tab; UTF-8, UTF-16 or cp1252) or .xlsx (its first sheet
    with a header) into a Table, or say why not. Never raises on file content.

    `filename` only refines a refusal (an old Word file is not an old Excel file).
    """
    refused = _refuse_early(data, filename)
    if refused is not None:
        return refused
    try:
        if data.startswith(b"PK\x03\x04"):
            return _read_zip(data, default_service)
        return _read_text(data, default_service)
    except _UnreadableError:
        return TableRejected("not_a_table")
    except _TooManyLinesError:
        return TableRejected("too_many_rows", limit=MAX_IMPORT_ROWS)


def _refuse_early(data: bytes, filename: str) -> TableRejected | None:
    """Refusals that need no parsing: size, emptiness, and formats known by their magic."""
    if len(data) > MAX_IMPORT_BYTES:
        return TableRejected("too_large", limit=MAX_IMPORT_BYTES // (1024 * 1024))
    stripped = data.removeprefix(codecs.BOM_UTF8).strip()
    if not stripped or stripped in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return TableRejected("empty")
    if data.startswith(_OLE_MAGIC):
        if filename.lower().endswith(_OLE_DOCUMENTS):
            return TableRejected("not_a_table")
        return TableRejected("unsupported_spreadsheet", detail="xls")
    if data.startswith(_BINARY_MAGIC):
        return TableRejected("not_a_table")
    return None


# ------------------------------------------------------------------------------ CSV


def _decode(data: bytes) -> tuple[str, str] | None:
    """The text and the encoding it was written in, or None for bytes that are no text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts: tuple[str, ...] = ("utf-16",)  # Excel's "Unicode text": tab-separated UTF-16
    elif data.startswith(codecs.BOM_UTF8):
        attempts = ("utf-8-sig",)
    else:
        attempts = ("utf-8", "cp1252")  # Excel on Windows writes "CSV" in ANSI (cp1252)
    for encoding in attempts:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _read_text(data: bytes, default_service: str | None) -> Table | TableRejected:
    decoded = _decode(data)
    if decoded is None:
        return TableRejected("not_a_table")
    text, encoding = decoded
    if len(_CONTROL.findall(text)) > CONTROL_SHARE * len(text):
        return TableRejected("not_a_table")
    if _HTML.match(text):
        # Web applications export "Excel" files that are HTML tables.
        return TableRejected("unsupported_spreadsheet", detail="html")
    directive = _SEP_LINE.match(text)
    if directive:  # "sep=;": Excel hides this line, so the header is still line 1
        text = text[directive.end() :]
    delimiter = directive[1] if directive else _delimiter(text)
    if delimiter is None:
        return TableRejected("not_a_table")
    records = _csv_records(text, delimiter)
    outcome = _assemble(
        records, default_service, kind="csv", encoding=encoding, delimiter=delimiter
    )
    if isinstance(outcome, TableRejected) and outcome.reason == "no_header":
        # A table without known column names, or prose with a comma in it?
        head = itertools.islice(_csv_records(text, delimiter), HEADER_SEARCH_ROWS)
        if sum(1 for row in head if len(row) >= 2 and not is_empty_row(row)) < 2:
            return TableRejected("not_a_table")
    return outcome


def _csv_records(text: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for record in reader:
            yield tuple(record)
    except csv.Error as error:  # a field over 128 KiB, for one
        raise _UnreadableError from error


def _delimiter(text: str) -> str | None:
    """The delimiter under which the first lines hold the best header.

    csv.Sniffer guesses wrong on small files; this reads the first lines with each
    candidate and keeps the one that yields the most recognised column names, then the
    most columns. None when no candidate occurs at all: a text, not a table.
    """
    head = text[: 64 * 1024]
    best: tuple[int, int, int] | None = None
    chosen = None
    for rank, delimiter in enumerate(DELIMITERS):
        if delimiter not in head:
            continue
        try:
            rows = list(itertools.islice(_csv_records(head, delimiter), HEADER_SEARCH_ROWS))
        except _UnreadableError:
            continue
        index = _header_index(rows)
        recognised = map_header(rows[index]).recognised if index is not None else 0
        width = len(rows[index]) if index is not None else max(map(len, rows), default=0)
        score = (recognised, width, -rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


# ------------------------------------------------------------------------------ xlsx


def _read_zip(data: bytes, default_service: str | None) -> Table | TableRejected:
    refused = _check_zip(data)
    if refused is not None:
        return refused
    return _read_xlsx(data, default_service)


def _check_zip(data: bytes) -> TableRejected | None:
    """None for a zip that holds an Excel workbook of a sane unpacked size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            mimetype = archive.read("mimetype")[:80] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return TableRejected("not_a_table")
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        return TableRejected("too_large", limit=MAX_IMPORT_BYTES // (1024 * 1024))
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return TableRejected("unsupported_spreadsheet", detail="ods")
    if "xl/workbook.bin" in names:
        return TableRejected("unsupported_spreadsheet", detail="xlsb")
    if len(entries) > MAX_ZIP_ENTRIES or "xl/workbook.xml" not in names:
        return TableRejected("not_a_table")  # a .docx, .pptx, .odt or plain zip
    return None


def _read_xlsx(data: bytes, default_service: str | None) -> Table | TableRejected:
    with warnings.catch_warnings():
        # openpyxl warns about features it drops (data validation, default styles).
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except Exception as error:  # any parser failure on untrusted bytes: not readable
            raise _UnreadableError from error
        try:
            # The first sheet with a header: usually the first, but a cover sheet is skipped.
            outcome: Table | TableRejected = TableRejected("no_header")
            for sheet in book.worksheets:
                outcome = _assemble(_sheet_records(sheet), default_service, kind="xlsx")
                if isinstance(outcome, Table) or outcome.reason != "no_header":
                    return outcome
            return outcome
        finally:
            book.close()


def _sheet_records(sheet: Any) -> Iterator[Row]:
    for values in _sheet_values(sheet):
        row = list(values)
        while row and row[-1] is None:
            row.pop()
        if len(row) > MAX_COLUMNS:
            raise _UnreadableError  # wider than any enrolment list
        yield tuple(row)


def _sheet_values(sheet: Any) -> Iterator[Sequence[object]]:
    try:
        # One column more than allowed, to notice a sheet that is wider than a list.
        yield from sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    except Exception as error:  # openpyxl parses lazily: failures surface here
        raise _UnreadableError from error


# ------------------------------------------------------------------------------ both


def _header_index(rows: Sequence[Row]) -> int | None:
    """The first of the rows naming the most fields (at least two), if any."""
    best, index = 1, None
    for position, row in enumerate(rows):
        recognised = map_header(row).recognised
        if recognised > best:
            best, index = recognised, position
    return index


def _assemble(
    records: Iterator[Row],
    default_service: str | None,
    *,
    kind: str,
    encoding: str = "",
    delimiter: str = "",
) -> Table | TableRejected:
    head = list(itertools.islice(records, HEADER_SEARCH_ROWS))
    index = _header_index(head)
    if index is None:
        return TableRejected("no_header")
    header = head[index]
    missing = map_header(header, default_service=default_service).missing
    if missing:
        return TableRejected("missing_columns", missing=missing)
    rows = _data_rows(itertools.chain(head[index + 1 :], records), index + 1)
    if isinstance(rows, TableRejected):
        return rows
    return Table(
        header=header,
        rows=rows,
        header_line=index + 1,
        preamble=tuple(head[:index]),
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
    )


def _data_rows(records: Iterable[Row], lines_before: int) -> tuple[Row, ...] | TableRejected:
    rows: list[Row] = []
    blank = filled = 0
    for total, record in enumerate(records, start=lines_before + 1):
        if total > MAX_LINES:
            raise _TooManyLinesError
        if is_empty_row(record):
            blank += 1  # kept only when a filled line follows
            continue
        filled += 1
        if filled > MAX_IMPORT_ROWS:
            raise _TooManyLinesError
        rows.extend([()] * blank)
        blank = 0
        rows.append(record)
    if not filled:
        return TableRejected("no_rows")
    return tuple(rows)


# ------------------------------------------------------------------------------ output


def result_columns(
    plan: ImportPlan,
    links_by_key: Mapping[str, str | None],
    known_keys: Collection[str] = (),
) -> tuple[dict[int, str | None], dict[int, str]]:
    """The `links` and `errors` arguments of `result_csv`, per line.

    `links_by_key`: the link of each dossier (new or already known) by row key;
    `known_keys`: the keys the database held before this import. Repeated lines get the
    link of the line they repeat; the remarks are plain Dutch text from the templates.
    """
    links = plan.links_by_line(links_by_key)
    remarks: dict[int, str] = {}
    for row in plan.rows:
        if row.key in known_keys:
            remarks[row.line] = _remark(known=True)
    for line, first in plan.duplicates.items():
        remarks[line] = _remark(duplicate_of=first)
    by_line: dict[int, list[RowError]] = {}
    for error in plan.errors:
        by_line.setdefault(error.line, []).append(error)
    for line, errors in by_line.items():
        remarks[line] = _remark(errors=errors)
    return links, remarks


def _remark(*, errors: Sequence[RowError] = (), duplicate_of: int = 0, known: bool = False) -> str:
    text = render("enrolment/remark", errors=errors, duplicate_of=duplicate_of, known=known)
    plain = html.unescape(text)  # a CSV cell, not Telegram HTML
    return plain[:1].upper() + plain[1:]


def result_csv(table: Table, links: Mapping[int, str | None], errors: Mapping[int, str]) -> bytes:
    """The list as read, one output line per input line, with "Link" and "Opmerking".

    `links` and `errors` are keyed by Excel line number. A result file sent again (with
    "Link" and "Opmerking" side by side) gets those two filled in rather than added twice;
    any other column stays as it was. Written as UTF-8 with BOM and ";" so that Belgian
    Excel opens it right. Trailing blank lines of the input are not repeated.
    """
    width = max(len(row) for row in (table.header, *table.preamble, *table.rows))
    link_at = _result_columns_at(table.header)
    if link_at is None:
        link_at = width
    total = max(width, link_at + 2)

    # Text cells of a spreadsheet were text there; in a CSV Excel would run "=…" as a
    # formula. (A CSV's cells go back as they came: Excel read them that way already.)
    shown = _inert if table.kind == "xlsx" else str

    def line_of(cells: Row, link: str | None, remark: str | None) -> list[str]:
        out = [shown(cell_text(cell)) for cell in cells] + [""] * (total - len(cells))
        if link is not None and remark is not None:
            out[link_at : link_at + 2] = [_inert(link), _inert(remark)]
        return out

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(line_of(row, None, None) for row in table.preamble)
    writer.writerow(line_of(table.header, LINK_COLUMN, REMARK_COLUMN))
    writer.writerows(
        line_of(row, links.get(line) or "", errors.get(line, ""))
        for line, row in enumerate(table.rows, start=table.first_line)
    )
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def _result_columns_at(header: Row) -> int | None:
    """Where an earlier result file put "Link" (with "Opmerking" right after it), if any."""
    folded = [fold(cell_text(cell)) for cell in header]
    for index in range(len(folded) - 1):
        if (folded[index], folded[index + 1]) == (fold(LINK_COLUMN), fold(REMARK_COLUMN)):
            return index
    return None


def _inert(text: str) -> str:
    """Our own cells never start like a formula (Excel would run "=..." on opening)."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def qr_png(link: str) -> bytes:
    """A QR code of `link` as PNG, large enough to print (QR_SCALE px per module)."""
    buffer = io.BytesIO()
    segno.make(link, error=QR_ERROR, micro=False).save(
        buffer, kind="png", scale=QR_SCALE, border=QR_BORDER
    )
    return buffer.getvalue()


def qr_zip(items: Mapping[str, str]) -> bytes:
    """A ZIP of QR PNGs: file name -> link. Names are made safe and unique (".png" added)."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, link in items.items():
            safe = safe_file_name(name)
            stem, number = safe.removesuffix(".png"), 1
            while safe.lower() in used:
                number += 1
                safe = f"{stem}-{number}.png"
            used.add(safe.lower())
            archive.writestr(zipfile.ZipInfo(safe, date_time=_ZIP_TIME), qr_png(link))
    return buffer.getvalue()


def safe_file_name(name: str) -> str:
    """A name any system accepts: ASCII letters, digits, ".", "-", "_"; ends in ".png"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = _UNSAFE_NAME.sub("-", ascii_name)
    if stem.lower().endswith(".png"):
        stem = stem[:-4]
    stem = stem.strip(".-_")[:QR_NAME_LENGTH].strip(".-_") or "qr"
    if stem.split(".")[0].lower() in _RESERVED_NAMES:
        stem = f"{stem}-qr"
    return f"{stem}.png"
