"""Invitations: dossiers set up by VIGC staff, waiting for a client to open their link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from storage.db import Row, Store, stamp

OPEN: Final = "open"
LINKED: Final = "linked"
DISPUTED: Final = "disputed"
REVOKED: Final = "revoked"

_COLUMNS = (
    "id, code, dedupe_key, company_name, enterprise_number, service, theme, title,"
    " start_date, deadline, amount_cents, company_size, contact_name, email, status,"
    " client_id, dossier_id, remark, created_by, import_id"
)
# Keys looked up per query (SQLite allows 32,766 parameters; small chunks stay quick).
_CHUNK = 500


@dataclass(frozen=True)
class NewInvitation:
    dedupe_key: str
    company_name: str
    enterprise_number: str | None
    service: str
    theme: str
    title: str
    start_date: date
    deadline: date
    amount: Decimal | None = None
    company_size: str | None = None
    contact_name: str | None = None
    email: str | None = None


@dataclass(frozen=True, kw_only=True)
class Invitation(NewInvitation):
    """An invitation as stored: what staff entered, and what became of it."""

    id: int
    code: str
    status: str
    client_id: int | None
    dossier_id: int | None
    remark: str | None
    created_by: int
    import_id: int | None

    def expired(self, today: date) -> bool:
        """After its application deadline nobody can take the project over any more."""
        return today > self.deadline


async def create_invitation(
    store: Store, new: NewInvitation, code: str, staff_id: int, now: datetime
) -> tuple[Invitation, bool]:
    """The invitation with this dedupe key: made now, or the one made before (False)."""
    existing = await invitation_by_key(store, new.dedupe_key)
    if existing is not None:
        return existing, False
    made = await create_many(store, [(new, code)], staff_id, None, now)
    return made[new.dedupe_key], True


async def create_many(
    store: Store,
    items: Sequence[tuple[NewInvitation, str]],
    staff_id: int,
    import_id: int | None,
    now: datetime,
) -> dict[str, Invitation]:
    """Invitations (new invitation, fresh code), e.g. for an enrolment list: those whose
    key is new are made; all of them are returned by key, with the code each key had
    before."""
    moment = stamp(now)
    await store.executemany(
        "INSERT OR IGNORE INTO invitations (code, dedupe_key, company_name, enterprise_number,"
        " service, theme, title, start_date, deadline, amount_cents, company_size,"
        " contact_name, email, created_by, import_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                code,
                new.dedupe_key,
                new.company_name,
                new.enterprise_number,
                new.service,
                new.theme,
                new.title,
                new.start_date.isoformat(),
                new.deadline.isoformat(),
                _cents(new.amount),
                new.company_size,
                new.contact_name,
                new.email,
                staff_id,
                import_id,
                moment,
                moment,
            )
            for new, code in items
        ],
    )
    return await by_keys(store, [new.dedupe_key for new, _ in items])


async def by_keys(store: Store, keys: Sequence[str]) -> dict[str, Invitation]:
    """The invitations with these dedupe keys (absent keys are left out)."""
    found: dict[str, Invitation] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = await store.fetch_all(
            f"SELECT {_COLUMNS} FROM invitations WHERE dedupe_key IN ({marks})", tuple(chunk)
        )
        found.update((row["dedupe_key"], _invitation(row)) for row in rows)
    return found


async def get_invitation(store: Store, invitation_id: int) -> Invitation | None:
    row = await store.fetch_one(
        f"SELECT {_COLUMNS} FROM invitations WHERE id = ?", (invitation_id,)
    )
    return None if row is None else _invitation(row)


async def invitation_by_code(store: Store, code: str) -> Invitation | None:
    row = await store.fetch_one(f"SELECT {_COLUMNS} FROM invitations WHERE code = ?", (code,))
    return None if row is None else _invitation(row)


async def invitation_by_key(store: Store, key: str) -> Invitation | None:
    row = await store.fetch_one(f"SELECT {_COLUMNS} FROM invitations WHERE dedupe_key = ?", (key,))
    return None if row is None else _invitation(row)


async def waiting_invitations(store: Store, today: date) -> list[Invitation]:
    """Invitations not taken over yet (open, or with a remark of the client) whose deadline
    has not passed, the nearest deadline first."""
    rows = await store.fetch_all(
        f"SELECT {_COLUMNS} FROM invitations WHERE status IN ('open', 'disputed')"
        " AND deadline >= ? ORDER BY deadline, id",
        (today.isoformat(),),
    )
    return [_invitation(row) for row in rows]


async def link(
    store: Store, invitation_id: int, client_id: int, dossier_id: int, now: datetime
) -> bool:
    """The client took the dossier over; the contact data staff entered is not needed any
    more. False when someone else was first."""
    changed = await store.execute(
        "UPDATE invitations SET status = 'linked', client_id = ?, dossier_id = ?,"
        " contact_name = NULL, email = NULL, updated_at = ? WHERE id = ? AND status = 'open'",
        (client_id, dossier_id, stamp(now), invitation_id),
    )
    return changed == 1


async def dispute(
    store: Store, invitation_id: int, client_id: int, remark: str, now: datetime
) -> None:
    """The client says something is wrong; staff look at it (the link stays theirs)."""
    await store.execute(
        "UPDATE invitations SET status = 'disputed', client_id = ?, remark = ?, updated_at = ?"
        " WHERE id = ? AND status IN ('open', 'disputed')",
        (client_id, remark[:1000], stamp(now), invitation_id),
    )


async def release_invitations(store: Store, client_id: int, now: datetime) -> int:
    """A client who asked to be forgotten: their remarks go, and an invitation they
    questioned is open again (one they took over stays taken, without them)."""
    return await store.execute(
        "UPDATE invitations SET remark = NULL, client_id = NULL, status = CASE status"
        " WHEN 'disputed' THEN 'open' ELSE status END, updated_at = ? WHERE client_id = ?",
        (stamp(now), client_id),
    )


async def set_status(store: Store, invitation_id: int, status: str, now: datetime) -> None:
    await store.execute(
        "UPDATE invitations SET status = ?, updated_at = ? WHERE id = ?",
        (status, stamp(now), invitation_id),
    )


async def correct(
    store: Store, invitation_id: int, changes: dict[str, Any], now: datetime
) -> None:
    """Staff correct a field (title, company name or start date with its deadline); a
    disputed invitation is open again."""
    allowed = {"title", "company_name", "start_date", "deadline"}
    if not changes or not set(changes) <= allowed:
        raise ValueError(f"cannot correct {sorted(changes)}")
    assignments = ", ".join(f"{column} = ?" for column in changes)  # whitelisted names
    values = [v.isoformat() if isinstance(v, date) else v for v in changes.values()]
    await store.execute(
        f"UPDATE invitations SET {assignments}, status = CASE status WHEN 'disputed'"
        " THEN 'open' ELSE status END, staff_alerted = 0, updated_at = ? WHERE id = ?",
        (*values, stamp(now), invitation_id),
    )


async def needing_alert(store: Store, last_day: date) -> list[Invitation]:
    """Invitations not taken over (open, or questioned by the client) whose deadline is on
    or before `last_day` and whose staff alert was not sent yet."""
    rows = await store.fetch_all(
        f"SELECT {_COLUMNS} FROM invitations WHERE status IN ('open', 'disputed')"
        " AND staff_alerted = 0"
        " AND deadline <= ? ORDER BY deadline, id",
        (last_day.isoformat(),),
    )
    return [_invitation(row) for row in rows]


async def mark_alerted(store: Store, invitation_id: int) -> None:
    await store.execute("UPDATE invitations SET staff_alerted = 1 WHERE id = ?", (invitation_id,))


async def purge_unopened(store: Store, today: date, retention_days: int) -> int:
    """Invitations nobody took over, `retention_days` after their deadline, go with the
    personal data staff entered for them."""
    last = (today - timedelta(days=retention_days)).isoformat()
    return await store.execute(
        "DELETE FROM invitations WHERE status IN ('open', 'revoked', 'disputed') AND deadline < ?",
        (last,),
    )


async def record_wrong_code(store: Store, user_id: int, now: datetime) -> None:
    await store.execute(
        "INSERT INTO code_attempts (user_id, at) VALUES (?, ?)", (user_id, stamp(now))
    )


async def wrong_codes_since(store: Store, user_id: int, since: datetime) -> int:
    row = await store.fetch_one(
        "SELECT COUNT(*) AS n FROM code_attempts WHERE user_id = ? AND at >= ?",
        (user_id, stamp(since)),
    )
    return 0 if row is None else int(row["n"])


async def forget_old_attempts(store: Store, before: datetime) -> int:
    return await store.execute("DELETE FROM code_attempts WHERE at < ?", (stamp(before),))


def _cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def _invitation(row: Row) -> Invitation:
    cents = row["amount_cents"]
    return Invitation(
        id=row["id"],
        code=row["code"],
        dedupe_key=row["dedupe_key"],
        company_name=row["company_name"],
        enterprise_number=row["enterprise_number"],
        service=row["service"],
        theme=row["theme"],
        title=row["title"],
        start_date=date.fromisoformat(row["start_date"]),
        deadline=date.fromisoformat(row["deadline"]),
        amount=None if cents is None else Decimal(cents) / 100,
        company_size=row["company_size"],
        contact_name=row["contact_name"],
        email=row["email"],
        status=row["status"],
        client_id=row["client_id"],
        dossier_id=row["dossier_id"],
        remark=row["remark"],
        created_by=row["created_by"],
        import_id=row["import_id"],
    )
