"""Recording a dossier step: the one path for clients, reminder buttons and staff."""

from __future__ import annotations

from datetime import date

from bot.domain.progress import Dossier, Step, steps_for
from bot.reminders import sync_reminders
from bot.services import Services
from storage.db import Store
from storage.dossiers import get_dossier, record_step


async def complete_step(
    services: Services, store: Store, dossier: Dossier, step: Step, day: date, by: int | None
) -> tuple[bool, Dossier]:
    """Record `step` on `day` (once) and replan reminders; returns (recorded now, dossier).

    False means someone recorded it first (client or staff); the returned dossier says when.
    """
    scheme = services.rules.scheme_for(dossier.start_date)
    order = steps_for(dossier, scheme)
    remaining = [s for s in order[order.index(step) + 1 :] if s not in dossier.done]
    recorded = await record_step(
        store, dossier.id, step, day, services.clock.now(), by=by, closes=not remaining
    )
    fresh = await get_dossier(store, dossier.id)
    if fresh is None:  # deleted meanwhile (/vergeetmij)
        return False, dossier
    await sync_reminders(services, store, fresh)
    return recorded, fresh
