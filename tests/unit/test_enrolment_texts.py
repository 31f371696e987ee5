"""The import's messages: preview, error phrases, refusals and remarks, rendered for real."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest

from bot.domain.enrolment import (
    ERROR_REASONS,
    FIELDS,
    MAX_COMPANY_LENGTH,
    MAX_CONTACT_LENGTH,
    MAX_TITLE_LENGTH,
    ImportPlan,
    RowError,
    plan_import,
)
from bot.domain.rules import load_rules
from bot.enrolment_files import MAX_IMPORT_ROWS, Table, TableRejected, read_table
from bot.texts import TELEGRAM_MAX_TEXT, render, visible_length

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "enrolment"
FALLBACK = "is ongeldig"


def phrase(error: RowError) -> str:
    return render("enrolment/remark", errors=[error], duplicate_of=0, known=False)


def fifty() -> ImportPlan:
    table = read_table((SAMPLES / "fifty_rows.csv").read_bytes(), "fifty_rows.csv")
    assert isinstance(table, Table)
    return plan_import(table.header, table.rows, rules=load_rules(), today=date(2026, 1, 15))


@pytest.mark.parametrize("reason", ERROR_REASONS)
@pytest.mark.parametrize("detail", ["", "checksum", "past", "future", "negative", "too_large"])
def test_every_reason_has_its_own_phrase(reason: str, detail: str) -> None:
    text = phrase(RowError(7, reason, "x", "waarde", detail))
    assert FALLBACK not in text
    assert text.endswith(". Niet aangemaakt.")


def test_phrases_that_name_a_limit_use_the_code_limits() -> None:
    assert str(MAX_TITLE_LENGTH) in phrase(RowError(2, "title_too_long", "title"))
    assert str(MAX_COMPANY_LENGTH) in phrase(RowError(2, "company_too_long", "company"))
    assert str(MAX_CONTACT_LENGTH) in phrase(RowError(2, "contact_too_long", "contact_name"))


def test_preview_of_the_fifty_line_list() -> None:
    text = render("enrolment/preview", plan=fifty(), known=0)
    assert text == (
        "📋 <b>Voorbeeld van de import</b>\n\n"
        "✅ 46 nieuwe dossiers klaar om aan te maken\n"
        "🔁 1 regel herhaalt een eerdere regel: geen extra dossier\n"
        "⚠️ <b>3 regels met fouten</b>, die ik oversla:\n"
        "• regel 8 — 31/02/2026 bestaat niet\n"
        "• regel 20 — dienst “Coaching” ken ik niet\n"
        "• regel 33 — bedrijfsnaam ontbreekt\n\n"
        "Klopt dit? Druk op <b>Bevestig</b>, en ik maak de dossiers aan. U krijgt het bestand"
        " terug met een persoonlijke link per klant. Wilt u ook een QR-code per klant om af te"
        " drukken? Kies dan <b>Bevestig, met QR-codes</b>.\n"
        "Verbeter de fouten in het bestand en stuur het opnieuw wanneer u wilt: een dossier"
        " dat al bestaat, maak ik geen tweede keer aan."
    )


def test_preview_of_a_list_sent_again() -> None:
    plan = fifty()
    text = render("enrolment/preview", plan=plan, known=plan.ready)
    assert "✅ 0 nieuwe dossiers" in text
    assert "♻️ 46 dossiers bestaan al en blijven ongewijzigd" in text
    assert "Er is niets nieuws om aan te maken." in text
    one = render("enrolment/preview", plan=plan, known=45)
    assert "✅ 1 nieuw dossier klaar" in one


def _plan_with_errors(count: int, value: str = "31/02/2026") -> ImportPlan:
    errors = tuple(
        RowError(line, reason, "start_date", value)
        for line in range(2, 2 + count)
        for reason in ("impossible_date", "missing_company")
    )
    return ImportPlan(
        rows=(),
        errors=errors,
        duplicates=MappingProxyType({}),
        lines=count,
        empty_lines=0,
    )


def test_preview_with_five_thousand_bad_lines_fits_one_message() -> None:
    plan = _plan_with_errors(MAX_IMPORT_ROWS, value="<b>" + "€" * 60)
    text = render("enrolment/preview", plan=plan, known=0)  # render fails above 4,096
    assert visible_length(text) < TELEGRAM_MAX_TEXT // 2
    assert "<b>5.000 regels met fouten</b>" in text
    assert text.count("• regel ") == 5
    assert "… en nog 9.990 fouten" in text
    assert "&lt;b&gt;" in text  # values are escaped
    assert "<b>€" not in text


def test_preview_shows_one_line_per_row_and_all_its_errors() -> None:
    text = render("enrolment/preview", plan=_plan_with_errors(1), known=0)
    assert "• regel 2 — 31/02/2026 bestaat niet; bedrijfsnaam ontbreekt\n" in text
    assert "en nog" not in text


@pytest.mark.parametrize(
    "rejected",
    [
        TableRejected("too_large", limit=4),
        TableRejected("too_many_rows", limit=MAX_IMPORT_ROWS),
        TableRejected("not_a_table"),
        TableRejected("unsupported_spreadsheet", detail="xls"),
        TableRejected("unsupported_spreadsheet", detail="ods"),
        TableRejected("unsupported_spreadsheet", detail="xlsb"),
        TableRejected("unsupported_spreadsheet", detail="html"),
        TableRejected("empty"),
        TableRejected("no_header"),
        TableRejected("missing_columns", missing=("title",)),
        TableRejected("no_rows"),
    ],
)
def test_every_refusal_is_explained(rejected: TableRejected) -> None:
    text = render("enrolment/rejected", rejected=rejected)
    assert text.startswith("⚠️ ")
    assert visible_length(text) < 400
    assert "geen tabel die ik kan lezen" not in text or rejected.reason == "not_a_table"


def test_refusal_texts_name_the_limits_and_the_columns() -> None:
    assert "4 MB" in render("enrolment/rejected", rejected=TableRejected("too_large", limit=4))
    rows = render("enrolment/rejected", rejected=TableRejected("too_many_rows", limit=5000))
    assert "5.000 regels" in rows
    missing = render(
        "enrolment/rejected",
        rejected=TableRejected("missing_columns", missing=("title", "start_date", "service")),
    )
    assert "Deze kolommen ontbreken: <b>Titel</b>, <b>Startdatum</b> en <b>Dienst</b>." in missing
    one = render(
        "enrolment/rejected", rejected=TableRejected("missing_columns", missing=FIELDS[:1])
    )
    assert "Deze kolom ontbreekt: <b>Bedrijf</b>." in one


def test_remarks_for_repeated_and_known_lines() -> None:
    assert render("enrolment/remark", errors=[], duplicate_of=12, known=False) == (
        "Zelfde dossier als regel 12"
    )
    assert render("enrolment/remark", errors=[], duplicate_of=0, known=True).startswith(
        "Bestond al"
    )
    assert render("enrolment/remark", errors=[], duplicate_of=0, known=False) == ""
