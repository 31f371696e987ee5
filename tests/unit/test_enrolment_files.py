"""Enrolment files: CSV and .xlsx in, refusals, the result CSV and the QR codes out."""

from __future__ import annotations

import codecs
import csv
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import segno
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.enrolment import ImportPlan, is_empty_row, plan_import
from bot.domain.invitations import invitation_link, new_code
from bot.domain.rules import load_rules
from bot.enrolment_files import (
    MAX_COLUMNS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MAX_LINES,
    QR_BORDER,
    QR_SCALE,
    Table,
    TableRejected,
    qr_png,
    qr_zip,
    read_table,
    result_columns,
    result_csv,
    safe_file_name,
)

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "enrolment"
RULES = load_rules()
TODAY = date(2026, 1, 15)


def table_of(data: bytes, filename: str = "lijst.csv", **options: str) -> Table:
    table = read_table(data, filename, **options)
    assert isinstance(table, Table), table
    return table


def sample(name: str) -> Table:
    return table_of((SAMPLES / name).read_bytes(), name)


def plan_of(table: Table, **options: str) -> ImportPlan:
    return plan_import(
        table.header, table.rows, rules=RULES, today=TODAY, first_line=table.first_line, **options
    )


def refusal(data: bytes, filename: str = "lijst.csv", **options: str) -> TableRejected:
    outcome = read_table(data, filename, **options)
    assert isinstance(outcome, TableRejected), outcome
    return outcome


def xlsx(*sheets: Sequence[Sequence[object]]) -> bytes:
    """A workbook with these sheets (lists of rows), as Excel would save it."""
    book = openpyxl.Workbook()
    for number, rows in enumerate(sheets):
        sheet = book.active if number == 0 else book.create_sheet()
        assert sheet is not None
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_records(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


# ------------------------------------------------------------------------------ CSV


SMALL_ROWS = [
    ("Café De Kroon", "0403170701", "opleiding", "algemeen", "Wijn & spijs", date(2026, 3, 31)),
    ("Brasserie Élise", None, "advies", "cybersecurity", "Cyberplan, fase 1", date(2026, 4, 15)),
]


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("semicolon_bom.csv", "utf-8-sig", ";"),
        ("comma_utf8.csv", "utf-8", ","),
        ("semicolon_cp1252.csv", "cp1252", ";"),
        ("tabs.txt", "utf-8", "\t"),  # a CSV named .txt is fine
    ],
)
def test_the_usual_csv_flavours_read_the_same(name: str, encoding: str, delimiter: str) -> None:
    table = sample(name)
    assert (table.kind, table.encoding, table.delimiter) == ("csv", encoding, delimiter)
    assert table.header_line == 1
    plan = plan_of(table)
    assert not plan.errors
    found = [
        (r.company, r.enterprise_number, r.service, r.theme, r.title, r.start_date)
        for r in plan.rows
    ]
    assert found == SMALL_ROWS
    assert [r.amount for r in plan.rows] == [Decimal("1250.00"), Decimal("800.00")]


