"""The names staff use in their enrolment lists: column headers and cell values.

Data, not prose: matched after folding case, accents, spaces and punctuation
(`bot.domain.enrolment.fold`), so "KBO-nummer", "kbo nummer" and "Kbo_Nummer" are equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# Column names as staff write them, per field (Dutch and English). Matching folds case,
# accents, spaces and punctuation: "KBO-nummer", "kbo nummer" and "Kbo_Nummer" are equal.
HEADER_ALIASES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "company": (
            "bedrijf",
            "bedrijfsnaam",
            "naam bedrijf",
            "onderneming",
            "ondernemingsnaam",
            "naam onderneming",
            "firma",
            "firmanaam",
            "klant",
            "klantnaam",
            "organisatie",
            "company",
            "company name",
            "customer",
            "client",
            "organisation",
            "organization",
        ),
        "enterprise_number": (
            "ondernemingsnummer",
            "ondernemingsnr",
            "kbo",
            "kbo-nummer",
            "kbo-nr",
            "btw",
            "btw-nummer",
            "btw-nr",
            "vat",
            "vat number",
            "enterprise number",
            "company number",
        ),
        "service": (
            "dienst",
            "soort",
            "type",
            "dienstverlening",
            "soort dienst",
            "type dienst",
            "service",
        ),
        "theme": ("thema", "theme"),
        "title": (
            "titel",
            "opleiding",
            "project",
            "projectnaam",
            "cursus",
            "omschrijving",
            "naam opleiding",
            "titel opleiding",
            "opleidingstitel",
            "title",
            "course",
            "training",
            "description",
        ),
        "start_date": (
            "startdatum",
            "start",
            "begindatum",
            "aanvangsdatum",
            "datum",
            "startdatum opleiding",
            "start date",
            "date",
        ),
        "amount": (
            "bedrag",
            "prijs",
            "kostprijs",
            "bedrag excl btw",
            "bedrag excl. btw",
            "bedrag exclusief btw",
            "prijs excl btw",
            "projectbedrag",
            "amount",
            "price",
        ),
        "size": (
            "grootte",
            "omvang",
            "kmo-grootte",
            "ondernemingsgrootte",
            "bedrijfsgrootte",
            "size",
            "company size",
        ),
        "contact_name": (
            "contact",
            "contactpersoon",
            "naam contactpersoon",
            "contact name",
            "contact person",
        ),
        "email": (
            "e-mail",
            "email",
            "mail",
            "e-mailadres",
            "emailadres",
            "mailadres",
            "e-mail contactpersoon",
            "email address",
        ),
    }
)

# Cell values (data, not prose), folded like headers.
SIZE_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "klein": "klein",
        "kleine": "klein",
        "kleine onderneming": "klein",
        "kleine kmo": "klein",
        "small": "klein",
        "small enterprise": "klein",
        "middelgroot": "middelgroot",
        "middelgrote": "middelgroot",
        "middelgrote onderneming": "middelgroot",
        "middelgrote kmo": "middelgroot",
        "middel": "middelgroot",
        "medium": "middelgroot",
        "medium-sized": "middelgroot",
        "medium enterprise": "middelgroot",
    }
)
SERVICE_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "opleidingen": "opleiding",
        "training": "opleiding",
        "advice": "advies",
        "adviezen": "advies",
    }
)
THEME_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "general": "algemeen",
        "cyber": "cybersecurity",
        "cyberveiligheid": "cybersecurity",
        "energie": "energie_efficientie",
        "energy efficiency": "energie_efficientie",
    }
)
