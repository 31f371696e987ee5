"""Broadcasts: the message staff wrote, and its delivery as one outbox row per recipient.

A broadcast is 'sending' from the moment staff press Versturen (its rows are written in
that same commit) until no row of it is pending, then 'done'. The progress message in the
staff member's chat is edited while it goes out and ends as the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.audit import BROADCAST, record_action
from storage.db import Row, Store, stamp, unstamp
from storage.outbox import BLOCKED, BULK, PENDING, SENT, NewMessage, enqueue_many
from storage.outbox import tally as outbox_tally

SOURCE = "broadcast"  # outbox rows of a recipient: source = 'broadcast', source_id = its id
PROGRESS_SOURCE = "broadcast_progress"  # the staff member's progress message

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
    waiting: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed

    @property
    def total(self) -> int:
        return self.done + self.waiting


async def create_broadcast(
    store: Store,
    staff_id: int,
    audience: str,
    text: str,
    recipients: int,
    now: datetime,
) -> int:
    """The broadcast and its audit entry; `queue_recipients` writes its messages."""
    broadcast_id = await store.insert(
        "INSERT INTO broadcasts (staff_id, audience, text, status, created_at, started_at)"
        " VALUES (?, ?, ?, 'sending', ?, ?)",
        (staff_id, audience, text, stamp(now), stamp(now)),
    )
    details = {"broadcast": broadcast_id, "audience": audience, "recipients": recipients}
    await record_action(store, staff_id, BROADCAST, now, details=details)
    return broadcast_id


async def queue_recipients(
    store: Store, broadcast_id: int, text: str, client_ids: Sequence[int], now: datetime
) -> None:
    """A message for each recipient, in the outbox's bulk lane."""
    await enqueue_many(
        store,
        (
            NewMessage(
                client_id,
                "message",
                {"text": text},
                lane=BULK,
                source=SOURCE,
                source_id=broadcast_id,
            )
            for client_id in sorted(set(client_ids))
        ),
        now,
    )


async def sending_broadcasts(store: Store) -> list[Broadcast]:
    rows = await store.fetch_all(
        f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE status = 'sending' ORDER BY id"
    )
    return [_to_broadcast(row) for row in rows]


async def get_broadcast(store: Store, broadcast_id: int) -> Broadcast | None:
    row = await store.fetch_one(
        f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
    )
    return None if row is None else _to_broadcast(row)


async def count_unfinished(store: Store) -> int:
    """Broadcasts still going out (a new one is sent after these)."""
    row = await store.fetch_one("SELECT COUNT(*) AS n FROM broadcasts WHERE status = 'sending'")
    return 0 if row is None else int(row["n"])


async def set_progress_message(
    store: Store, broadcast_id: int, chat_id: int, message_id: int | None
) -> None:
    await store.execute(
        "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


async def finish(store: Store, broadcast_id: int, now: datetime) -> bool:
    """Mark it done (once); False when it was done already."""
    changed = await store.execute(
        "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ? AND status <> 'done'",
        (stamp(now), broadcast_id),
    )
    return changed == 1


async def tally(store: Store, broadcast_id: int) -> Tally:
    counts = await outbox_tally(store, SOURCE, broadcast_id)
    return Tally(
        sent=counts.get(SENT, 0),
        blocked=counts.get(BLOCKED, 0),
        failed=sum(n for status, n in counts.items() if status not in {SENT, BLOCKED, PENDING}),
        waiting=counts.get(PENDING, 0),
    )


async def recent_broadcasts(store: Store, limit: int = 10) -> list[tuple[Broadcast, Tally]]:
    """The latest broadcasts, newest first, each with its tally."""
    rows = await store.fetch_all(
        f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,)
    )
    result = []
    for row in rows:
        broadcast = _to_broadcast(row)
        result.append((broadcast, await tally(store, broadcast.id)))
    return result


def _moment(value: str | None) -> datetime | None:
    return None if value is None else unstamp(value)


def _to_broadcast(row: Row) -> Broadcast:
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
