"""Enrolment lists (issue 11): staff send a CSV or .xlsx, check the preview, confirm, and
get the same list back with a personal link per client; clients open their links; the
unopened ones reach staff the day before their deadline; wrong files are refused."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta

import segno
from openpyxl import Workbook

from bot.clock import Clock
from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from bot.enrolment_files import MAX_IMPORT_BYTES
from bot.runner import BotRuntime
from storage.dossiers import list_client_dossiers
from storage.invitations import invitation_by_code
from tests.e2e.conftest import BRUSSELS, press, say
from tests.e2e.test_invitations import LINK, qr_modules

HEADER = (
    "Bedrijf",
    "Ondernemingsnummer",
    "Dienst",
    "Titel",
    "Startdatum",
    "Bedrag",
    "Contactpersoon",
    "E-mail",
)
ROWS = 50  # data lines 2 to 51 (the header is line 1, as in Excel)
# The three lines with an error (line -> what the preview says about it).
ERRORS = {
    7: "31/11/2026 bestaat niet",
    20: "dienst “Coaching” ken ik niet",
    33: "bedrijfsnaam ontbreekt",
}
REPEATED, REPEATS = 45, 10  # line 45 repeats line 10 (the title in capitals)
GOOD = [line for line in range(2, ROWS + 2) if line not in ERRORS and line != REPEATED]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BEVESTIG, MET_QR, ANNULEER = "✅ Bevestig", "✅ Bevestig, met QR-codes", "Annuleer"


def enterprise_number(seed: int) -> str:
    """A valid Belgian enterprise number: 97 minus the first eight digits modulo 97."""
    first = 4_000_000 + seed * 7_919
    digits = f"{first:08d}{97 - first % 97:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def title_of(line: int) -> str:
    return f"Cursus {line:02d}"


def start_of(line: int) -> date:
    """1 to 5 December 2026: lines 2, 7, 12, … start on 1 December."""
    return date(2026, 12, 1 + (line - 2) % 5)


def enrolment_rows() -> list[list[object]]:
    """The list as cells: dates as dates, empty cells as None."""
    rows: list[list[object]] = []
    for line in range(2, ROWS + 2):
        rows.append(
            [
                f"Bedrijf {line:02d} bv",
                enterprise_number(line) if line % 3 else None,  # every third has none
                "Advies" if line % 4 == 0 else "Opleiding",
                title_of(line),
                start_of(line),
                1250,
                f"Contact {line}",
                f"klant{line}@example.be",
            ]
        )
    rows[7 - 2][4] = "31/11/2026"
    rows[20 - 2][2] = "Coaching"
    rows[33 - 2][0] = None
    repeated = list(rows[REPEATS - 2])
    repeated[3] = str(repeated[3]).upper()  # "CURSUS 10": case makes no difference
    rows[REPEATED - 2] = repeated
    return rows


def csv_cell(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return f"{cell.day}/{cell.month}/{cell.year}"  # as Belgian Excel writes it
    if isinstance(cell, int):
        return f"{cell:,}".replace(",", ".")  # 1.250
    return str(cell)


def as_csv(rows: list[list[object]]) -> bytes:
    lines = [";".join(HEADER)] + [";".join(csv_cell(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def as_xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for (cell,) in sheet.iter_rows(min_row=2, min_col=5, max_col=5):
        if isinstance(cell.value, datetime | date):
            cell.number_format = "d/mm/yyyy"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_result(document: SentMessage) -> dict[int, dict[str, str]]:
    """The result file: UTF-8 with BOM, ";"; its rows by Excel line number."""
    assert document.kind == "document"
    assert document.document is not None
    assert document.document.startswith(b"\xef\xbb\xbf")
    assert document.filename is not None
    assert document.filename.endswith(".csv")
    header, *rows = csv.reader(io.StringIO(document.document.decode("utf-8-sig")), delimiter=";")
    assert header == [*HEADER, "Link", "Opmerking"]
    return {line: dict(zip(header, row, strict=True)) for line, row in enumerate(rows, start=2)}


async def send_list(
    runtime: BotRuntime, staff: FakeUser, data: bytes, filename: str, mime: str = "text/csv"
) -> SentMessage:
    """Staff send a list; returns the preview."""
    await staff.send_document(data, filename, mime)
    [received] = await staff.wait_for_messages(1)
    assert "Ik lees" in received.text, received.text
    assert filename in received.text, received.text
    await runtime.imports.wait_until_idle()
    [preview] = await staff.wait_for_messages(1)
    assert "Voorbeeld van de import" in preview.text, preview.text
    return preview


async def confirm(
    runtime: BotRuntime, staff: FakeUser, button: str = BEVESTIG
) -> tuple[SentMessage, list[SentMessage]]:
    """Staff press Bevestig (with or without QR codes); returns the caption and the files."""
    [working] = await press(staff, button)
    assert "Ik maak de dossiers aan" in working.text, working.text
    await runtime.imports.wait_until_idle()
    caption, *files = await staff.wait_for_messages(3 if button == MET_QR else 2)
    assert "Import klaar" in caption.text, caption.text
    return caption, files


async def invitation_count(runtime: BotRuntime) -> int:
    row = await runtime.db.fetch_one("SELECT COUNT(*) AS n FROM invitations")
    assert row is not None
    return int(row["n"])


async def import_count(runtime: BotRuntime) -> int:
    row = await runtime.db.fetch_one("SELECT COUNT(*) AS n FROM imports")
    assert row is not None
    return int(row["n"])


async def import_the_list(runtime: BotRuntime, staff: FakeUser) -> dict[int, dict[str, str]]:
    """The 50-line CSV, previewed and confirmed; the result file by line."""
    await send_list(runtime, staff, as_csv(enrolment_rows()), "inschrijvingen december.csv")
    _, [document] = await confirm(runtime, staff)
    return read_result(document)


def assert_preview_counts(preview: SentMessage, new: int, known: int) -> None:
    text = preview.text
    assert f"✅ {new} nieuwe dossiers klaar om aan te maken" in text, text
    if known:
        assert f"♻️ {known} dossiers bestaan al en blijven ongewijzigd" in text, text
    else:
        assert "bestaan al" not in text, text
    assert "🔁 1 regel herhaalt een eerdere regel" in text, text
    assert "⚠️ 3 regels met fouten, die ik oversla:" in text, text
    for line, reason in ERRORS.items():
        assert f"• regel {line} — {reason}" in text, text
    assert text.count("• regel") == 3, text
    assert preview.buttons == [BEVESTIG, MET_QR, ANNULEER]


async def test_a_list_comes_back_with_a_link_per_line_and_twice_is_once(
    runtime: BotRuntime, staff: FakeUser
) -> None:
    rows = enrolment_rows()
    preview = await send_list(runtime, staff, as_csv(rows), "inschrijvingen december.csv")
    assert_preview_counts(preview, new=46, known=0)
    assert await invitation_count(runtime) == 0  # nothing before Bevestig

    caption, [document] = await confirm(runtime, staff)
    assert caption.text.splitlines()[:5] == [
        "✅ Import klaar",
        "46 nieuwe dossiers aangemaakt.",
        "1 regel herhaalt een andere regel.",
        "3 regels met fouten zijn niet aangemaakt; de kolom Opmerking zegt waarom.",
        "",
    ], caption.text
    assert "ZIP" not in caption.text
    assert document.filename == "inschrijvingen-december-met-links.csv"
    first = read_result(document)
    assert sorted(first) == list(range(2, ROWS + 2))  # one line out per line in
    for line in GOOD:
        assert LINK.fullmatch(first[line]["Link"]), (line, first[line])
        assert first[line]["Opmerking"] == "", (line, first[line])
        assert first[line]["Titel"] == title_of(line)
    assert len({first[line]["Link"] for line in GOOD}) == 46
    assert first[REPEATED]["Link"] == first[REPEATS]["Link"]
    assert first[REPEATED]["Opmerking"] == f"Zelfde dossier als regel {REPEATS}"
    for line, reason in ERRORS.items():
        assert first[line]["Link"] == "", (line, first[line])
        assert first[line]["Opmerking"] == f"{reason[:1].upper()}{reason[1:]}. Niet aangemaakt."
    assert first[7]["Startdatum"] == "31/11/2026"
    assert first[12]["Startdatum"] == "1/12/2026"
    assert await invitation_count(runtime) == 46
    invitation = await invitation_by_code(runtime.db, first[4]["Link"].rsplit("=", 1)[1])
    assert invitation is not None
    assert (invitation.company_name, invitation.title) == ("Bedrijf 04 bv", "Cursus 04")
    assert invitation.service == "advies"
    assert invitation.enterprise_number == enterprise_number(4).replace(".", "")
    assert invitation.start_date == date(2026, 12, 3)
    assert invitation.deadline == date(2026, 12, 17)
    assert invitation.email == "klant4@example.be"
    assert invitation.contact_name == "Contact 4"

    # The same file again: nothing new, the same links.
    preview = await send_list(runtime, staff, as_csv(rows), "inschrijvingen december.csv")
    assert_preview_counts(preview, new=0, known=46)
    assert "Er is niets nieuws om aan te maken" in preview.text
    caption, [document] = await confirm(runtime, staff)
    assert caption.text.splitlines()[1:3] == [
        "Geen nieuwe dossiers.",
        "46 bestonden al: dezelfde link als voordien.",
    ], caption.text
    again = read_result(document)
    assert {line: again[line]["Link"] for line in again} == {
        line: first[line]["Link"] for line in first
    }
    for line in GOOD:
        assert again[line]["Opmerking"] == "Bestond al: dezelfde link als bij de vorige import"
    assert await invitation_count(runtime) == 46

    # The same list as an Excel workbook with real date cells: the same list, all known.
    preview = await send_list(runtime, staff, as_xlsx(rows), "inschrijvingen.xlsx", XLSX)
    assert_preview_counts(preview, new=0, known=46)
    caption, [document] = await confirm(runtime, staff)
    assert document.filename == "inschrijvingen-met-links.csv"
    from_excel = read_result(document)
    assert {line: from_excel[line]["Link"] for line in from_excel} == {
        line: first[line]["Link"] for line in first
    }
    assert from_excel[12]["Startdatum"] == "01/12/2026"  # a date cell, shown the Belgian way
    assert await invitation_count(runtime) == 46


# Ten clients take their dossier over; one says something is wrong.
CLAIMED = (2, 12, 17, 3, 4, 5, 6, 8, 9, 10)
DISPUTED = 22
# Lines starting on 1 December (deadline Tuesday 15 December) nobody opened.
UNOPENED_FIRST = [line for line in GOOD if start_of(line) == date(2026, 12, 1)]


async def test_clients_take_their_links_over_and_staff_hear_about_the_rest(
    runtime: BotRuntime, emulator: BotApiEmulator, staff: FakeUser, clock: Clock
) -> None:
    result = await import_the_list(runtime, staff)
    clients = []
    for number, line in enumerate(CLAIMED):
        user = emulator.user(5001 + number, f"Klant{line}")
        clients.append(user)
        await user.open_link(result[line]["Link"])
        [check] = await user.wait_for_messages(1)
        assert f"Bedrijf {line:02d} bv" in check.text
        assert title_of(line) in check.text
        assert check.buttons == ["✅ Ja, dat klopt", "Nee, er klopt iets niet"]
        taken, _size = await press(user, "✅ Ja, dat klopt", replies=2)
        assert f"Uw dossier {title_of(line)}" in taken.text, taken.text
        assert "staat nu op uw naam" in taken.text
    for user, line in zip(clients, CLAIMED, strict=True):
        dossiers = await list_client_dossiers(runtime.db, user.id)
        assert [(d.title, d.start_date) for d in dossiers] == [(title_of(line), start_of(line))]
        code = result[line]["Link"].rsplit("=", 1)[1]
        invitation = await invitation_by_code(runtime.db, code)
        assert invitation is not None
        assert invitation.status == "linked"
        assert invitation.client_id == user.id

    # One client says something is wrong: staff get the remark, escaped.
    doubter = emulator.user(5100, "Twijfel")
    await doubter.open_link(result[DISPUTED]["Link"])
    await doubter.wait_for_messages(1)
    [ask] = await press(doubter, "Nee, er klopt iets niet")
    assert "Wat klopt er niet?" in ask.text
    staff.mark()
    [thanks] = await say(doubter, "Start is <12 januari> & niet 1 december")
    assert "doorgegeven aan VIGC" in thanks.text
    [alert] = await staff.wait_for_messages(1)
    assert "Klant meldt een fout" in alert.text
    assert title_of(DISPUTED) in alert.text
    assert alert.html is not None
    assert "Start is &lt;12 januari&gt; &amp; niet 1 december" in alert.html, alert.html
    invitation = await invitation_by_code(runtime.db, result[DISPUTED]["Link"].rsplit("=", 1)[1])
    assert invitation is not None
    assert invitation.status == "disputed"
    assert invitation.remark == "Start is <12 januari> & niet 1 december"
    assert await list_client_dossiers(runtime.db, doubter.id) == []

    # Another account opens a link that was used: refused politely, and staff are told.
    other = emulator.user(5200, "Collega")
    await other.open_link(result[CLAIMED[0]]["Link"])
    [refused] = await other.wait_for_messages(1)
    assert "al gebruikt" in refused.text
    [told] = await staff.wait_for_messages(1)
    assert "Gebruikte link opnieuw geopend" in told.text
    assert "5200" in told.text
    assert title_of(CLAIMED[0]) in told.text
    assert await list_client_dossiers(runtime.db, other.id) == []

    # The list again, now that some links were taken: still the same links, nothing new.
    preview = await send_list(runtime, staff, as_csv(enrolment_rows()), "opnieuw.csv")
    assert_preview_counts(preview, new=0, known=46)
    _, [document] = await confirm(runtime, staff)
    again = read_result(document)
    assert {line: row["Link"] for line, row in again.items()} == {
        line: row["Link"] for line, row in result.items()
    }
    assert await invitation_count(runtime) == 46

    # The day before the deadline of the lines starting on 1 December, at the reminder
    # time (REMINDER_TIME, 09:00 by default): one alert names those nobody took over (the
    # disputed one with the client's remark), not the taken ones.
    alerted = [line for line in UNOPENED_FIRST if line not in CLAIMED]
    assert DISPUTED in alerted
    assert len(alerted) == 6, alerted
    at_reminder_time = datetime.combine(date(2026, 12, 14), runtime.settings.reminder_time)
    clock.travel_to(at_reminder_time.replace(tzinfo=BRUSSELS) - timedelta(minutes=1))
    await runtime.pass_reminders()
    await runtime.settle()
    assert not [m for m in staff.new_messages() if "Nog niet overgenomen" in m.text]
    clock.advance(timedelta(minutes=1))
    await runtime.pass_reminders()
    await runtime.settle()
    [unopened] = [m for m in staff.new_messages() if "Nog niet overgenomen" in m.text]
    text = unopened.text
    assert "6 dossiers waarvan de aanvraagtermijn afloopt" in text, text
    assert "De klant meldde:" in text
    for line in alerted:
        assert f"Bedrijf {line:02d} bv – {title_of(line)}" in text, text
        assert f"Contact: Contact {line}" in text
    for line in GOOD:
        if line not in alerted:
            assert title_of(line) not in text, (line, text)
    assert text.count("morgen") == 6
    assert "dinsdag 15 december 2026" in text
    staff.mark()
    # Later that day, and the next pass: not again.
    clock.advance(timedelta(hours=3))
    await runtime.pass_reminders()
    await runtime.settle()
    assert not [m for m in staff.new_messages() if "Nog niet overgenomen" in m.text]


async def test_qr_codes_with_the_links(runtime: BotRuntime, staff: FakeUser) -> None:
    rows = [
        ["Bakkerij Peeters", "0403.170.701", "Opleiding", "Brood & banket", "1/12/2026"],
        ["Garage Claes", "", "Advies", "Digitale boekhouding", "7/12/2026"],
        ["Schrijnwerk Maes", "", "Opleiding", "Veilig werken", "4/12/2026"],
    ]
    header = "Bedrijf;Ondernemingsnummer;Dienst;Titel;Startdatum"
    data = "\n".join([header, *(";".join(row) for row in rows)]).encode("utf-8")
    preview = await send_list(runtime, staff, data, "klein.csv")
    assert "✅ 3 nieuwe dossiers klaar om aan te maken" in preview.text, preview.text
    caption, [document, archive] = await confirm(runtime, staff, MET_QR)
    assert "3 nieuwe dossiers aangemaakt." in caption.text
    assert "een ZIP-bestand met een QR-code per klant" in caption.text
    assert document.filename == "klein-met-links.csv"
    [header_out, *lines] = csv.reader(
        io.StringIO(document.document.decode("utf-8-sig") if document.document else ""),
        delimiter=";",
    )
    assert header_out == [*header.split(";"), "Link", "Opmerking"]
    links = {number: line[-2] for number, line in enumerate(lines, start=2)}
    assert all(LINK.fullmatch(link) for link in links.values()), links

    assert archive.kind == "document"
    assert archive.filename == "klein-qr-codes.zip"
    assert archive.document is not None
    with zipfile.ZipFile(io.BytesIO(archive.document)) as zipped:
        names = sorted(zipped.namelist())
        pngs = {name: zipped.read(name) for name in names}
    assert names == [
        "regel2-Bakkerij-Peeters-Brood-banket.png",
        "regel3-Garage-Claes-Digitale-boekhouding.png",
        "regel4-Schrijnwerk-Maes-Veilig-werken.png",
    ]
    for name, png in pngs.items():
        link = links[int(name.removeprefix("regel").split("-")[0])]
        expected = segno.make(link, error="m", micro=False).matrix
        assert qr_modules(png) == [[bool(module) for module in row] for row in expected], name


async def test_files_that_are_no_list_are_refused(
    runtime: BotRuntime, emulator: BotApiEmulator, staff: FakeUser, client: FakeUser
) -> None:
    buffer = io.BytesIO()
    segno.make("geen lijst").save(buffer, kind="png")
    picture, garbage = buffer.getvalue(), bytes(range(256)) * 20
    files = [
        (picture, "foto.png", "image/png"),
        (picture, "lijst.csv", "text/csv"),  # a picture, whatever its name says
        (garbage, "export.txt", "text/plain"),
    ]
    for data, name, mime in files:
        await staff.send_document(data, name, mime)
        [received] = await staff.wait_for_messages(1)
        assert "Ik lees" in received.text
        await runtime.imports.wait_until_idle()
        [refused] = await staff.wait_for_messages(1)
        assert "geen tabel die ik kan lezen" in refused.text, refused.text
        assert "als Excel-bestand (.xlsx) of als CSV-bestand" in refused.text
        assert refused.buttons == []
    assert await invitation_count(runtime) == 0
    row = await runtime.db.fetch_one("SELECT COUNT(*) AS n FROM imports WHERE status = 'failed'")
    assert row is not None
    assert row["n"] == len(files)

    # A client sending a list: the ordinary answer to anything outside a flow.
    before = await import_count(runtime)
    await client.send_document(as_csv(enrolment_rows()), "lijst.csv", "text/csv")
    [answer] = await client.wait_for_messages(1)
    assert "Ik weet niet goed wat u bedoelt" in answer.text, answer.text
    await runtime.settle()
    await runtime.imports.wait_until_idle()
    assert await import_count(runtime) == before
    assert client.new_messages() == []

    # A list over the limit is refused at once: not even downloaded.
    line = "Bedrijf {0} bv;;Opleiding;Cursus {0};1/12/2026;;;\r\n"
    big = ";".join(HEADER).encode() + b"\r\n"
    big += "".join(line.format(n) for n in range(MAX_IMPORT_BYTES // 40)).encode()
    assert MAX_IMPORT_BYTES < len(big) < 2 * MAX_IMPORT_BYTES
    await staff.send_document(big, "alles.csv", "text/csv")
    [too_large] = await staff.wait_for_messages(1)
    assert "Dit bestand is te groot. Ik lees lijsten tot 4 MB." in too_large.text
    await runtime.imports.wait_until_idle()
    await runtime.settle()
    assert await import_count(runtime) == before
    assert staff.new_messages() == []
    assert await invitation_count(runtime) == 0


async def test_annuleer_makes_nothing_and_the_old_preview_stays_cancelled(
    runtime: BotRuntime, staff: FakeUser
) -> None:
    preview = await send_list(runtime, staff, as_csv(enrolment_rows()), "lijst.csv")
    data = preview.callback_data
    [cancelled] = await press(staff, ANNULEER)
    assert "Import geannuleerd. Er is niets aangemaakt." in cancelled.text
    await staff.press_data(preview.message_id, data[BEVESTIG])
    [stale] = await staff.wait_for_messages(1)
    assert "Die import is al geannuleerd" in stale.text, stale.text
    await runtime.imports.wait_until_idle()
    await runtime.settle()
    assert staff.new_messages() == []
    assert await invitation_count(runtime) == 0
    row = await runtime.db.fetch_one("SELECT status, content FROM imports")
    assert row is not None
    assert (row["status"], row["content"]) == ("cancelled", None)
