"""A dossier's figures, with the company's other dossiers of the year taken into account."""

from __future__ import annotations

from bot.domain.calculator import SubsidyResult
from bot.domain.progress import Dossier
from bot.domain.rules import Rules
from bot.domain.support import figures_of
from storage.db import Store
from storage.dossiers import list_client_dossiers


async def figures_for(store: Store, rules: Rules, dossier: Dossier) -> SubsidyResult | None:
    """Support and own share of `dossier` (None while its amount or size is unknown)."""
    return (await figures_by_dossier(store, rules, dossier.client_id)).get(dossier.id)


async def figures_by_dossier(
    store: Store, rules: Rules, client_id: int
) -> dict[int, SubsidyResult | None]:
    return figures_of(rules, await list_client_dossiers(store, client_id))
