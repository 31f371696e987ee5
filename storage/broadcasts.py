"""Broadcasts and each recipient's delivery in SQLite: claimed, sent, marked in its own commit.

A broadcast goes new -> queued -> sending -> done; one is sent at a time, oldest first.
A recipient goes pending -> sending (claimed) -> sent | blocked | failed. After a crash,
`release_claims` puts claimed rows back to pending: only a message that was in flight at
the moment of the crash can arrive twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.audit import BROADCAST, insert_action
from storage.db import Database

SENT = "sent"
BLOCKED = "blocked"
FAILED = "failed"

_BROADCAST_COLUMNS = (
    "id, staff_id, audience, text, status, created_at, started_at, finished_at,"
    " progress_chat_id, progress_message_id"
)


@dataclass(frozen=True)
class Broadcast:
    id: int
    staff_id: int
    audience: str
    text: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress_chat_id: int | None
    progress_message_id: int | None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class Tally:
    """How far a broadcast is: recipients per outcome."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    waiting: int = 0  # pending or claimed

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed

    @property
    def total(self) -> int:
        return self.done + self.waiting


@dataclass(frozen=True)
class Claimed:
    client_id: int
    attempts: int


async def create_broadcast(
    db: Database,
    staff_id: int,
    audience: str,
    text: str,
    client_ids: Sequence[int],
    now: datetime,
) -> int:
    """The broadcast (status 'new'), its recipients and the audit entry, in one commit."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO broadcasts (staff_id, audience, text, created_at) VALUES (?, ?, ?, ?)",
            (staff_id, audience, text, now.isoformat()),
        )
        broadcast_id = cursor.lastrowid
        if broadcast_id is None:
            raise RuntimeError("INSERT returned no rowid")
        await conn.executemany(
            "INSERT OR IGNORE INTO broadcast_recipients (broadcast_id, client_id) VALUES (?, ?)",
            [(broadcast_id, client_id) for client_id in client_ids],
        )
        await insert_action(
            conn,
            staff_id,
            BROADCAST,
            now,
            details={
                "broadcast": broadcast_id,
                "audience": audience,
                "recipients": len(client_ids),
            },
        )
    return broadcast_id


async def activate(
    db: Database, broadcast_id: int, chat_id: int | None, message_id: int | None
) -> None:
    """Hand a new broadcast to the sender, with the message that shows its progress."""
    await db.execute(
        "UPDATE broadcasts SET status = 'queued', progress_chat_id = ?, progress_message_id = ?"
        " WHERE id = ? AND status = 'new'",
        (chat_id, message_id, broadcast_id),
    )


async def promote_new(db: Database) -> int:
    """At start-up: a broadcast whose creation was cut short is queued all the same."""
    return await db.execute("UPDATE broadcasts SET status = 'queued' WHERE status = 'new'")


async def next_unfinished(db: Database) -> Broadcast | None:
    """The oldest broadcast still to send (FIFO: one at a time)."""
    row = await db.fetch_one(
        f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE status IN ('queued', 'sending')"
        " ORDER BY id LIMIT 1"
    )
    return None if row is None else _to_broadcast(row)


async def get_broadcast(db: Database, broadcast_id: int) -> Broadcast | None:
    row = await db.fetch_one(
        f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
    )
    return None if row is None else _to_broadcast(row)


async def count_unfinished(db: Database) -> int:
    """Broadcasts created but not done yet (a new one waits for these)."""
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM broadcasts WHERE status IN ('new', 'queued', 'sending')"
    )
    return 0 if row is None else int(row["n"])


async def mark_started(db: Database, broadcast_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE broadcasts SET status = 'sending', started_at = COALESCE(started_at, ?)"
        " WHERE id = ?",
        (now.isoformat(), broadcast_id),
    )


async def set_progress_message(
    db: Database, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


async def finish(db: Database, broadcast_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ?",
        (now.isoformat(), broadcast_id),
    )


async def release_claims(db: Database, broadcast_id: int | None = None) -> int:
    """Claims of a sender that stopped before marking them go back to pending."""
    if broadcast_id is None:
        return await db.execute(
            "UPDATE broadcast_recipients SET status = 'pending' WHERE status = 'sending'"
        )
    return await db.execute(
        "UPDATE broadcast_recipients SET status = 'pending'"
        " WHERE broadcast_id = ? AND status = 'sending'",
        (broadcast_id,),
    )


async def claim_pending(
    db: Database, broadcast_id: int, now_ts: float, limit: int
) -> list[Claimed]:
    """Up to `limit` recipients due now, marked 'sending' so that nobody else takes them."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT client_id, attempts FROM broadcast_recipients"
            " WHERE broadcast_id = ? AND status = 'pending' AND not_before <= ?"
            " ORDER BY client_id LIMIT ?",
            (broadcast_id, now_ts, limit),
        )
        rows = await cursor.fetchall()
        await conn.executemany(
            "UPDATE broadcast_recipients SET status = 'sending'"
            " WHERE broadcast_id = ? AND client_id = ?",
            [(broadcast_id, row["client_id"]) for row in rows],
        )
    return [Claimed(row["client_id"], row["attempts"]) for row in rows]


