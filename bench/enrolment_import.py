"""Enrolment import benchmark: a 5,000-line list read, checked and answered with links.

    python bench/enrolment_import.py [--rows 5000] [--rounds 3] [--qr 200] [--check]

Builds in memory, from the same random (seeded) rows: a CSV as Belgian Excel saves it
(";", UTF-8 with BOM, dates as 31/03/2026, amounts as 1.250,00) and an .xlsx with real
date and number cells, each with 12 columns of which 2 are ignored, about 1 % wrong lines
and 0.5 % repeated lines. Then it times, best of `--rounds`:

- read_table (CSV and .xlsx);
- plan_import of the rows (rules of each start date, every field checked);
- result_columns + result_csv with a link for every dossier;
- the whole path, read + plan + result file (target: under 5 s for 5,000 lines);
- qr_png for `--qr` links, qr_zip for them, and the projection to every line.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import openpyxl
from _common import figure, machine

from bot.domain.enrolment import ImportPlan, plan_import
from bot.domain.invitations import invitation_link, new_code
from bot.domain.rules import load_rules
from bot.enrolment_files import (
    Table,
    qr_png,
    qr_zip,
    read_table,
    result_columns,
    result_csv,
)

TODAY = date(2026, 1, 15)
TARGET_TOTAL_S = 5.0
BOT = "vigc_kmo_bot"
HEADER = [
    "Bedrijf",
    "KBO-nummer",
    "Dienst",
    "Thema",
    "Titel opleiding",
    "Startdatum",
    "Bedrag excl. btw",
    "Grootte",
    "Contactpersoon",
    "E-mail",
    "Adres",
    "Opmerking VIGC",
]
FIRMS = ["Bakkerij", "Drukkerij", "Garage", "Studio", "Schrijnwerkerij", "Brouwerij", "Apotheek"]
NAMES = ["Claes", "Peeters", "Wouters", "Maes", "Van Damme", "Janssens", "De Smet", "Willems"]
TITLES = [
    "Excel gevorderd",
    "Leidinggeven voor teamleiders",
    "Veilig werken met AI",
    "Boekhouding voor kmo's",
    "Cyberhygiëne op de werkvloer",
    "Timemanagement",
]
T = TypeVar("T")


def enterprise_number(seed: int) -> str:
    first = f"0{2_000_000 + seed * 613:07d}"
    return f"{first[:4]}.{first[4:7]}.{first[7]}{97 - int(first) % 97:02d}"


def build_rows(count: int, seed: int = 2026) -> list[list[Any]]:
    """Rows as Python values: dates as `date`, amounts as float (the .xlsx cells)."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    for number in range(1, count + 1):
        start = TODAY + timedelta(days=rng.randrange(20, 330))
        service = rng.choice(["Opleiding", "Opleiding", "Opleiding", "Advies"])
        row: list[Any] = [
            f"{rng.choice(FIRMS)} {rng.choice(NAMES)} {number}",
            enterprise_number(number) if rng.random() < 0.8 else "",
            service,
            "Cybersecurity" if service == "Advies" else rng.choice(["", "", "Algemeen"]),
            rng.choice(TITLES),
            start,
            float(rng.randrange(200, 5000)),
            rng.choice(["klein", "middelgroot", ""]),
            f"{rng.choice(['An', 'Bart', 'Els', 'Koen', 'Sofie'])} {rng.choice(NAMES)}",
            f"info{number}@example.be",
            f"Kerkstraat {number}, 9000 Gent",
            rng.choice(["", "", "betaalt via portefeuille", "vraagt factuur"]),
        ]
        roll = rng.random()
        if roll < 0.004:
            row[5] = "31/02/2026"
        elif roll < 0.007:
            row[2] = "Coaching"
        elif roll < 0.010:
            row[0] = ""
        elif roll < 0.015 and rows:
            row = list(rows[rng.randrange(len(rows))])  # the same client enrolled twice
        rows.append(row)
    return rows


