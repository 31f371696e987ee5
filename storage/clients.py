"""Clients: the Telegram users the bot talks to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Row, Store, stamp


@dataclass(frozen=True)
class Client:
    user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    active: bool
    company_name: str | None
    enterprise_number: str | None
    registration_step: int
    company_size: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or str(self.user_id)


async def upsert_client(
    db: Store,
    user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    now: datetime,
) -> None:
    """Record the client (again): a message from them also means they no longer block us."""
    moment = stamp(now)
    await db.execute(
        "INSERT INTO clients (user_id, first_name, last_name, username, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name,"
        " last_name = excluded.last_name, username = excluded.username, active = 1,"
        " updated_at = excluded.updated_at"
        " WHERE first_name IS NOT excluded.first_name OR last_name IS NOT excluded.last_name"
        " OR username IS NOT excluded.username OR active = 0",
        (user_id, first_name, last_name, username, moment, moment),
    )


CLIENT_COLUMNS = (
    "user_id, first_name, last_name, username, active, company_name, enterprise_number,"
    " registration_step, company_size"
)


async def get_client(db: Store, user_id: int) -> Client | None:
    row = await db.fetch_one(
        f"SELECT {CLIENT_COLUMNS} FROM clients WHERE user_id = ?",
        (user_id,),
    )
    return None if row is None else row_to_client(row)


def row_to_client(row: Row) -> Client:
    return Client(
        user_id=row["user_id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        active=bool(row["active"]),
        company_name=row["company_name"],
        enterprise_number=row["enterprise_number"],
        registration_step=row["registration_step"],
        company_size=row["company_size"],
    )


async def reactivate(db: Store, user_id: int, now: datetime) -> bool:
    """A client marked inactive (403) writes again; True when they were inactive."""
    changed = await db.execute(
        "UPDATE clients SET active = 1, updated_at = ? WHERE user_id = ? AND active = 0",
        (stamp(now), user_id),
    )
    return changed == 1


async def mark_inactive(db: Store, user_id: int, now: datetime) -> None:
    """The client blocked the bot (Telegram answered 403)."""
    await db.execute(
        "UPDATE clients SET active = 0, updated_at = ? WHERE user_id = ?",
        (stamp(now), user_id),
    )


async def advance_registration(
    db: Store, user_id: int, from_step: int, to_step: int, now: datetime
) -> bool:
    """Move registration progress on, only from `from_step` (a double press changes nothing)."""
    changed = await db.execute(
        "UPDATE clients SET registration_step = ?, updated_at = ?"
        " WHERE user_id = ? AND registration_step = ?",
        (to_step, stamp(now), user_id, from_step),
    )
    return changed == 1


async def set_company(
    db: Store, user_id: int, name: str, enterprise_number: str | None, now: datetime
) -> None:
    """The company's name and (compact, checked) enterprise number; None keeps a known one."""
    await db.execute(
        "UPDATE clients SET company_name = ?,"
        " enterprise_number = COALESCE(?, enterprise_number), updated_at = ?"
        " WHERE user_id = ?",
        (name, enterprise_number, stamp(now), user_id),
    )


async def set_company_size(db: Store, user_id: int, size: str, now: datetime) -> None:
    """The company size ('klein' or 'middelgroot'), reused for later applications."""
    await db.execute(
        "UPDATE clients SET company_size = ?, updated_at = ? WHERE user_id = ?",
        (size, stamp(now), user_id),
    )
