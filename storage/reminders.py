"""Due reminders in SQLite: planned per dossier, claimed, then marked sent in their own commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from bot.domain.reminder_plan import DueReminder, PlannedReminder
from storage.db import Database


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


async def replace_planned(
    db: Database, dossier_id: int, client_id: int, planned: Sequence[PlannedReminder]
) -> None:
    """Make the dossier's pending reminders exactly `planned`.

    Pending rows that are no longer wanted (step done, date changed) are cancelled; rows
    already sent stay as they are, and the unique key keeps a sent one from coming back.
    A cancelled row that is wanted again (a date changed back, a client who unblocked the
    bot) becomes pending again.
    """
    keys = {(p.kind, p.deadline.isoformat(), p.offset_days, p.audience) for p in planned}
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT id, kind, deadline, offset_days, audience FROM reminders"
            " WHERE dossier_id = ? AND status = 'pending'",
            (dossier_id,),
        )
        stale = [
            (row["id"],)
            for row in await cursor.fetchall()
            if (row["kind"], row["deadline"], row["offset_days"], row["audience"]) not in keys
        ]
        await conn.executemany("UPDATE reminders SET status = 'cancelled' WHERE id = ?", stale)
        await conn.executemany(
            "INSERT INTO reminders (dossier_id, client_id, kind, deadline,"
            " offset_days, audience, due_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dossier_id, kind, deadline, offset_days, audience) DO UPDATE"
            " SET status = 'pending', due_at = excluded.due_at, not_before = 0, attempts = 0,"
            " last_error = NULL WHERE reminders.status = 'cancelled'",
            [
                (
                    dossier_id,
                    client_id,
                    p.kind,
                    p.deadline.isoformat(),
                    p.offset_days,
                    p.audience,
                    _ts(p.due_at),
                )
                for p in planned
            ],
        )


async def claim_due(db: Database, now: datetime, limit: int) -> list[DueReminder]:
    """Pending reminders whose moment has come, marked 'sending' so no other pass takes them."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT id, dossier_id, kind, deadline, offset_days, audience, due_at"
            " FROM reminders WHERE status = 'pending' AND due_at <= ? AND not_before <= ?"
            " ORDER BY due_at LIMIT ?",
            (_ts(now), _ts(now), limit),
        )
        rows = await cursor.fetchall()
        await conn.executemany(
            "UPDATE reminders SET status = 'sending' WHERE id = ?", [(row["id"],) for row in rows]
        )
    return [
        DueReminder(
            id=row["id"],
            dossier_id=row["dossier_id"],
            kind=row["kind"],
            deadline=date.fromisoformat(row["deadline"]),
            offset_days=row["offset_days"],
            audience=row["audience"],
            due_at=datetime.fromtimestamp(row["due_at"], UTC),
        )
        for row in rows
    ]


async def release_claims(db: Database) -> int:
    """At start-up: claims of a process that died before sending go back to pending."""
    return await db.execute("UPDATE reminders SET status = 'pending' WHERE status = 'sending'")


async def mark_sent(db: Database, reminder_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE reminders SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
        (_ts(now), reminder_id),
    )


async def mark_status(db: Database, reminder_ids: Sequence[int], status: str) -> None:
    """'skipped', 'cancelled' or 'failed' for rows that will not be sent."""
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE reminders SET status = ? WHERE id = ?", [(status, i) for i in reminder_ids]
        )


async def retry_later(db: Database, reminder_id: int, not_before: datetime, error: str) -> None:
    await db.execute(
        "UPDATE reminders SET status = 'pending', not_before = ?, attempts = attempts + 1,"
        " last_error = ? WHERE id = ?",
        (_ts(not_before), error[:500], reminder_id),
    )


async def cancel_for_client(db: Database, client_id: int) -> int:
    """The client blocked the bot: none of their pending reminders can arrive."""
    return await db.execute(
        "UPDATE reminders SET status = 'cancelled'"
        " WHERE client_id = ? AND audience = 'client' AND status IN ('pending', 'sending')",
        (client_id,),
    )


async def attempts_of(db: Database, reminder_id: int) -> int:
    row = await db.fetch_one("SELECT attempts FROM reminders WHERE id = ?", (reminder_id,))
    return 0 if row is None else int(row["attempts"])
