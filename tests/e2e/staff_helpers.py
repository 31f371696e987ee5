"""Shared by the staff and broadcast tests: seeding clients and dossiers, running /broadcast."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from bot.clock import Clock
from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from storage.clients import upsert_client
from storage.db import Database
from storage.dossiers import NewDossier, create_dossier
from tests.e2e.conftest import press, say


async def seed_clients(
    db: Database, emulator: BotApiEmulator, clock: Clock, ids: Iterable[int]
) -> list[FakeUser]:
    """Clients known to the bot (as after /start) with a chat in the emulator."""
    users = []
    for user_id in ids:
        await upsert_client(db, user_id, f"Klant{user_id}", None, None, clock.now())
        users.append(emulator.user(user_id, f"Klant{user_id}"))
    return users


async def seed_dossier(
    db: Database,
    clock: Clock,
    client_id: int,
    title: str,
    start: date,
    *,
    service: str = "opleiding",
    amount: Decimal | None = None,
    company_size: str | None = None,
) -> int:
    new = NewDossier(
        client_id=client_id,
        service=service,
        theme="algemeen",
        title=title,
        start_date=start,
        company_size=company_size,
        amount=amount,
    )
    return await create_dossier(db, new, clock.now())


async def start_broadcast(
    staff: FakeUser, text: str, audience: str = "Alle klanten", entities: list | None = None
) -> tuple[SentMessage, SentMessage]:
    """Staff run /broadcast to the end; returns (preview, progress message)."""
    await say(staff, "/broadcast")
    await staff.send(text, entities=entities or [])
    ask = await staff.wait_for_message()
    button = next(b for b in ask.buttons if b.startswith(audience))
    _, preview = await press(staff, button, replies=2)
    [progress] = await press(staff, "Versturen")
    return preview, progress


def received(users: Iterable[FakeUser], text: str) -> dict[int, int]:
    """How often each user got a message with exactly this plain text."""
    return {user.id: sum(1 for m in user.messages if m.text == text) for user in users}


async def wait_for(
    emulator: BotApiEmulator, condition: Callable[[], bool], seconds: float = 15.0
) -> None:
    """Until `condition()` holds, looking again whenever the emulator handled something."""
    assert await emulator.wait_until(condition, seconds), "condition not met in time"
