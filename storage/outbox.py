"""The outbox: every message the bot sends is a row here first, written in the transaction
of the update (or scheduler pass) that decided to send it, and marked once Telegram answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from storage.db import Store, Tx, stamp, unstamp

PENDING: Final = "pending"
SENT: Final = "sent"
BLOCKED: Final = "blocked"  # 403 or chat gone: nothing more reaches this chat
FAILED: Final = "failed"  # Telegram refused the message itself
EXPIRED: Final = "expired"  # not delivered before it stopped being useful
CANCELLED: Final = "cancelled"  # no longer wanted (step done, client forgotten, ...)

REPLY: Final = "reply"  # answers to what a user just did: first in line
BULK: Final = "bulk"  # reminders and broadcasts: at most BROADCAST_RATE per second

_COLUMNS = (
    "id, chat_id, kind, payload, lane, source, source_id, attempts, not_before, expires_at,"
    " file IS NOT NULL AS has_file"
)


@dataclass(frozen=True)
class NewMessage:
    """One row to write: what to send, to whom, and what it belongs to."""

    chat_id: int
    kind: str
    payload: Mapping[str, Any]
    file: bytes | None = None
    lane: str = REPLY
    source: str | None = None
    source_id: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    kind: str
    payload: Mapping[str, Any]
    lane: str
    source: str | None
    source_id: int | None
    attempts: int
    not_before: datetime | None
    expires_at: datetime | None
    has_file: bool


async def enqueue(store: Store, message: NewMessage, now: datetime) -> int:
    """Write one message to send; returns its row id (edits can refer to it)."""
    return await store.insert(
        "INSERT INTO outbox (chat_id, kind, payload, file, lane, source, source_id,"
        " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _values(message, now),
    )


async def enqueue_many(store: Store, messages: Iterable[NewMessage], now: datetime) -> None:
    await store.executemany(
        "INSERT INTO outbox (chat_id, kind, payload, file, lane, source, source_id,"
        " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_values(message, now) for message in messages],
    )


def _values(message: NewMessage, now: datetime) -> tuple[object, ...]:
    return (
        message.chat_id,
        message.kind,
        json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")),
        message.file,
        message.lane,
        message.source,
        message.source_id,
        None if message.expires_at is None else stamp(message.expires_at),
        stamp(now),
    )


async def pending_after(store: Store, after_id: int, limit: int) -> list[OutboxRow]:
    """Pending rows with an id above `after_id`, oldest first (files left in the database)."""
    rows = await store.fetch_all(
        f"SELECT {_COLUMNS} FROM outbox WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    return [
        OutboxRow(
            id=row["id"],
            chat_id=row["chat_id"],
            kind=row["kind"],
            payload=json.loads(row["payload"]),
            lane=row["lane"],
            source=row["source"],
            source_id=row["source_id"],
            attempts=row["attempts"],
            not_before=None if row["not_before"] is None else unstamp(row["not_before"]),
            expires_at=None if row["expires_at"] is None else unstamp(row["expires_at"]),
            has_file=bool(row["has_file"]),
        )
        for row in rows
    ]


async def status_of(store: Store, row_id: int) -> str | None:
    """The row's status now (None when it was deleted, e.g. by /vergeetmij)."""
    row = await store.fetch_one("SELECT status FROM outbox WHERE id = ?", (row_id,))
    return None if row is None else str(row["status"])


async def file_of(store: Store, row_id: int) -> bytes | None:
    row = await store.fetch_one("SELECT file FROM outbox WHERE id = ?", (row_id,))
    return None if row is None else row["file"]


async def message_id_of(store: Store, row_id: int) -> int | None:
    """Telegram's message id of a row already sent."""
    row = await store.fetch_one("SELECT message_id FROM outbox WHERE id = ?", (row_id,))
    return None if row is None else row["message_id"]


# Once a row's outcome is known its content is not kept: the row stays only as a record of
# the delivery (and of the message id that later edits refer to) until it is pruned.
_FORGET_CONTENT = "payload = '{}', file = NULL"


async def mark_sent(store: Store, row_id: int, now: datetime, message_id: int | None) -> None:
    await store.execute(
        f"UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
        f" attempts = attempts + 1, {_FORGET_CONTENT} WHERE id = ?",
        (stamp(now), message_id, row_id),
    )


async def mark_final(tx: Tx, row_id: int, status: str, now: datetime, error: str | None) -> None:
    """A final outcome other than sent: blocked, failed, expired or cancelled."""
    await tx.execute(
        f"UPDATE outbox SET status = ?, sent_at = ?, last_error = ?, attempts = attempts + 1,"
        f" {_FORGET_CONTENT} WHERE id = ?",
        (status, stamp(now), None if error is None else error[:500], row_id),
    )


async def retry_later(tx: Tx, row_id: int, not_before: datetime, error: str) -> None:
    await tx.execute(
        "UPDATE outbox SET not_before = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
        (stamp(not_before), error[:500], row_id),
    )


async def block_chat(tx: Tx, chat_id: int, now: datetime) -> int:
    """The chat is gone (403): its other pending rows can never arrive."""
    return await tx.execute(
        f"UPDATE outbox SET status = 'blocked', sent_at = ?, {_FORGET_CONTENT}"
        " WHERE chat_id = ? AND status = 'pending'",
        (stamp(now), chat_id),
    )


async def cancel_sources(store: Store, source: str, source_ids: Sequence[int]) -> None:
    """Rows of these reminders (or other sources) that were not sent yet are not wanted."""
    await store.executemany(
        f"UPDATE outbox SET status = 'cancelled', {_FORGET_CONTENT}"
        " WHERE source = ? AND source_id = ? AND status = 'pending'",
        [(source, source_id) for source_id in source_ids],
    )


async def tally(store: Store, source: str, source_id: int) -> dict[str, int]:
    """Rows per status for one source (a broadcast's recipients)."""
    rows = await store.fetch_all(
        "SELECT status, COUNT(*) AS n FROM outbox WHERE source = ? AND source_id = ?"
        " GROUP BY status",
        (source, source_id),
    )
    return {row["status"]: int(row["n"]) for row in rows}


async def backlog(store: Store) -> tuple[int, datetime | None]:
    """How many rows wait, and since when the oldest waits."""
    row = await store.fetch_one(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'"
    )
    if row is None or not row["n"]:
        return 0, None
    return int(row["n"]), unstamp(row["oldest"])


async def prune(store: Store, before: datetime) -> int:
    """Delivered (or given-up) rows older than `before` are only history: delete them."""
    return await store.execute(
        "DELETE FROM outbox WHERE status <> 'pending' AND created_at < ?", (stamp(before),)
    )