def test_utf16_tab_text_as_excel_saves_unicode_text() -> None:
    text = (SAMPLES / "tabs.txt").read_bytes().decode("utf-8")
    table = table_of(text.encode("utf-16"), "lijst.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert plan_of(table).ready == 2


def test_title_lines_above_the_header_and_blank_lines_below() -> None:
    table = sample("title_row.csv")
    assert (table.header_line, table.first_line) == (3, 4)
    assert table.preamble[0][0] == "Inschrijvingen voorjaar 2026"
    assert len(table.rows) == 2  # the trailing blank line is dropped
    assert [row.line for row in plan_of(table).rows] == [4, 5]


def test_quoted_fields_with_newlines_count_as_one_excel_line() -> None:
    data = (
        b'Bedrijf;Titel;Startdatum;Dienst\r\n"Jansen\n& Zonen";"Excel\nbasis";31/03/2026;'
        b"Opleiding\r\nPeeters;Word;31/02/2026;Opleiding\r\n"
    )
    plan = plan_of(table_of(data))
    assert [(r.line, r.company, r.title) for r in plan.rows] == [
        (2, "Jansen & Zonen", "Excel basis")
    ]
    assert plan.error_lines == (3,)


def test_the_sep_line_excel_understands() -> None:
    data = b"\xef\xbb\xbfsep=,\r\nBedrijf,Titel,Startdatum,Dienst\r\nJansen,Excel,31/03/2026,"
    table = table_of(data + b"Opleiding\r\n")
    assert (table.delimiter, table.header_line) == (",", 1)
    assert [row.line for row in plan_of(table).rows] == [2]
    table = table_of(b"SEP=;\n" + HEADER_LINE + ROW_LINE)
    assert (table.delimiter, table.header_line, len(table.rows)) == (";", 1, 1)


def test_delimiter_follows_the_header_not_the_data() -> None:
    comma = 'Bedrijf,Titel,Startdatum,Dienst\nJansen,"Excel; basis; deel 2",31/03/2026,Opleiding\n'
    assert table_of(comma.encode()).delimiter == ","
    semicolon = "Bedrijf;Titel;Startdatum;Dienst;Bedrag\nJansen, Zonen;Excel, basis;31/03/2026;"
    semicolon += "Opleiding;1.250,50\n"
    table = table_of(semicolon.encode())
    assert table.delimiter == ";"
    assert plan_of(table).rows[0].amount == Decimal("1250.50")


# ------------------------------------------------------------------------------ the 50-line list


def test_fifty_lines_with_three_errors_and_one_repeat() -> None:
    table = sample("fifty_rows.csv")
    assert len(table.rows) == 50  # the two blank lines Excel wrote at the end are dropped
    plan = plan_of(table)
    assert [(e.line, e.reason, e.value) for e in plan.errors] == [
        (8, "impossible_date", "31/02/2026"),
        (20, "unknown_service", "Coaching"),
        (33, "missing_company", ""),
    ]
    assert plan.duplicates == {45: 12}
    assert plan.ready == 46
    assert (plan.lines, plan.empty_lines) == (50, 0)
    advice = [row for row in plan.rows if row.service == "advies"]
    assert advice
    assert {row.theme for row in advice} == {"cybersecurity"}


def _as_excel_cell(text: str, column: str) -> object:
    """What Excel stores for the text of a CSV cell: no empty strings, real dates, numbers."""
    if not text:
        return None
    if column == "Startdatum" and text != "31/02/2026":
        day, month, year = (int(part) for part in text.replace("-", "/").split("/"))
        return datetime(year if year > 100 else 2000 + year, month, day)
    if column == "Bedrag excl. btw":
        return float(text.replace(",", "."))
    return text


def test_xlsx_with_date_cells_gives_the_same_plan_as_the_csv() -> None:
    csv_table = sample("fifty_rows.csv")
    header = [str(cell) for cell in csv_table.header]
    rows: list[list[object]] = [
        [_as_excel_cell(str(cell), column) for cell, column in zip(row, header, strict=True)]
        for row in csv_table.rows
    ]
    start = header.index("Startdatum")
    day = rows[10 - 2][start]
    assert isinstance(day, datetime)
    rows[10 - 2][start] = (day - datetime(1899, 12, 30)).days  # a serial number, no format
    table = table_of(xlsx([header, *rows]), "lijst.xlsx")
    assert table.kind == "xlsx"
    assert isinstance(table.rows[0][start], datetime)
    assert plan_of(table) == plan_of(csv_table)


def test_xlsx_skips_a_cover_sheet_and_title_lines() -> None:
    cover = [["Inschrijvingen VIGC"], ["Zie het tweede blad"]]
    data = [
        ["Lijst voorjaar"],
        [],
        ["Bedrijf", "Titel", "Startdatum", "Dienst"],
        ["Jansen", "Excel", datetime(2026, 3, 31), "Opleiding"],
        [],
        ["Peeters", "Word", 46113, "Opleiding"],
    ]
    table = table_of(xlsx(cover, data), "lijst.xlsx")
    assert (table.header_line, len(table.preamble)) == (3, 2)
    plan = plan_of(table)
    assert [(r.line, r.start_date) for r in plan.rows] == [
        (4, date(2026, 3, 31)),
        (6, date(2026, 4, 1)),
    ]
    assert plan.empty_lines == 1


# ------------------------------------------------------------------------------ refusals


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


HEADER_LINE = b"Bedrijf;Titel;Startdatum;Dienst\r\n"
ROW_LINE = b"Jansen;Excel;31/03/2026;Opleiding\r\n"


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "lijst.csv", "empty"),
        (b"\xef\xbb\xbf\r\n \r\n", "lijst.csv", "empty"),
        ((SAMPLES / "picture.csv").read_bytes(), "picture.csv", "not_a_table"),
        ((SAMPLES / "letter.pdf").read_bytes(), "letter.pdf", "not_a_table"),
        (b"PK\x03\x04 this is no zip at all", "lijst.xlsx", "not_a_table"),
        (b"Dear VIGC, here is the list you asked for.", "lijst.xlsx", "not_a_table"),
        (bytes(range(256)) * 4, "lijst.csv", "not_a_table"),
        (random.Random(7).randbytes(4000), "lijst.csv", "not_a_table"),
        (b"\x00\x01\x02" * 200 + HEADER_LINE, "lijst.csv", "not_a_table"),
        (_zip({"word/document.xml": b"<w/>"}), "brief.docx", "not_a_table"),
        (_zip({"xl/workbook.xml": b"<broken"}), "lijst.xlsx", "not_a_table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "brief.doc", "not_a_table"),
        (b"a;b;c\r\n1;2;3\r\n", "lijst.csv", "no_header"),
        (b"Naam;Adres\r\nJansen;Kerkstraat 1\r\n", "lijst.csv", "no_header"),
        (HEADER_LINE, "lijst.csv", "no_rows"),
        (HEADER_LINE + b";;;\r\n;;;\r\n", "lijst.csv", "no_rows"),
        (b"a" * (MAX_IMPORT_BYTES + 1), "lijst.csv", "too_large"),
    ],
)
def test_refusals(data: bytes, filename: str, reason: str) -> None:
    assert refusal(data, filename).reason == reason


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "xls"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "ods"),
        (_zip({"xl/workbook.bin": b"\x00"}), "xlsb"),
        (b"<html><body><table><tr><td>Bedrijf</td></tr></table>", "html"),
        (b"\r\n<!DOCTYPE html><html>", "html"),
    ],
)
def test_spreadsheets_to_save_again(data: bytes, detail: str) -> None:
    rejected = refusal(data, "lijst.xls")
    assert (rejected.reason, rejected.detail) == ("unsupported_spreadsheet", detail)


