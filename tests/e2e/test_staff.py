"""VIGC staff: who may use the staff commands, /dossiers, /export and /bevestig."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.domain.progress import Step
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from storage.audit import recent_actions
from storage.dossiers import record_step
from tests.e2e.conftest import BRUSSELS, STAFF_ID, make_settings, press, say
from tests.e2e.staff_helpers import seed_clients, seed_dossier, wait_for

STAFF_COMMANDS = ["/broadcast", "/broadcasts", "/dossiers", "/export", "/bevestig 1"]


async def test_staff_commands_answer_others_like_any_unknown_command(
    runtime: BotRuntime, client: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.staff_access")
    [unknown] = await say(client, "/onbekend")
    for command in STAFF_COMMANDS:
        [answer] = await say(client, command)
        assert (answer.html, answer.buttons) == (unknown.html, unknown.buttons), command
    await client.press_data(unknown.message_id, "dos:2")  # a forged staff button
    [stale] = await client.wait_for_messages()
    assert "niet meer geldig" in stale.text
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [
        f"Staff command {command.split()[0]} tried by non-staff user {client.id}"
        for command in STAFF_COMMANDS
    ]


async def test_only_staff_see_the_staff_commands_in_their_menu(
    staff: FakeUser, runtime: BotRuntime, client: FakeUser
) -> None:
    staff_menu = [c["command"] for c in staff.commands()]
    client_menu = [c["command"] for c in client.commands()]
    assert staff_menu[: len(client_menu)] == client_menu
    assert staff_menu[len(client_menu) :] == [
        "dossiers",
        "nieuwdossier",
        "uitnodigingen",
        "bevestig",
        "broadcast",
        "broadcasts",
        "export",
    ]
    assert not {"broadcast", "dossiers", "export", "bevestig", "nieuwdossier"} & set(client_menu)


async def test_staff_unknown_at_start_up_get_their_menu_on_first_contact(
    emulator: BotApiEmulator, tmp_path: Path, clock: Clock
) -> None:
    settings = make_settings(emulator, tmp_path / "bot.sqlite3", STAFF_IDS=f"{STAFF_ID},901")
    runtime = BotRuntime(settings, clock)
    await runtime.start()
    try:
        late = emulator.user(901, "Piet")  # never wrote to the bot before it started
        assert "broadcast" not in [c["command"] for c in late.commands()]
        await say(late, "/dossiers")
        assert "broadcast" in [c["command"] for c in late.commands()]
    finally:
        await runtime.stop()


async def test_dossiers_lists_at_risk_first_and_pages(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    ann, bob = await seed_clients(runtime.db, emulator, clock, [6001, 6002])
    await runtime.db.execute(
        "UPDATE clients SET company_name = 'Bakkerij Ann', last_name = 'Peeters'"
        " WHERE user_id = ?",
        (ann.id,),
    )
    later = await seed_dossier(runtime.db, clock, ann.id, "Later", date(2026, 11, 26))
    in_two_days = await seed_dossier(runtime.db, clock, bob.id, "Twee dagen", date(2026, 11, 16))
    missed = await seed_dossier(runtime.db, clock, bob.id, "Gemist", date(2026, 11, 1))
    waiting = await seed_dossier(runtime.db, clock, ann.id, "Wacht", date(2026, 11, 20))
    await record_step(runtime.db, waiting, Step.FILED, date(2026, 11, 21), clock.now())
    today = await seed_dossier(runtime.db, clock, ann.id, "Vandaag", date(2026, 11, 14))

    [page] = await say(staff, "/dossiers")
    assert "Lopende dossiers</b>: 5, waarvan <b>2 in gevaar" in page.html
    order = [page.text.index(f"#{n} ") for n in (today, in_two_days, missed, later, waiting)]
    assert order == sorted(order)
    assert "🚨 #5 Vandaag\nKlant6001 Peeters · Bakkerij Ann" in page.text
    assert "Fase: aanvraag indienen\nTermijn subsidieaanvraag: zaterdag 28 november 2026" in (
        page.text
    )
    assert "⚠️ #3 Gemist" in page.text
    assert "verstreken op zondag 15 november 2026" in page.text
    assert "Fase: wacht op bevestiging VIGC\nGeen termijn op dit moment." in page.text
    assert page.buttons == []  # one page

    for number in range(12):
        await seed_dossier(runtime.db, clock, bob.id, f"Extra {number}", date(2026, 11, 27))
    [first] = await say(staff, "/dossiers")
    assert "17, waarvan 2 in gevaar · pagina 1 van 3" in first.text
    assert first.buttons == ["Volgende ▶️"]
    await staff.press("Volgende ▶️")
    await wait_for(emulator, lambda: "pagina 2 van 3" in first.text)  # the same message, edited
    assert first.buttons == ["◀️ Vorige", "Volgende ▶️"]
    await staff.press("Volgende ▶️")
    await wait_for(emulator, lambda: "pagina 3 van 3" in first.text)
    assert first.buttons == ["◀️ Vorige"]
    await staff.press("◀️ Vorige")
    await wait_for(emulator, lambda: "pagina 2 van 3" in first.text)


async def test_export_is_a_csv_that_excel_in_belgium_opens(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    [ann, bob] = await seed_clients(runtime.db, emulator, clock, [6101, 6102])
    await runtime.db.execute(
        "UPDATE clients SET company_name = 'Frituur \"Chez Renée\"; Gent' WHERE user_id = ?",
        (ann.id,),
    )
    first = await seed_dossier(
        runtime.db,
        clock,
        ann.id,
        "=HYPERLINK(1)",
        date(2026, 11, 20),
        amount=Decimal("1234.50"),
        company_size="klein",
    )
    second = await seed_dossier(runtime.db, clock, bob.id, "Opleiding; deel 2", date(2026, 11, 1))
    await record_step(runtime.db, second, Step.FILED, date(2026, 11, 10), clock.now())

    [document] = await say(staff, "/export")
    assert document.kind == "document"
    assert document.filename == "dossiers-2026-11-28.csv"
    assert "Alle dossiers (2)" in document.caption
    raw = document.document or b""
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, *data = rows
    assert header[:4] == ["Dossier", "Klant", "Telegram", "Bedrijf"]
    assert len(header) == 23
    assert all(len(row) == len(header) for row in data)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    assert by_id[str(first)]["Bedrijf"] == 'Frituur "Chez Renée"; Gent'
    assert by_id[str(first)]["Titel"] == "'=HYPERLINK(1)"  # never a formula in Excel
    assert by_id[str(first)]["Projectbedrag"] == "1234,50"
    assert by_id[str(first)]["Fase"] == "aanvraag indienen"
    assert by_id[str(first)]["Volgende termijn"] == "2026-12-04"
    assert by_id[str(first)]["Dagen tot termijn"] == "6"
    assert by_id[str(first)]["Status"] == "lopend"
    assert by_id[str(second)]["Titel"] == "Opleiding; deel 2"
    assert by_id[str(second)]["Aanvraag ingediend"] == "2026-11-10"
    assert by_id[str(second)]["Fase"] == "wacht op bevestiging VIGC"
    [audit] = await recent_actions(runtime.db)
    assert (audit.staff_id, audit.action, audit.details) == (
        staff.id,
        "export",
        {"dossiers": 2, "invitations": 0},
    )


async def test_bevestig_tells_the_client_and_starts_the_payment_reminders(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    [client] = await seed_clients(runtime.db, emulator, clock, [6201])
    dossier_id = await seed_dossier(
        runtime.db,
        clock,
        client.id,
        "Cyberveilig",
        date(2026, 11, 16),
        amount=Decimal("2000"),
        company_size="klein",
    )
    await record_step(runtime.db, dossier_id, Step.FILED, date(2026, 11, 20), clock.now())

    [done] = await say(staff, f"/bevestig {dossier_id}")
    assert f"Bevestiging genoteerd voor dossier #{dossier_id} Cyberveilig" in done.text
    assert "Betalingstermijn eigen bijdrage: maandag 28 december 2026" in done.text
    assert "De klant is verwittigd" in done.text
    news, status = await client.wait_for_messages(2)
    assert "VIGC heeft uw aanvraag bevestigd op zaterdag 28 november 2026" in news.text
    assert "ten laatste op maandag 28 december 2026" in news.text
    assert "€" in news.text  # the own share, now that amount and size are known
    assert "zorg dat uw eigen bijdrage" in status.text
    assert status.buttons[0] == "💶 Mijn bijdrage is gestort"

    rows = await runtime.db.fetch_all(
        "SELECT offset_days FROM reminders WHERE dossier_id = ? AND kind = 'payment'"
        " AND audience = 'client' AND status = 'pending' ORDER BY offset_days DESC",
        (dossier_id,),
    )
    assert [row["offset_days"] for row in rows] == [7, 3, 1, 0, -1]
    clock.travel_to(datetime(2026, 12, 21, 9, 0, 30, tzinfo=BRUSSELS))
    runtime.services.reminders_wakeup.set()
    [reminder] = await client.wait_for_messages()
    assert "op de rekening van Sodexo staan" in reminder.text
    assert "maandag 28 december 2026" in reminder.text

    [audit] = [a for a in await recent_actions(runtime.db) if a.action == "confirm"]
    assert (audit.staff_id, audit.dossier_id) == (staff.id, dossier_id)
    assert audit.details == {"day": "2026-11-28", "recorded": True, "filed_too": False}
    assert str(client.id) not in str(audit.details)


async def test_whoever_confirms_first_counts(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    client = emulator.user(1001, "Jan", "jan_kmo")
    await say(client, "/start")
    first = await seed_dossier(runtime.db, clock, client.id, "Eerste", date(2026, 11, 16))
    second = await seed_dossier(runtime.db, clock, client.id, "Tweede", date(2026, 11, 17))
    for dossier_id in (first, second):
        await record_step(runtime.db, dossier_id, Step.FILED, date(2026, 11, 20), clock.now())

    # The client is first for the first dossier...
    _, status_first, status_second = await say(client, "/termijnen", replies=3)
    await client.press("📬 VIGC heeft bevestigd", message=status_first)
    await client.wait_for_messages()
    await press(client, "Gisteren", replies=2)
    [already] = await say(staff, f"/bevestig {first}")
    assert "al bevestigd op vrijdag 27 november 2026, genoteerd door de klant zelf" in (
        already.text
    )
    assert client.new_messages() == []

    # ...staff for the second: the client's button comes too late and says so.
    [done] = await say(staff, f"/bevestig #{second} 26/11")
    assert "op donderdag 26 november 2026" in done.text
    await client.wait_for_messages(2)
    await client.press("📬 VIGC heeft bevestigd", message=status_second)
    outdated, current = await client.wait_for_messages(2)
    assert "al gedaan" in outdated.text
    assert "zorg dat uw eigen bijdrage" in current.text
    [again] = await say(staff, f"/bevestig {second}")
    assert f"genoteerd door VIGC (medewerker {STAFF_ID})" in again.text


async def test_bevestig_checks_its_arguments(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    [client] = await seed_clients(runtime.db, emulator, clock, [6301])
    dossier_id = await seed_dossier(runtime.db, clock, client.id, "Proef", date(2026, 11, 16))
    await record_step(runtime.db, dossier_id, Step.FILED, date(2026, 11, 20), clock.now())
    [usage] = await say(staff, "/bevestig")
    assert "Gebruik: /bevestig <dossier> [datum]" in usage.text
    [usage] = await say(staff, "/bevestig twaalf")
    assert "Gebruik" in usage.text
    [missing] = await say(staff, "/bevestig 999")
    assert "Dossier #999 bestaat niet" in missing.text
    [future] = await say(staff, f"/bevestig {dossier_id} 3/12/2026")
    assert "in de toekomst" in future.text
    [early] = await say(staff, f"/bevestig {dossier_id} 19/11/2026")
    assert "diende de aanvraag in op vrijdag 20 november 2026" in early.text
    [unreadable] = await say(staff, f"/bevestig {dossier_id} gisterenavond laat")
    assert "kan ik niet lezen" in unreadable.text
    assert client.messages == []
    assert [a.action for a in await recent_actions(runtime.db)] == []


async def test_bevestig_records_an_unreported_filing_too(
    runtime: BotRuntime, staff: FakeUser, emulator: BotApiEmulator, clock: Clock
) -> None:
    [client] = await seed_clients(runtime.db, emulator, clock, [6401])
    dossier_id = await seed_dossier(runtime.db, clock, client.id, "Vergeten", date(2026, 11, 20))
    [done] = await say(staff, f"/bevestig {dossier_id}")
    assert "De klant had de indiening nog niet gemeld" in done.text
    news, status = await client.wait_for_messages(2)
    assert "maandag 28 december 2026" in news.text
    assert status.buttons[0] == "💶 Mijn bijdrage is gestort"
