"""Checking enrolment rows into dossiers: headers, every field, errors, duplicates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.enrolment import (
    FIELDS,
    HEADER_ALIASES,
    MAX_COMPANY_LENGTH,
    MAX_TITLE_LENGTH,
    EnrolmentRow,
    ImportPlan,
    RowError,
    cell_text,
    header_field,
    map_header,
    plan_import,
)
from bot.domain.rules import load_rules

RULES = load_rules()
TODAY = date(2026, 1, 15)
HEADER = ("Bedrijf", "Ondernemingsnummer", "Dienst", "Thema", "Titel", "Startdatum", "Bedrag")
GOOD = ("Jansen bv", "0403.170.701", "Opleiding", "", "Excel basis", "31/03/2026", "1.250")


def plan_of(
    *rows: Sequence[object], header: Sequence[object] = HEADER, **options: Any
) -> ImportPlan:
    return plan_import(header, rows, rules=RULES, today=TODAY, **options)


def only_row(*cells: object, **options: Any) -> EnrolmentRow:
    plan = plan_of(cells, **options)
    assert not plan.errors, plan.errors
    assert len(plan.rows) == 1
    return plan.rows[0]


def errors_of(*cells: object, **options: Any) -> list[tuple[str, str, str]]:
    return [(e.reason, e.value, e.detail) for e in plan_of(cells, **options).errors]


def with_cell(name: str, value: object) -> tuple[object, ...]:
    """GOOD with one field replaced."""
    cells: list[object] = list(GOOD)
    cells[[header_field(cell) for cell in HEADER].index(name)] = value
    return tuple(cells)


# ------------------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Bedrijf", "company"),
        ("BEDRIJFSNAAM", "company"),
        (" Onderneming ", "company"),
        ("Firma", "company"),
        ("Klant", "company"),
        ("Organisatie", "company"),
        ("Company name", "company"),
        ("Ondernemingsnummer", "enterprise_number"),
        ("KBO", "enterprise_number"),
        ("KBO-nummer", "enterprise_number"),
        ("kbo nummer", "enterprise_number"),
        ("Kbo_Nummer", "enterprise_number"),
        ("BTW-nummer", "enterprise_number"),
        ("btw", "enterprise_number"),
        ("VAT number", "enterprise_number"),
        ("Dienst", "service"),
        ("Soort", "service"),
        ("Type", "service"),
        ("Dienstverlening", "service"),
        ("Thema", "theme"),
        ("Titel", "title"),
        ("Opleiding", "title"),
        ("Project", "title"),
        ("Cursus", "title"),
        ("Omschrijving", "title"),
        ("Naam opleiding", "title"),
        ("naam-opleiding", "title"),
        ("Startdatum", "start_date"),
        ("Start", "start_date"),
        ("Begindatum", "start_date"),
        ("Begin-datum", "start_date"),
        ("Datum", "start_date"),
        ("Startdatum opleiding", "start_date"),
        ("Start date", "start_date"),
        ("Bedrag", "amount"),
        ("Prijs", "amount"),
        ("Kostprijs", "amount"),
        ("Bedrag excl btw", "amount"),
        ("Bedrag excl. BTW", "amount"),
        ("Bedrag (excl. btw) €", "amount"),
        ("Grootte", "size"),
        ("Omvang", "size"),
        ("KMO-grootte", "size"),
        ("Ondernemingsgrootte", "size"),
        ("Contact", "contact_name"),
        ("Contactpersoon", "contact_name"),
        ("Naam contactpersoon", "contact_name"),
        ("E-mail", "email"),
        ("Email", "email"),
        ("Mail", "email"),
        ("E-mailadres", "email"),
        ("Ë-mail", "email"),  # accents fold away
    ],
)
def test_header_aliases(text: str, name: str) -> None:
    assert header_field(text) == name


@pytest.mark.parametrize("text", ["Opmerking", "Adres", "Naam", "", None, 12, "Link"])
def test_other_columns_are_ignored(text: object) -> None:
    assert header_field(text) is None


def test_every_field_has_aliases_and_its_own_name_works() -> None:
    assert set(HEADER_ALIASES) == set(FIELDS)
    for name in FIELDS:
        assert header_field(name) == name


def test_first_column_wins_and_required_columns_are_named() -> None:
    columns = map_header(["Klant", "Bedrijf", "Titel", "Opmerking"])
    assert columns.columns == {"company": 0, "title": 2}
    assert columns.missing == ("start_date", "service")
    defaulted = map_header(["Klant", "Titel", "Datum"], default_service="opleiding")
    assert defaulted.missing == ()


def test_missing_columns_give_a_plan_without_rows() -> None:
    plan = plan_of(("Jansen", "Excel"), header=("Bedrijf", "Titel"))
    assert plan.missing_columns == ("start_date", "service")
    assert plan.rows == ()
    assert plan.errors == ()


# ------------------------------------------------------------------------------ a good row


def test_a_good_row_becomes_a_dossier() -> None:
    row = only_row(*GOOD)
    assert row == EnrolmentRow(
        line=2,
        key="kbo:0403170701|excel basis|2026-03-31",
        company="Jansen bv",
        enterprise_number="0403170701",
        service="opleiding",
        theme="algemeen",
        title="Excel basis",
        start_date=date(2026, 3, 31),
        amount=Decimal("1250.00"),
        size=None,
        contact_name=None,
        email=None,
    )


def test_all_optional_fields() -> None:
    header = (*HEADER, "Grootte", "Contactpersoon", "E-mail", "Notitie")
    cells = (*GOOD, "Kleine onderneming", "  An   Peeters ", "mailto:an@jansen.be", "x")
    row = only_row(*cells, header=header)
    assert (row.size, row.contact_name, row.email) == ("klein", "An Peeters", "an@jansen.be")


def test_text_is_put_on_one_line() -> None:
    row = only_row(*with_cell("title", "  Excel\n basis \t"))
    assert row.title == "Excel basis"


# ------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    "cell",
    [
        "31/01/2026",
        "31-1-2026",
        "31/01/26",
        "31.01.2026",
        "2026-01-31",
        "20260131",
        " 31/01/2026 ",
        "31/01/2026 0:00",
        "31/01/2026 00:00:00",
        "2026-01-31T00:00:00",
        "46053",
        "46053,75",
        46053,
        46053.75,
        Decimal(46053),
        datetime(2026, 1, 31, 0, 0),
        datetime(2026, 1, 31, 14, 30),
        date(2026, 1, 31),
    ],
)
def test_dates_as_excel_writes_them(cell: object) -> None:
    assert only_row(*with_cell("start_date", cell)).start_date == date(2026, 1, 31)


@pytest.mark.parametrize(
    ("cell", "reason", "detail"),
    [
        ("31/02/2026", "impossible_date", ""),
        ("2026-02-30", "impossible_date", ""),
        ("20260230", "impossible_date", ""),
        ("", "missing_date", ""),
        ("   ", "missing_date", ""),
        (None, "missing_date", ""),
        ("volgende week", "unreadable_date", ""),
        ("1/1/2026/1", "unreadable_date", ""),
        ("9" * 200, "unreadable_date", ""),
        (True, "unreadable_date", ""),
        (12, "unreadable_date", ""),
        (math.nan, "unreadable_date", ""),
        (math.inf, "unreadable_date", ""),
        (Decimal("sNaN"), "unreadable_date", ""),
        (time(9, 30), "unreadable_date", ""),
        ("1/1/2025", "date_out_of_range", "past"),
        ("1/1/2005", "date_out_of_range", "past"),
        ("1/1/1999", "date_out_of_range", "past"),
        ("31/12/9999", "date_out_of_range", "future"),
        ("1/2/2028", "date_out_of_range", "future"),
        (datetime(9999, 12, 31), "date_out_of_range", "future"),
    ],
)
def test_wrong_dates(cell: object, reason: str, detail: str) -> None:
    [(found, _value, found_detail)] = errors_of(*with_cell("start_date", cell))
    assert (found, found_detail) == (reason, detail)


def test_impossible_date_keeps_what_was_typed() -> None:
    assert errors_of(*with_cell("start_date", "31/02/2026")) == [
        ("impossible_date", "31/02/2026", "")
    ]


def test_date_window_can_be_widened() -> None:
    cells = with_cell("start_date", "1/4/2029")
    row = only_row(*cells, latest=date(2030, 1, 1))
    assert row.start_date == date(2029, 4, 1)
    # A start inside a widened past window, but too long ago to apply for: refused.
    [(reason, value, _)] = errors_of(
        *with_cell("start_date", "1/4/2016"), earliest=date(2009, 4, 1)
    )
    assert (reason, value) == ("deadline_passed", "1/4/2016")
    # Before the first scheme there are no rules, whatever the window.
    [(reason, _, detail)] = errors_of(
        *with_cell("start_date", "1/1/2005"), earliest=date(2000, 1, 1)
    )
    assert (reason, detail) == ("date_out_of_range", "past")


# ------------------------------------------------------------------------------ services


@pytest.mark.parametrize(
    "cell", ["Opleiding", "opleiding", "OPLEIDING ", "Training", "opleidingen"]
)
def test_service_by_name_or_code(cell: str) -> None:
    assert only_row(*with_cell("service", cell)).service == "opleiding"


def test_service_and_theme_follow_the_scheme_of_the_start_date() -> None:
    before = list(with_cell("service", "Advies"))
    before[5] = "20/01/2026"  # the 2020 scheme: advice has three themes, "algemeen" is default
    assert (only_row(*before).service, only_row(*before).theme) == ("advies", "algemeen")
    after = with_cell("service", "Advies")  # 31/03/2026: advice only for cybersecurity
    assert (only_row(*after).service, only_row(*after).theme) == ("advies", "cybersecurity")
    general = list(after)
    general[3] = "Algemeen"
    assert errors_of(*general) == [("unknown_theme", "Algemeen", "")]


@pytest.mark.parametrize(
    ("theme", "code"),
    [
        ("Cybersecurity", "cybersecurity"),
        ("cyber", "cybersecurity"),
        ("Energie-efficiëntie", "energie_efficientie"),
        ("energie efficientie", "energie_efficientie"),
        ("ALGEMEEN", "algemeen"),
        ("", "algemeen"),
    ],
)
def test_theme_by_name_or_code(theme: str, code: str) -> None:
    assert only_row(*with_cell("theme", theme)).theme == code


@pytest.mark.parametrize(
    ("service", "reason"),
    [
        ("Coaching", "unknown_service"),
        ("Technologieverkenning", "service_not_offered"),  # only in the 2009 scheme
        ("advies_internationaal", "service_not_offered"),
        ("", "missing_service"),
    ],
)
def test_wrong_services(service: str, reason: str) -> None:
    assert errors_of(*with_cell("service", service)) == [(reason, service, "")]


def test_default_service() -> None:
    header = ("Bedrijf", "Titel", "Startdatum")
    row = only_row("Jansen", "Excel", "31/03/2026", header=header, default_service="opleiding")
    assert (row.service, row.theme) == ("opleiding", "algemeen")
    # An empty service cell takes the default too; a filled one wins over it.
    row = only_row(*with_cell("service", ""), default_service="advies")
    assert row.service == "advies"
    row = only_row(*with_cell("service", "Opleiding"), default_service="advies")
    assert row.service == "opleiding"


def test_unknown_service_with_a_wrong_date_reports_both() -> None:
    cells = list(with_cell("service", "Coaching"))
    cells[5] = "31/02/2026"
    assert [reason for reason, _, _ in errors_of(*cells)] == [
        "impossible_date",
        "unknown_service",
    ]
    cells[2] = "Opleiding"  # a known service is not blamed for the date
    assert [reason for reason, _, _ in errors_of(*cells)] == ["impossible_date"]


# ------------------------------------------------------------------------------ other fields


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("BE 0403.170.701", "0403170701"),
        ("0403170701", "0403170701"),
        (403170701, "0403170701"),  # a number cell lost its leading 0
        (403170701.0, "0403170701"),
        ("", None),
        (None, None),
    ],
)
def test_enterprise_numbers(cell: object, number: str | None) -> None:
    assert only_row(*with_cell("enterprise_number", cell)).enterprise_number == number


@pytest.mark.parametrize(
    ("cell", "detail"),
    [("0403.170.702", "checksum"), ("abc", "form"), (True, "form"), (1.5, "form")],
)
def test_wrong_enterprise_numbers(cell: object, detail: str) -> None:
    [(reason, _, found)] = errors_of(*with_cell("enterprise_number", cell))
    assert (reason, found) == ("bad_enterprise_number", detail)


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("1.250", Decimal("1250.00")),
        ("€ 800", Decimal("800.00")),
        ("1.234,56", Decimal("1234.56")),
        (1200.5, Decimal("1200.50")),
        (1200, Decimal("1200.00")),
        (Decimal("99.999"), Decimal("100.00")),
        ("", None),
        (None, None),
    ],
)
def test_amounts(cell: object, amount: Decimal | None) -> None:
    assert only_row(*with_cell("amount", cell)).amount == amount


@pytest.mark.parametrize(
    ("cell", "detail"),
    [
        ("-5", "negative"),
        (-5, "negative"),
        ("veel", "unreadable"),
        ("12,3456", "unreadable"),
        (math.nan, "unreadable"),
        (False, "unreadable"),
        (10**9, "too_large"),
        ("20.000.000", "too_large"),
    ],
)
def test_wrong_amounts(cell: object, detail: str) -> None:
    [(reason, _, found)] = errors_of(*with_cell("amount", cell))
    assert (reason, found) == ("bad_amount", detail)


SIZE_HEADER = (*HEADER, "Grootte", "E-mail")


@pytest.mark.parametrize(
    ("cell", "size"),
    [
        ("klein", "klein"),
        ("Kleine onderneming", "klein"),
        ("small", "klein"),
        ("Middelgroot", "middelgroot"),
        ("middelgrote onderneming", "middelgroot"),
        ("Medium", "middelgroot"),
        ("", None),
    ],
)
def test_sizes(cell: str, size: str | None) -> None:
    assert only_row(*GOOD, cell, "", header=SIZE_HEADER).size == size


@pytest.mark.parametrize("cell", ["groot", "grote onderneming", "kmo"])
def test_wrong_sizes(cell: str) -> None:
    assert errors_of(*GOOD, cell, "", header=SIZE_HEADER) == [("bad_size", cell, "")]


@pytest.mark.parametrize("cell", ["nope", "a@b", "a b@c.be", "a@b@c.be", "@c.be", "a@.be"])
def test_wrong_email(cell: str) -> None:
    assert errors_of(*GOOD, "", cell, header=SIZE_HEADER) == [("bad_email", cell, "")]


def test_length_limits() -> None:
    assert only_row(*with_cell("company", "x" * MAX_COMPANY_LENGTH))
    assert only_row(*with_cell("title", "x" * MAX_TITLE_LENGTH))
    long_company = errors_of(*with_cell("company", "x" * (MAX_COMPANY_LENGTH + 1)))
    assert [reason for reason, _, _ in long_company] == ["company_too_long"]
    [(reason, value, _)] = errors_of(*with_cell("title", "y" * (MAX_TITLE_LENGTH + 1)))
    assert reason == "title_too_long"
    assert len(value) <= 40  # what the preview shows back is cut short
    assert value.endswith("…")


def test_every_error_of_a_row_is_reported_in_field_order() -> None:
    header = (*HEADER, "Grootte", "Contactpersoon", "E-mail")
    cells = ("", "123", "Coaching", "", "", "31/02/2026", "-3", "groot", "x" * 121, "@")
    plan = plan_of(cells, header=header)
    assert [error.reason for error in plan.errors] == [
        "missing_company",
        "bad_enterprise_number",
        "impossible_date",
        "unknown_service",
        "missing_title",
        "bad_amount",
        "bad_size",
        "contact_too_long",
        "bad_email",
    ]
    assert {error.line for error in plan.errors} == {2}
    assert plan.error_lines == (2,)


# ------------------------------------------------------------------------------ lines, keys


def test_line_numbers_are_excel_lines_and_blank_lines_are_counted() -> None:
    rows = [GOOD, ("", "", None), with_cell("company", ""), (), with_cell("title", "Word")]
    plan = plan_of(*rows)
    assert [row.line for row in plan.rows] == [2, 6]
    assert plan.error_lines == (4,)
    assert (plan.lines, plan.empty_lines) == (5, 2)
    shifted = plan_of(*rows, first_line=4)  # two title lines above the header
    assert [row.line for row in shifted.rows] == [4, 8]


def test_short_rows_are_fine() -> None:
    plan = plan_of(("Jansen", "", "Opleiding", "", "Excel", "31/03/2026"), ("Jansen",))
    assert plan.ready == 1
    assert {error.reason for error in plan.errors} == {
        "missing_service",
        "missing_title",
        "missing_date",
    }


def test_repeated_rows_are_one_dossier() -> None:
    first = with_cell("title", "Excel – Basis!")
    same = list(with_cell("title", "excel basis"))
    same[5] = "2026-03-31"
    other_day = with_cell("start_date", "1/4/2026")
    plan = plan_of(first, GOOD, same, other_day)
    assert [row.line for row in plan.rows] == [2, 5]
    assert plan.duplicates == {3: 2, 4: 2}
    assert plan.links_by_line({plan.rows[0].key: "L1", plan.rows[1].key: "L2"}) == {
        2: "L1",
        3: "L1",
        4: "L1",
        5: "L2",
    }


def test_key_uses_the_company_name_without_a_number() -> None:
    one = only_row("Café  Élise", "", "Opleiding", "", "Wijn", "31/03/2026", "")
    two = only_row("cafe elise", "", "opleiding", "", "WIJN", "31/3/2026", "")
    assert one.key == two.key == "name:cafe elise|wijn|2026-03-31"
    numbered = only_row("Café Élise", "0403.170.701", "Opleiding", "", "Wijn", "31/03/2026", "")
    assert numbered.key.startswith("kbo:0403170701|")


def test_rows_with_errors_are_not_duplicates() -> None:
    bad = with_cell("amount", "-1")
    plan = plan_of(bad, bad, GOOD)
    assert plan.error_lines == (2, 3)
    assert plan.duplicates == {}
    assert [row.line for row in plan.rows] == [4]


def test_cell_text_shows_cells_the_belgian_way() -> None:
    assert cell_text(datetime(2026, 1, 31)) == "31/01/2026"
    assert cell_text(datetime(2026, 1, 31, 9, 5)) == "31/01/2026 09:05"
    assert cell_text(date(2026, 1, 31)) == "31/01/2026"
    assert cell_text(1200.5) == "1200,5"
    assert cell_text(46053.0) == "46053"
    assert cell_text(Decimal("12.50")) == "12,50"
    assert cell_text(True) == "WAAR"
    assert cell_text(None) == ""


# ------------------------------------------------------------------------------ never raises

CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["31/02/2026", "46053", "Advies", "Opleiding", "0403.170.701", "€ 5"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
)
HEADER_CELLS = st.one_of(st.sampled_from([*HEADER, "Grootte", "E-mail", "Contact"]), CELLS)


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(HEADER_CELLS, max_size=12),
    rows=st.lists(st.lists(CELLS, max_size=12), max_size=8),
)
def test_any_cells_give_a_plan(header: list[object], rows: list[list[object]]) -> None:
    plan = plan_import(header, rows, rules=RULES, today=TODAY)
    assert plan.lines == len(rows)
    accounted = plan.ready + len(plan.duplicates) + len(plan.error_lines) + plan.empty_lines
    assert accounted == plan.lines or plan.missing_columns


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(st.text(max_size=40), min_size=7, max_size=7), max_size=10))
def test_any_strings_under_a_real_header(rows: list[list[str]]) -> None:
    plan = plan_of(*rows)
    accounted = plan.ready + len(plan.duplicates) + len(plan.error_lines) + plan.empty_lines
    assert accounted == plan.lines == len(rows)
    assert all(isinstance(error, RowError) and error.line >= 2 for error in plan.errors)
