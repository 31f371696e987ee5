"""Due reminders in SQLite: planned per dossier, handed to the outbox when their moment comes.

A reminder goes pending -> queued (its message is an outbox row, written in the same
commit) -> sent | failed; or pending -> skipped | cancelled. The outbox does the delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.domain.reminder_plan import DueReminder, PlannedReminder
from storage.db import Store, atomic, stamp, unstamp
from storage.outbox import cancel_sources

SOURCE = "reminder"  # outbox rows of a reminder carry source = 'reminder', source_id = its id


async def replace_planned(
    store: Store, dossier_id: int, client_id: int, planned: Sequence[PlannedReminder]
) -> None:
    """Make the dossier's waiting reminders exactly `planned`.

    Waiting rows that are no longer wanted (step done, date changed) are cancelled, and so
    is their outbox row if it was not sent yet; rows already sent stay as they are, and the
    unique key keeps a sent one from coming back. A cancelled row that is wanted again (a
    date changed back, a client who unblocked the bot) becomes pending again.
    """
    keys = {(p.kind, p.deadline.isoformat(), p.offset_days, p.audience) for p in planned}
    async with atomic(store) as tx:
        rows = await tx.fetch_all(
            "SELECT id, kind, deadline, offset_days, audience FROM reminders"
            " WHERE dossier_id = ? AND status IN ('pending', 'queued')",
            (dossier_id,),
        )
        stale = [
            row["id"]
            for row in rows
            if (row["kind"], row["deadline"], row["offset_days"], row["audience"]) not in keys
        ]
        await tx.executemany(
            "UPDATE reminders SET status = 'cancelled' WHERE id = ?", [(i,) for i in stale]
        )
        await cancel_sources(tx, SOURCE, stale)
        await tx.executemany(
            "INSERT INTO reminders (dossier_id, client_id, kind, deadline,"
            " offset_days, audience, due_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dossier_id, kind, deadline, offset_days, audience) DO UPDATE"
            " SET status = 'pending', due_at = excluded.due_at"
            " WHERE reminders.status = 'cancelled'",
            [
                (
                    dossier_id,
                    client_id,
                    p.kind,
                    p.deadline.isoformat(),
                    p.offset_days,
                    p.audience,
                    stamp(p.due_at),
                )
                for p in planned
            ],
        )


async def due_reminders(store: Store, now: datetime, limit: int) -> list[DueReminder]:
    """Pending reminders whose moment has come, oldest first."""
    rows = await store.fetch_all(
        "SELECT id, dossier_id, kind, deadline, offset_days, audience, due_at"
        " FROM reminders WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?",
        (stamp(now), limit),
    )
    return [
        DueReminder(
            id=row["id"],
            dossier_id=row["dossier_id"],
            kind=row["kind"],
            deadline=date.fromisoformat(row["deadline"]),
            offset_days=row["offset_days"],
            audience=row["audience"],
            due_at=unstamp(row["due_at"]),
        )
        for row in rows
    ]


async def next_due_at(store: Store) -> datetime | None:
    """When the earliest pending reminder is due (the scheduler sleeps until then)."""
    row = await store.fetch_one(
        "SELECT MIN(due_at) AS due FROM reminders WHERE status = 'pending'"
    )
    return None if row is None or row["due"] is None else unstamp(row["due"])


async def mark_status(store: Store, reminder_ids: Sequence[int], status: str) -> None:
    """'queued', 'skipped' or 'cancelled' for a scheduler pass's decisions."""
    await store.executemany(
        "UPDATE reminders SET status = ? WHERE id = ?", [(status, i) for i in reminder_ids]
    )


async def mark_delivered(store: Store, reminder_id: int, now: datetime) -> None:
    """The outbox delivered (one of) the reminder's messages."""
    await store.execute(
        "UPDATE reminders SET status = 'sent', sent_at = COALESCE(sent_at, ?)"
        " WHERE id = ? AND status IN ('queued', 'failed')",
        (stamp(now), reminder_id),
    )


async def mark_undelivered(store: Store, reminder_id: int) -> None:
    """None of the reminder's messages can arrive any more (and none did)."""
    await store.execute(
        "UPDATE reminders SET status = 'failed' WHERE id = ? AND status = 'queued'"
        " AND NOT EXISTS (SELECT 1 FROM outbox WHERE source = ? AND source_id = ?"
        " AND status IN ('pending', 'sent'))",
        (reminder_id, SOURCE, reminder_id),
    )


async def cancel_for_client(store: Store, client_id: int) -> int:
    """The client blocked the bot: none of their waiting reminders can arrive."""
    async with atomic(store) as tx:
        rows = await tx.fetch_all(
            "SELECT id FROM reminders WHERE client_id = ? AND audience = 'client'"
            " AND status IN ('pending', 'queued')",
            (client_id,),
        )
        ids = [row["id"] for row in rows]
        await tx.executemany(
            "UPDATE reminders SET status = 'cancelled' WHERE id = ?", [(i,) for i in ids]
        )
        await cancel_sources(tx, SOURCE, ids)
    return len(ids)


async def cancel_for_dossier(store: Store, dossier_id: int) -> None:
    """The dossier is about to go: none of its waiting reminders may still arrive."""
    async with atomic(store) as tx:
        rows = await tx.fetch_all(
            "SELECT id FROM reminders WHERE dossier_id = ? AND status IN ('pending', 'queued')",
            (dossier_id,),
        )
        ids = [row["id"] for row in rows]
        await tx.executemany(
            "UPDATE reminders SET status = 'cancelled' WHERE id = ?", [(i,) for i in ids]
        )
        await cancel_sources(tx, SOURCE, ids)