def as_csv(rows: list[list[Any]]) -> bytes:
    def text(value: Any) -> str:
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, float):
            whole = f"{value:,.2f}"  # 1,250.00 -> 1.250,00
            return whole.translate(str.maketrans(",.", ".,"))
        return str(value)

    lines = [";".join(HEADER)] + [";".join(text(value) for value in row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def as_xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Inschrijvingen")
    sheet.append(HEADER)
    for row in rows:
        cells = [
            datetime.combine(value, datetime.min.time()) if isinstance(value, date) else value
            for value in row
        ]
        sheet.append([None if value == "" else value for value in cells])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def best(rounds: int, action: Callable[[], T]) -> tuple[float, T]:
    """The fastest of `rounds` runs, in seconds, and the last result."""
    times = []
    result: T | None = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    assert result is not None
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=5_000, help="lines in the list (5000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per figure; the best (3)")
    parser.add_argument("--qr", type=int, default=200, help="QR codes to draw (200)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= 5_000 or args.rounds < 1 or args.qr < 1:
        parser.error("--rows must be 1 to 5000, --rounds and --qr at least 1")

    print(f"Enrolment import benchmark: {args.rows:,} lines")
    print(f"machine: {machine()}")
    rules = load_rules()
    rows = build_rows(args.rows)
    csv_data, xlsx_data = as_csv(rows), as_xlsx(rows)
    print(f"input: CSV {len(csv_data) / 1024:,.0f} KB, xlsx {len(xlsx_data) / 1024:,.0f} KB")

    def read(data: bytes, name: str) -> Table:
        table = read_table(data, name)
        if not isinstance(table, Table):
            raise SystemExit(f"{name} refused: {table}")
        return table

    def plan(table: Table) -> ImportPlan:
        return plan_import(
            table.header, table.rows, rules=rules, today=TODAY, first_line=table.first_line
        )

    csv_read, csv_table = best(args.rounds, lambda: read(csv_data, "lijst.csv"))
    xlsx_read, xlsx_table = best(args.rounds, lambda: read(xlsx_data, "lijst.xlsx"))
    plan_time, the_plan = best(args.rounds, lambda: plan(csv_table))
    if plan(xlsx_table) != the_plan:
        raise SystemExit("the .xlsx and the CSV give different plans")
    links_by_key = {row.key: invitation_link(BOT, new_code()) for row in the_plan.rows}

    def answer() -> bytes:
        return result_csv(csv_table, *result_columns(the_plan, links_by_key))

    result_time, output = best(args.rounds, answer)
    print(
        f"plan: {the_plan.ready:,} dossiers, {len(the_plan.duplicates):,} repeated lines,"
        f" {len(the_plan.error_lines):,} lines with errors"
    )
    print()
    figure("read CSV", csv_read * 1000, "ms", fmt=".0f")
    figure("read xlsx", xlsx_read * 1000, "ms", fmt=".0f")
    figure("plan", plan_time * 1000, "ms", fmt=".0f")
    figure("result CSV", result_time * 1000, "ms", fmt=".0f")
    ok = figure(
        "total CSV (read + plan + result)",
        csv_read + plan_time + result_time,
        "s",
        target=TARGET_TOTAL_S,
        fmt=".2f",
    )
    ok &= figure(
        "total xlsx (read + plan + result)",
        xlsx_read + plan_time + result_time,
        "s",
        target=TARGET_TOTAL_S,
        fmt=".2f",
    )
    figure("output CSV size", len(output) / 1024, "KB", fmt=",.0f")

    links = list(links_by_key.values())[: args.qr]
    qr_time, _ = best(1, lambda: [qr_png(link) for link in links])
    per_code = qr_time / len(links)
    zip_time, archive = best(
        1, lambda: qr_zip({f"regel {i}": link for i, link in enumerate(links)})
    )
    figure("QR code", per_code * 1000, "ms each", fmt=".1f")
    figure(f"QR zip of {len(links):,}", zip_time, f"s, {len(archive) / 1024:,.0f} KB", fmt=".2f")
    figure(
        f"QR zip of {the_plan.ready:,} (projected)",
        per_code * the_plan.ready,
        f"s, about {len(archive) / len(links) * the_plan.ready / 2**20:,.1f} MB",
        fmt=".1f",
    )
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