def test_size_limit_is_reported_in_megabytes() -> None:
    assert refusal(b"a" * (MAX_IMPORT_BYTES + 1)).limit == MAX_IMPORT_BYTES // 2**20


def test_zip_bombs_are_too_large() -> None:
    bomb = _zip({"xl/workbook.xml": b"<x/>", "xl/worksheets/sheet1.xml": bytes(41 * 2**20)})
    assert len(bomb) < MAX_IMPORT_BYTES
    assert refusal(bomb, "lijst.xlsx").reason == "too_large"


def test_missing_columns_are_named() -> None:
    data = b"Bedrijf;Titel;Notitie\r\nJansen;Excel;x\r\n"
    assert refusal(data).missing == ("start_date", "service")
    assert refusal(data, default_service="opleiding").missing == ("start_date",)
    with_date = b"Bedrijf;Titel;Datum\r\nJansen;Excel;31/03/2026\r\n"
    assert plan_of(table_of(with_date, default_service="opleiding"), default_service="opleiding")


def test_row_limit() -> None:
    assert len(table_of(HEADER_LINE + ROW_LINE * MAX_IMPORT_ROWS).rows) == MAX_IMPORT_ROWS
    rejected = refusal(HEADER_LINE + ROW_LINE * (MAX_IMPORT_ROWS + 1))
    assert (rejected.reason, rejected.limit) == ("too_many_rows", MAX_IMPORT_ROWS)
    blank = refusal(HEADER_LINE + b"\r\n" * MAX_LINES + ROW_LINE)
    assert blank.reason == "too_many_rows"


def test_row_limit_in_xlsx() -> None:
    rows = [["Bedrijf", "Titel", "Startdatum", "Dienst"]]
    rows += [["Jansen", "Excel", "31/03/2026", "Opleiding"]] * (MAX_IMPORT_ROWS + 1)
    assert refusal(xlsx(rows), "lijst.xlsx").reason == "too_many_rows"


def test_sheet_wider_than_a_list() -> None:
    wide = ["Bedrijf", "Titel", "Startdatum", "Dienst"] + [None] * (MAX_COLUMNS - 4) + ["x"]
    assert refusal(xlsx([wide]), "lijst.xlsx").reason == "not_a_table"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf", HEADER_LINE, b"\xff\xfe"]),
    data=st.binary(max_size=3000),
)
def test_any_bytes_give_a_table_or_a_reason(prefix: bytes, data: bytes) -> None:
    assert isinstance(read_table(prefix + data, "x.csv"), Table | TableRejected)


# ------------------------------------------------------------------------------ result file


