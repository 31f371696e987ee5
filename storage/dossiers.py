"""Dossiers: one project of a client, with the dates of the steps done."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from bot.domain.progress import Dossier, Step
from storage.db import Row, Store, stamp

DOSSIER_COLUMNS = (
    "id, client_id, service, theme, title, company_size, amount_cents, start_date, "
    + ", ".join(f"{step.value}_on" for step in Step)
    + ", confirmed_by, theme_chosen"
)


# The dates a client may correct: the start and VIGC's confirmation set the deadlines.
DateField = Literal["start", "confirmed"]


@dataclass(frozen=True)
class NewDossier:
    client_id: int
    service: str
    theme: str
    title: str
    start_date: date
    company_size: str | None = None
    amount: Decimal | None = None
    theme_chosen: bool = True


async def create_dossier(db: Store, new: NewDossier, now: datetime) -> int:
    moment = stamp(now)
    return await db.insert(
        "INSERT INTO dossiers (client_id, service, theme, title, company_size, amount_cents,"
        " start_date, theme_chosen, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.client_id,
            new.service,
            new.theme,
            new.title,
            new.company_size,
            _to_cents(new.amount),
            new.start_date.isoformat(),
            int(new.theme_chosen),
            moment,
            moment,
        ),
    )


async def get_dossier(db: Store, dossier_id: int) -> Dossier | None:
    row = await db.fetch_one(f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE id = ?", (dossier_id,))
    return None if row is None else row_to_dossier(row)


async def get_client_dossier(db: Store, client_id: int, dossier_id: int) -> Dossier | None:
    """A dossier only if it belongs to this client (callback data can be forged)."""
    row = await db.fetch_one(
        f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE id = ? AND client_id = ?",
        (dossier_id, client_id),
    )
    return None if row is None else row_to_dossier(row)


async def list_open_dossiers(db: Store, client_id: int) -> list[Dossier]:
    rows = await db.fetch_all(
        f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE client_id = ? AND closed = 0"
        " ORDER BY start_date, id",
        (client_id,),
    )
    return [row_to_dossier(row) for row in rows]


async def list_client_dossiers(db: Store, client_id: int) -> list[Dossier]:
    """All of a client's dossiers, closed ones too (they count for the annual cap)."""
    rows = await db.fetch_all(
        f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE client_id = ? ORDER BY id", (client_id,)
    )
    return [row_to_dossier(row) for row in rows]


async def set_theme(db: Store, dossier_id: int, theme: str, now: datetime) -> None:
    await db.execute(
        "UPDATE dossiers SET theme = ?, theme_chosen = 1, updated_at = ? WHERE id = ?",
        (theme, stamp(now), dossier_id),
    )


async def set_title(db: Store, dossier_id: int, title: str, now: datetime) -> None:
    await db.execute(
        "UPDATE dossiers SET title = ?, updated_at = ? WHERE id = ?",
        (title, stamp(now), dossier_id),
    )


async def set_size(db: Store, dossier_id: int, size: str, now: datetime) -> None:
    await db.execute(
        "UPDATE dossiers SET company_size = ?, updated_at = ? WHERE id = ?",
        (size, stamp(now), dossier_id),
    )


async def set_amount(db: Store, dossier_id: int, amount: Decimal | None, now: datetime) -> None:
    await db.execute(
        "UPDATE dossiers SET amount_cents = ?, updated_at = ? WHERE id = ?",
        (_to_cents(amount), stamp(now), dossier_id),
    )


async def delete_dossier(db: Store, client_id: int, dossier_id: int) -> bool:
    """A client's own dossier, with its reminders (the foreign keys cascade)."""
    deleted = await db.execute(
        "DELETE FROM dossiers WHERE id = ? AND client_id = ?", (dossier_id, client_id)
    )
    return deleted == 1


async def record_step(
    db: Store,
    dossier_id: int,
    step: Step,
    on: date,
    now: datetime,
    by: int | None = None,
    closes: bool = False,
) -> bool:
    """Set a step's date once; False when it was already recorded (e.g. by staff first)."""
    column = f"{Step(step).value}_on"  # Step values are a fixed whitelist of column names
    extra = ", confirmed_by = ?" if step is Step.CONFIRMED else ""
    params: list[object] = [on.isoformat(), stamp(now), int(closes)]
    if step is Step.CONFIRMED:
        params.append(by)
    params.append(dossier_id)
    changed = await db.execute(
        f"UPDATE dossiers SET {column} = ?, updated_at = ?, closed = MAX(closed, ?){extra}"
        f" WHERE id = ? AND {column} IS NULL",
        params,
    )
    return changed == 1


async def change_date(
    db: Store, dossier_id: int, field: DateField, day: date, now: datetime
) -> None:
    """Correct the start date or a recorded step date (the deadlines follow from it)."""
    column = "start_date" if field == "start" else f"{Step(field).value}_on"
    await db.execute(
        f"UPDATE dossiers SET {column} = ?, updated_at = ? WHERE id = ?",
        (day.isoformat(), stamp(now), dossier_id),
    )


def _to_cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def row_to_dossier(row: Row) -> Dossier:
    done: Mapping[Step, date] = {
        step: date.fromisoformat(row[f"{step.value}_on"])
        for step in Step
        if row[f"{step.value}_on"] is not None
    }
    cents = row["amount_cents"]
    return Dossier(
        id=row["id"],
        client_id=row["client_id"],
        service=row["service"],
        theme=row["theme"],
        title=row["title"],
        start_date=date.fromisoformat(row["start_date"]),
        company_size=row["company_size"],
        amount=None if cents is None else Decimal(cents) / 100,
        done=done,
        confirmed_by=row["confirmed_by"],
        theme_chosen=bool(row["theme_chosen"]),
    )
