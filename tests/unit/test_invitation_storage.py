"""storage.invitations against a real SQLite file: one invitation per project key, taken over
once, questioned, released, alerted once, and gone after its retention time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.enrolment import dedupe_key
from bot.domain.invitations import new_code
from storage import invitations as stored
from storage.clients import upsert_client
from storage.db import Database
from storage.dossiers import NewDossier, create_dossier
from storage.invitations import NewInvitation

NOW = datetime(2026, 11, 28, 9, tzinfo=UTC)
STAFF = 900


def project(title: str = "Excel", start: date = date(2026, 12, 1)) -> NewInvitation:
    return NewInvitation(
        dedupe_key=dedupe_key("0403170701", "Jansen bv", title, start),
        company_name="Jansen bv",
        enterprise_number="0403170701",
        service="opleiding",
        theme="algemeen",
        title=title,
        start_date=start,
        deadline=start + timedelta(days=14),
        contact_name="Els Peeters",
        email="els@example.be",
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "bot.sqlite3")
    await database.open()
    await upsert_client(database, 1001, "Jan", None, None, NOW)
    await upsert_client(database, 1002, "Piet", None, None, NOW)
    yield database
    await database.close()


def test_the_key_ignores_case_accents_and_punctuation_but_not_the_project() -> None:
    start = date(2026, 12, 1)
    assert dedupe_key(None, "Café Élise BV", "Excel – basis!", start) == dedupe_key(
        None, "cafe elise bv", "excel basis", start
    )
    assert dedupe_key("0403170701", "A", "Excel", start) == dedupe_key(
        "0403170701", "Another name", "Excel", start
    )
    assert dedupe_key(None, "A", "Excel", start) != dedupe_key(None, "A", "Word", start)
    assert dedupe_key(None, "A", "Excel", start) != dedupe_key(
        None, "A", "Excel", start + timedelta(days=1)
    )


async def test_one_invitation_per_project_with_its_first_code(db: Database) -> None:
    first, made = await stored.create_invitation(db, project(), new_code(), STAFF, NOW)
    again, made_again = await stored.create_invitation(db, project(), new_code(), STAFF, NOW)
    assert made
    assert not made_again
    assert again.code == first.code
    other, _ = await stored.create_invitation(db, project("Word"), new_code(), STAFF, NOW)
    many = await stored.create_many(
        db, [(project(), new_code()), (project("PowerPoint"), new_code())], STAFF, 7, NOW
    )
    assert many[project().dedupe_key].code == first.code
    assert many[project().dedupe_key].import_id is None
    assert many[project("PowerPoint").dedupe_key].import_id == 7
    assert len({first.id, other.id, many[project("PowerPoint").dedupe_key].id}) == 3


async def test_taken_over_once_and_the_contact_data_goes(db: Database) -> None:
    invitation, _ = await stored.create_invitation(db, project(), new_code(), STAFF, NOW)
    dossier = await create_dossier(
        db, NewDossier(1001, "opleiding", "algemeen", "Excel", date(2026, 12, 1)), NOW
    )
    assert await stored.link(db, invitation.id, 1001, dossier, NOW)
    assert not await stored.link(db, invitation.id, 1002, dossier, NOW)
    linked = await stored.get_invitation(db, invitation.id)
    assert linked is not None
    assert (linked.status, linked.client_id, linked.dossier_id) == ("linked", 1001, dossier)
    assert (linked.contact_name, linked.email) == (None, None)


async def test_a_remark_goes_when_its_client_is_forgotten(db: Database) -> None:
    invitation, _ = await stored.create_invitation(db, project(), new_code(), STAFF, NOW)
    await stored.dispute(db, invitation.id, 1001, "De datum klopt niet", NOW)
    disputed = await stored.get_invitation(db, invitation.id)
    assert disputed is not None
    assert (disputed.status, disputed.remark) == ("disputed", "De datum klopt niet")
    assert await stored.release_invitations(db, 1001, NOW) == 1
    released = await stored.get_invitation(db, invitation.id)
    assert released is not None
    assert (released.status, released.client_id, released.remark) == ("open", None, None)


async def test_alerted_once_and_again_after_a_correction(db: Database) -> None:
    invitation, _ = await stored.create_invitation(db, project(), new_code(), STAFF, NOW)
    assert await stored.needing_alert(db, date(2026, 12, 14)) == []
    [due] = await stored.needing_alert(db, date(2026, 12, 15))
    await stored.mark_alerted(db, due.id)
    assert await stored.needing_alert(db, date(2026, 12, 15)) == []
    start = date(2026, 12, 3)
    await stored.correct(
        db, invitation.id, {"start_date": start, "deadline": start + timedelta(days=14)}, NOW
    )
    [moved] = await stored.needing_alert(db, date(2026, 12, 17))
    assert moved.start_date == start
    with pytest.raises(ValueError, match="cannot correct"):
        await stored.correct(db, invitation.id, {"code": "x"}, NOW)


async def test_unopened_invitations_go_after_their_retention_time(db: Database) -> None:
    await stored.create_invitation(db, project(), new_code(), STAFF, NOW)  # deadline 15 Dec
    taken, _ = await stored.create_invitation(db, project("Word"), new_code(), STAFF, NOW)
    dossier = await create_dossier(
        db, NewDossier(1001, "opleiding", "algemeen", "Word", date(2026, 12, 1)), NOW
    )
    await stored.link(db, taken.id, 1001, dossier, NOW)
    assert await stored.purge_unopened(db, date(2027, 1, 14), 30) == 0
    assert await stored.purge_unopened(db, date(2027, 1, 15), 30) == 1
    assert await stored.get_invitation(db, taken.id) is not None  # taken over: a dossier now


async def test_wrong_codes_are_counted_per_user_and_forgotten(db: Database) -> None:
    for minutes in range(3):
        await stored.record_wrong_code(db, 1001, NOW + timedelta(minutes=minutes))
    await stored.record_wrong_code(db, 1002, NOW)
    assert await stored.wrong_codes_since(db, 1001, NOW) == 3
    assert await stored.wrong_codes_since(db, 1001, NOW + timedelta(minutes=1)) == 2
    assert await stored.forget_old_attempts(db, NOW + timedelta(days=1)) == 4
    assert await stored.wrong_codes_since(db, 1001, NOW) == 0