def test_result_csv_has_one_line_per_input_line_and_the_links() -> None:
    table = sample("fifty_rows.csv")
    plan = plan_of(table)
    links_by_key = {row.key: invitation_link("vigc_kmo_bot", new_code()) for row in plan.rows}
    links, remarks = result_columns(plan, links_by_key)
    out = result_csv(table, links, remarks)
    records = csv_records(out)
    assert len(records) == 1 + len(table.rows) == 51
    assert records[0] == [*(str(cell) for cell in table.header), "Link", "Opmerking"]
    for row, record in zip(table.rows, records[1:], strict=True):
        assert record[:-2] == list(row)
    by_line = dict(enumerate(records, start=1))
    assert by_line[8][-2:] == ["", "31/02/2026 bestaat niet. Niet aangemaakt."]
    assert by_line[20][-2:] == ["", "Dienst “Coaching” ken ik niet. Niet aangemaakt."]
    assert by_line[33][-2:] == ["", "Bedrijfsnaam ontbreekt. Niet aangemaakt."]
    assert by_line[45][-2:] == [by_line[12][-2], "Zelfde dossier als regel 12"]
    for row in plan.rows:
        assert by_line[row.line][-2:] == [links_by_key[row.key], ""]


def test_sending_the_result_file_again_changes_nothing() -> None:
    table = sample("fifty_rows.csv")
    plan = plan_of(table)
    links_by_key = {
        row.key: f"https://t.me/vigc_kmo_bot?start={row.line:0>22}" for row in plan.rows
    }
    known = set(links_by_key)
    links, remarks = result_columns(plan, links_by_key)
    out = result_csv(table, links, remarks)
    again = table_of(out, "lijst-met-links.csv")
    replan = plan_of(again)
    assert [row.key for row in replan.rows] == [row.key for row in plan.rows]
    assert replan.duplicates == plan.duplicates
    assert replan.error_lines == plan.error_lines
    # Written once more: the Link and Opmerking columns are filled in, not added again.
    links, remarks = result_columns(replan, links_by_key, known)
    records = csv_records(result_csv(again, links, remarks))
    assert records[0][-2:] == ["Link", "Opmerking"]
    assert len(records[0]) == len(table.header) + 2
    assert records[1][-2:] == [
        links_by_key[plan.rows[0].key],
        "Bestond al: dezelfde link als bij de vorige import",
    ]


def test_result_csv_of_an_xlsx_shows_cells_the_belgian_way() -> None:
    data = xlsx(
        [
            ["Titel lijst"],
            ["Bedrijf", "Titel", "Startdatum", "Dienst", "Bedrag", "Actief"],
            ["Jansen; Zonen", 'Excel "pro"', datetime(2026, 3, 31), "Opleiding", 1200.5, True],
            ["Peeters", "Word", datetime(2026, 2, 28, 14, 30), "Opleiding", 99, False],
        ]
    )
    table = table_of(data, "lijst.xlsx")
    plan = plan_of(table)
    links, remarks = result_columns(plan, {row.key: "L" for row in plan.rows})
    records = csv_records(result_csv(table, links, remarks))
    assert records == [
        ["Titel lijst", "", "", "", "", "", "", ""],
        ["Bedrijf", "Titel", "Startdatum", "Dienst", "Bedrag", "Actief", "Link", "Opmerking"],
        ["Jansen; Zonen", 'Excel "pro"', "31/03/2026", "Opleiding", "1200,5", "WAAR", "L", ""],
        ["Peeters", "Word", "28/02/2026 14:30", "Opleiding", "99", "ONWAAR", "L", ""],
    ]


def test_a_link_column_of_the_list_itself_is_kept() -> None:
    data = b"Bedrijf;Link;Titel;Startdatum;Dienst\r\nJansen;https://jansen.be;Excel;31/03/2026;"
    table = table_of(data + b"Opleiding\r\n")
    plan = plan_of(table)
    records = csv_records(result_csv(table, *result_columns(plan, {plan.rows[0].key: "L"})))
    assert records[0] == ["Bedrijf", "Link", "Titel", "Startdatum", "Dienst", "Link", "Opmerking"]
    assert records[1] == [
        "Jansen",
        "https://jansen.be",
        "Excel",
        "31/03/2026",
        "Opleiding",
        "L",
        "",
    ]


def test_our_cells_never_start_like_a_formula() -> None:
    table = table_of(HEADER_LINE + ROW_LINE)
    records = csv_records(result_csv(table, {2: "=HYPERLINK(1)"}, {2: "-1"}))
    assert records[1][-2:] == ["'=HYPERLINK(1)", "'-1"]


