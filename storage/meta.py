"""Small facts the bot keeps about itself, by key (the webhook secret, ...)."""

from __future__ import annotations

from storage.db import Store


async def get_meta(store: Store, key: str) -> str | None:
    row = await store.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else str(row["value"])


async def set_meta(store: Store, key: str, value: str) -> None:
    await store.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
