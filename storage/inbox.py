"""The durable inbox: updates stored before Telegram is told they arrived, handled once."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from storage.db import Store, atomic, stamp, unstamp

HANDLED: Final = "handled"
DROPPED: Final = "dropped"  # the flood guard let it go
FAILED: Final = "failed"  # the handler raised; the user was told


@dataclass(frozen=True)
class StoredUpdate:
    update_id: int
    user_id: int | None
    payload: Mapping[str, Any]
    received_at: datetime


async def store_updates(
    store: Store, updates: Sequence[tuple[int, int | None, Mapping[str, Any]]], now: datetime
) -> int:
    """Store (update id, user id, payload) rows in one commit; returns how many were new.

    An id seen before is ignored: Telegram sends an update again until it is confirmed (a
    restart between storing and confirming), and a webhook retries until it gets a 2xx.
    """
    async with atomic(store) as tx:
        before = tx.conn.total_changes
        await tx.executemany(
            "INSERT OR IGNORE INTO inbox (update_id, user_id, payload, received_at)"
            " VALUES (?, ?, ?, ?)",
            [
                (update_id, user_id, json.dumps(payload, ensure_ascii=False), stamp(now))
                for update_id, user_id, payload in updates
            ],
        )
        return tx.conn.total_changes - before


async def unhandled(store: Store, limit: int) -> list[StoredUpdate]:
    """Updates stored but not yet handled, in the order Telegram numbered them."""
    rows = await store.fetch_all(
        "SELECT update_id, user_id, payload, received_at FROM inbox"
        " WHERE handled_at IS NULL ORDER BY update_id LIMIT ?",
        (limit,),
    )
    return [
        StoredUpdate(
            row["update_id"],
            row["user_id"],
            json.loads(row["payload"]),
            unstamp(row["received_at"]),
        )
        for row in rows
    ]


async def mark_handled(store: Store, update_id: int, outcome: str, now: datetime) -> None:
    """Part of the update's own transaction: handled exactly when its effects are committed.

    What the user sent is not kept beyond that: only the id stays (an update Telegram sends
    twice is recognised by it) until the row is pruned.
    """
    await store.execute(
        "UPDATE inbox SET handled_at = ?, outcome = ?, payload = '{}', user_id = NULL"
        " WHERE update_id = ?",
        (stamp(now), outcome, update_id),
    )


async def count_unhandled(store: Store) -> int:
    row = await store.fetch_one("SELECT COUNT(*) AS n FROM inbox WHERE handled_at IS NULL")
    return 0 if row is None else int(row["n"])


async def prune(store: Store, before: datetime) -> int:
    """Handled updates older than `before` (Telegram never sends them again) are deleted."""
    return await store.execute(
        "DELETE FROM inbox WHERE handled_at IS NOT NULL AND received_at < ?", (stamp(before),)
    )
