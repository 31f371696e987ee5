"""Enrolment lists staff sent as a document, from arrival to the file that comes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from storage.db import Store, stamp

WAITING: Final = "waiting"  # to be downloaded and read
PREVIEWED: Final = "previewed"  # the preview is out; waiting for Bevestig
CONFIRMED: Final = "confirmed"  # staff confirmed; the invitations are being made
DONE: Final = "done"
CANCELLED: Final = "cancelled"
FAILED: Final = "failed"


@dataclass(frozen=True)
class Import:
    id: int
    staff_id: int
    file_id: str
    filename: str
    status: str
    want_qr: bool


async def add_import(
    store: Store, staff_id: int, file_id: str, filename: str, now: datetime
) -> int:
    return await store.insert(
        "INSERT INTO imports (staff_id, file_id, filename, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (staff_id, file_id, filename, stamp(now), stamp(now)),
    )


async def get_import(store: Store, import_id: int) -> Import | None:
    row = await store.fetch_one(
        "SELECT id, staff_id, file_id, filename, status, want_qr FROM imports WHERE id = ?",
        (import_id,),
    )
    if row is None:
        return None
    return Import(
        row["id"],
        row["staff_id"],
        row["file_id"],
        row["filename"],
        row["status"],
        bool(row["want_qr"]),
    )


async def imports_to_do(store: Store) -> list[Import]:
    """Imports the import worker has work for: to read, or confirmed."""
    rows = await store.fetch_all(
        "SELECT id FROM imports WHERE status IN ('waiting', 'confirmed') ORDER BY id"
    )
    found = [await get_import(store, row["id"]) for row in rows]
    return [item for item in found if item is not None]


async def content_of(store: Store, import_id: int) -> bytes | None:
    row = await store.fetch_one("SELECT content FROM imports WHERE id = ?", (import_id,))
    return None if row is None else row["content"]


async def previewed(store: Store, import_id: int, content: bytes, now: datetime) -> bool:
    """The file was read and its preview goes out (once: False when that happened)."""
    changed = await store.execute(
        "UPDATE imports SET status = 'previewed', content = ?, updated_at = ?"
        " WHERE id = ? AND status = 'waiting'",
        (content, stamp(now), import_id),
    )
    return changed == 1


async def confirm(store: Store, import_id: int, want_qr: bool, now: datetime) -> bool:
    """Staff pressed Bevestig (once: a second press changes nothing)."""
    changed = await store.execute(
        "UPDATE imports SET status = 'confirmed', want_qr = ?, updated_at = ?"
        " WHERE id = ? AND status = 'previewed'",
        (int(want_qr), stamp(now), import_id),
    )
    return changed == 1


async def finish(store: Store, import_id: int, status: str, now: datetime, *, was: str) -> bool:
    """Done, cancelled or failed, from status `was` (False when it had moved on already);
    the file itself is not kept."""
    changed = await store.execute(
        "UPDATE imports SET status = ?, content = NULL, updated_at = ?"
        " WHERE id = ? AND status = ?",
        (status, stamp(now), import_id, was),
    )
    return changed == 1


async def cancel_stale(store: Store, before: datetime, now: datetime) -> int:
    """Previews nobody confirmed since `before` are cancelled; their files go."""
    return await store.execute(
        "UPDATE imports SET status = 'cancelled', content = NULL, updated_at = ?"
        " WHERE status = 'previewed' AND updated_at < ?",
        (stamp(now), stamp(before)),
    )
