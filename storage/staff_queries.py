"""What VIGC staff look at across all clients: dossiers with their client, audiences.

These read whole tables: they run on a worker thread (`heavy=True`, see storage/db.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.domain.progress import Dossier
from storage.clients import CLIENT_COLUMNS, Client, row_to_client
from storage.db import Store
from storage.dossiers import DOSSIER_COLUMNS, row_to_dossier


@dataclass(frozen=True)
class StaffDossier:
    """A dossier as staff see it: with its client and whether it is closed."""

    dossier: Dossier
    client: Client
    closed: bool


async def open_dossiers(db: Store) -> list[StaffDossier]:
    """Every open dossier, oldest start first."""
    return await _dossiers(db, "WHERE closed = 0 ORDER BY start_date, id")


async def all_dossiers(db: Store) -> list[StaffDossier]:
    """Every dossier, open or closed, in the order they were created."""
    return await _dossiers(db, "ORDER BY id")


async def active_clients(db: Store, exclude: Collection[int] = ()) -> list[int]:
    """Clients who did not block the bot (staff ids left out)."""
    rows = await db.fetch_all(
        "SELECT user_id FROM clients WHERE active = 1 ORDER BY user_id", heavy=True
    )
    return [row["user_id"] for row in rows if row["user_id"] not in exclude]


async def active_clients_with_open_dossier(db: Store, exclude: Collection[int] = ()) -> list[int]:
    rows = await db.fetch_all(
        "SELECT user_id FROM clients WHERE active = 1 AND EXISTS"
        " (SELECT 1 FROM dossiers WHERE dossiers.client_id = clients.user_id AND closed = 0)"
        " ORDER BY user_id",
        heavy=True,
    )
    return [row["user_id"] for row in rows if row["user_id"] not in exclude]


async def _dossiers(db: Store, where_and_order: str) -> list[StaffDossier]:
    rows = await db.fetch_all(
        f"SELECT {DOSSIER_COLUMNS}, closed FROM dossiers {where_and_order}", heavy=True
    )
    clients = {
        row["user_id"]: row_to_client(row)
        for row in await db.fetch_all(f"SELECT {CLIENT_COLUMNS} FROM clients", heavy=True)
    }
    result = []
    for row in rows:
        client = clients.get(row["client_id"])
        if client is not None:  # deleted between the two reads (/vergeetmij)
            result.append(StaffDossier(row_to_dossier(row), client, bool(row["closed"])))
    return result
