"""A database written by the previous version opens in this one, and nobody is stranded.

The fixture (tests/fixtures/legacy-c3090e0.sqlite3, made by tests/fixtures/make_legacy_db.py
with the code of c3090e0) holds dossiers at several stages, pending and sent reminders, a
finished broadcast and one that was queued but never sent, registration progress, and a
client in the middle of every flow.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import BRUSSELS, make_settings, press, say

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-c3090e0.sqlite3"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def upgraded_db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    shutil.copyfile(FIXTURE, path)
    return path


async def test_an_old_database_opens_with_everyone_where_they_were(
    emulator: BotApiEmulator, upgraded_db: Path
) -> None:
    users = {uid: emulator.user(uid, f"Klant {uid}") for uid in range(2001, 2010)}
    staff = emulator.user(900, "Els")
    clock = Clock(BRUSSELS)
    clock.travel_to(datetime(2026, 11, 28, 11, 0, tzinfo=BRUSSELS))
    runtime = BotRuntime(make_settings(emulator, upgraded_db), clock)
    await runtime.start()
    try:
        await runtime.settle()
        await _everyone_goes_on(users, staff)
        await runtime.settle()
    finally:
        await runtime.stop()
    _the_data_came_along(upgraded_db)
    copies = list(upgraded_db.parent.glob("bot.sqlite3.before-migration-*"))
    assert copies, "a copy is taken before the first migration"


async def _everyone_goes_on(users: dict[int, FakeUser], staff: FakeUser) -> None:
    # The broadcast that was queued before the upgrade reaches its three clients, once.
    for uid in (2001, 2002, 2003):
        assert [m.text for m in users[uid].messages].count("Welkom in 2027!") == 1
    # Where a button answer was awaited, the question came again, with new buttons.
    for user in (users[2002], users[2007], users[2009], staff):
        texts = [m.text for m in user.new_messages()]
        assert any("vernieuwd" in text for text in texts), texts
        user.mark()
    for user in (users[2001], users[2003]):
        user.mark()
    # Bram was asked his project's name; /aanvraag now asks that after the start date, so
    # he is at the agreement question, and his service and theme come along.
    [ask_start] = await press(users[2002], "Ja, ik ben ingeschreven")
    assert "startdatum" in ask_start.text
    deadline, ask_title = await say(users[2002], "1/12/2026", replies=2)
    assert "korte naam" in ask_title.text  # the theme (cybersecurity) is known already
    # Typed answers simply go on.
    deadline, ask_amount = await say(users[2003], "1/12/2026", replies=2)  # Chris: the date
    assert "Excel voor gevorderden" in deadline.text  # with the name he gave before
    assert "middelgrote onderneming" in ask_amount.text
    [ask_number] = await say(users[2004], "Peeters nv")  # Dirk: the company name
    assert "ondernemingsnummer" in ask_number.text
    [result] = await say(users[2005], "2000")  # Eva: the amount
    assert "€ 600,00" in result.text
    changed, _ = await say(users[2006], "2/12/2026", replies=2)  # Fien: the new start date
    assert "2 december 2026" in changed.text
    recorded, _ = await press(users[2007], "Vandaag", replies=2)  # Gert: the filing date
    assert "aanvraag ingediend op zaterdag 28 november 2026" in recorded.text
    [kept] = await press(users[2009], "Nee, niets wissen")  # Ilse
    assert "niets gewist" in kept.text
    header, _ = await press(staff, "Alle klanten (8)", replies=2)  # staff: the audience
    assert "8 klanten" in header.text
    # Anna's dossiers and reminders are there.
    header, *_ = await say(users[2001], "/termijnen", replies=3)
    assert "2 lopende dossiers" in header.text


def _the_data_came_along(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert {"conversations", "user_data", "broadcast_recipients"}.isdisjoint(tables)
        [(registered,)] = db.execute(
            "SELECT registration_step FROM clients WHERE user_id = 2001"
        ).fetchall()
        assert registered == 7
        [(inactive,)] = db.execute("SELECT active FROM clients WHERE user_id = 2008").fetchall()
        assert inactive == 0
        stamps = [
            *db.execute("SELECT created_at FROM clients"),
            *db.execute("SELECT due_at FROM reminders"),
            *db.execute("SELECT created_at FROM broadcasts"),
            *db.execute("SELECT at FROM staff_audit"),
            *db.execute("SELECT applied_at FROM schema_version"),
        ]
        assert all(STAMP.match(value) for (value,) in stamps), stamps[:5]
        sent = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE source = 'broadcast' AND source_id = 1"
        ).fetchone()
        assert sent == (8,)  # the finished broadcast's deliveries came along
        statuses = dict(db.execute("SELECT id, status FROM broadcasts").fetchall())
        assert statuses == {1: "done", 2: "done"}