def test_result_csv_keeps_ragged_and_blank_lines() -> None:
    data = HEADER_LINE + b"Jansen;Excel;31/03/2026;Opleiding;extra;cells\r\n;;;\r\n" + ROW_LINE
    table = table_of(data)
    plan = plan_of(table)
    records = csv_records(result_csv(table, *result_columns(plan, {plan.rows[0].key: "L"})))
    assert [len(record) for record in records] == [8, 8, 8, 8]
    assert records[0][-2:] == ["Link", "Opmerking"]
    assert records[2] == [""] * 8
    assert records[3][-2:] == ["L", "Zelfde dossier als regel 2"]


PRINTABLE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
    | st.sampled_from(";,\"'\n\t "),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(PRINTABLE, min_size=4, max_size=4), min_size=1, max_size=12))
def test_any_cells_survive_the_round_trip(rows: list[list[str]]) -> None:
    rows[0] = ["Jansen", "Excel", "31/03/2026", "Opleiding"]  # at least one filled line
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([["Bedrijf", "Titel", "Startdatum", "Dienst"], *rows])
    table = table_of(out.getvalue().encode("utf-8"))
    plan = plan_of(table)
    links, remarks = result_columns(plan, {row.key: "L" for row in plan.rows})
    records = csv_records(result_csv(table, links, remarks))
    assert len(records) == 1 + len(table.rows)
    for original, record in zip(rows, records[1:], strict=False):
        if not is_empty_row(original):
            assert record[:4] == original


# ------------------------------------------------------------------------------ QR codes


def png_pixels(data: bytes) -> list[list[int]]:
    """Decode a 1-bit greyscale PNG (what segno writes) into rows of 0 (black) and 1."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position, idat, width, height = 8, b"", 0, 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (1, 0)
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = (width + 7) // 8
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - 1] if x else 0
            up, corner = previous[x], previous[x - 1] if x else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                near = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - corner), 2, corner),
                )
                line[x] = (line[x] + near[2]) & 0xFF
        pixels.append([(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = line
    return pixels


@pytest.mark.parametrize(
    "link",
    [
        "https://t.me/vigc_kmo_bot?start=AbC-def_0123456789xyz",
        invitation_link("VIGC_KMO_portefeuille_bot", new_code()),
    ],
)
def test_qr_png_draws_the_link_matrix_at_print_size(link: str) -> None:
    code = segno.make(link, error="m", micro=False)
    assert code.error in ("M", "Q", "H")  # at least M: a crease or a stain is fine
    pixels = png_pixels(qr_png(link))
    modules = len(code.matrix) + 2 * QR_BORDER
    assert len(pixels) == len(pixels[0]) == modules * QR_SCALE >= 370
    for y in range(modules):
        for x in range(modules):
            inside = QR_BORDER <= x < modules - QR_BORDER and QR_BORDER <= y < modules - QR_BORDER
            dark = inside and code.matrix[y - QR_BORDER][x - QR_BORDER]
            # The middle pixel of each module: 0 is black.
            assert pixels[y * QR_SCALE + QR_SCALE // 2][x * QR_SCALE + QR_SCALE // 2] == (
                0 if dark else 1
            )


def test_qr_zip_holds_one_png_per_link_under_safe_unique_names() -> None:
    items = {
        "Regel 2 – Café Élise": "https://t.me/vigc_kmo_bot?start=AAAAAAAAAAAAAAAAAAAAAA",
        "regel 2 - cafe elise": "https://t.me/vigc_kmo_bot?start=BBBBBBBBBBBBBBBBBBBBBB",
        "../../etc/passwd": "https://t.me/vigc_kmo_bot?start=CCCCCCCCCCCCCCCCCCCCCC",
        "CON": "https://t.me/vigc_kmo_bot?start=DDDDDDDDDDDDDDDDDDDDDD",
        "": "https://t.me/vigc_kmo_bot?start=EEEEEEEEEEEEEEEEEEEEEE",
        "x.png": "https://t.me/vigc_kmo_bot?start=FFFFFFFFFFFFFFFFFFFFFF",
    }
    data = qr_zip(items)
    assert data == qr_zip(items)  # the same links give the same archive
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [
            "Regel-2-Cafe-Elise.png",
            "regel-2-cafe-elise-2.png",
            "etc-passwd.png",
            "CON-qr.png",
            "qr.png",
            "x.png",
        ]
        for name, link in zip(names, items.values(), strict=True):
            assert archive.read(name) == qr_png(link)


@given(st.text(max_size=200))
def test_safe_file_names(name: str) -> None:
    safe = safe_file_name(name)
    assert safe.endswith(".png")
    assert len(safe) <= 84
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in safe)
    assert not safe.startswith(".")