async def mark_recipient(
    db: Database,
    broadcast_id: int,
    client_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
) -> None:
    """The final outcome for one recipient ('sent', 'blocked' or 'failed'), in its own commit."""
    await db.execute(
        "UPDATE broadcast_recipients SET status = ?, done_at = ?, attempts = attempts + 1,"
        " last_error = ? WHERE broadcast_id = ? AND client_id = ?",
        (status, now.isoformat(), None if error is None else error[:500], broadcast_id, client_id),
    )


async def retry_recipient(
    db: Database, broadcast_id: int, client_id: int, not_before: float, error: str
) -> None:
    """A timeout or 5xx: pending again, not before `not_before` (unix seconds)."""
    await db.execute(
        "UPDATE broadcast_recipients SET status = 'pending', not_before = ?,"
        " attempts = attempts + 1, last_error = ? WHERE broadcast_id = ? AND client_id = ?",
        (not_before, error[:500], broadcast_id, client_id),
    )


async def next_retry_at(db: Database, broadcast_id: int) -> float | None:
    """When the earliest recipient waiting for a retry is due; None when none is pending."""
    row = await db.fetch_one(
        "SELECT MIN(not_before) AS due FROM broadcast_recipients"
        " WHERE broadcast_id = ? AND status = 'pending'",
        (broadcast_id,),
    )
    return None if row is None or row["due"] is None else float(row["due"])


async def tally(db: Database, broadcast_id: int) -> Tally:
    rows = await db.fetch_all(
        "SELECT status, COUNT(*) AS n FROM broadcast_recipients WHERE broadcast_id = ?"
        " GROUP BY status",
        (broadcast_id,),
    )
    return _to_tally({row["status"]: int(row["n"]) for row in rows})


async def recent_broadcasts(db: Database, limit: int = 10) -> list[tuple[Broadcast, Tally]]:
    """The latest broadcasts, newest first, each with its tally."""
    rows = await db.fetch_all(
        f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,)
    )
    result = []
    for row in rows:
        broadcast = _to_broadcast(row)
        result.append((broadcast, await tally(db, broadcast.id)))
    return result


def _to_tally(counts: dict[str, int]) -> Tally:
    return Tally(
        sent=counts.get(SENT, 0),
        blocked=counts.get(BLOCKED, 0),
        failed=counts.get(FAILED, 0),
        waiting=counts.get("pending", 0) + counts.get("sending", 0),
    )


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _to_broadcast(row: aiosqlite.Row) -> Broadcast:
    created = _moment(row["created_at"])
    if created is None:
        raise ValueError("broadcast without created_at")
    return Broadcast(
        id=row["id"],
        staff_id=row["staff_id"],
        audience=row["audience"],
        text=row["text"],
        status=row["status"],
        created_at=created,
        started_at=_moment(row["started_at"]),
        finished_at=_moment(row["finished_at"]),
        progress_chat_id=row["progress_chat_id"],
        progress_message_id=row["progress_message_id"],
    )
