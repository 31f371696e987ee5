"""What each of a company's dossiers gets: support within what is left of the annual cap.

The cap is per company and calendar year. A dossier's year is the year of its application
day (filed, else its start date: see rules.toml); within a year the dossiers use the cap in
the order of those days. Figures exist only when the amount and company size are known.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from bot.domain.calculator import SubsidyResult, calculate_subsidy
from bot.domain.progress import Dossier
from bot.domain.rules import Rules


def figures_of(rules: Rules, dossiers: Iterable[Dossier]) -> dict[int, SubsidyResult | None]:
    """Per dossier id: its support and own share (None while a fact is missing)."""
    used: defaultdict[int, Decimal] = defaultdict(Decimal)
    figures: dict[int, SubsidyResult | None] = {}
    for dossier in sorted(dossiers, key=lambda d: (d.application_day, d.id)):
        result = _calculate(rules, dossier, used[dossier.application_day.year])
        figures[dossier.id] = result
        if result is not None:
            used[dossier.application_day.year] += result.support
    return figures


def used_in_year(rules: Rules, dossiers: Iterable[Dossier], year: int) -> Decimal:
    """Support the company's dossiers of `year` take from its annual cap."""
    dossiers = list(dossiers)
    figures = figures_of(rules, dossiers)
    return sum(
        (
            result.support
            for dossier in dossiers
            if dossier.application_day.year == year and (result := figures[dossier.id]) is not None
        ),
        Decimal(0),
    )


def _calculate(rules: Rules, dossier: Dossier, already_used: Decimal) -> SubsidyResult | None:
    if dossier.amount is None or dossier.company_size is None:
        return None
    try:
        return calculate_subsidy(
            rules.scheme_for(dossier.start_date),
            dossier.service,
            dossier.theme,
            dossier.company_size,
            dossier.amount,
            already_used,
        )
    except (KeyError, ValueError):  # a theme the scheme of its date does not know
        return None
