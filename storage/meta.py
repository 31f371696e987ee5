"""Small facts the bot keeps about itself, by key (the webhook secret, when an alert was sent)."""

from __future__ import annotations

from storage.db import Store, atomic


async def get_meta(store: Store, key: str) -> str | None:
    row = await store.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else str(row["value"])


async def set_meta(store: Store, key: str, value: str) -> None:
    await store.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def setdefault_meta(store: Store, key: str, value: str) -> str:
    """The value kept under `key`; `value` is stored (and returned) only when there is none."""
    async with atomic(store) as tx:
        await tx.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
        row = await tx.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
    if row is None:  # pragma: no cover - inserted just above
        raise RuntimeError(f"meta key {key!r} vanished")
    return str(row["value"])


async def ping(store: Store) -> None:
    """One trivial query: raises when the database does not answer."""
    await store.fetch_one("SELECT 1 AS one")
