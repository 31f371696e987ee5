"""How much support a project gets under a scheme, and what the company pays itself."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.domain.money import CENT
from bot.domain.rules import SIZES, Scheme, Service, Theme


@dataclass(frozen=True)
class SubsidyResult:
    """The outcome of a calculation, with every input needed to explain it."""

    scheme: Scheme
    service: Service
    theme: Theme
    size: str
    amount: Decimal  # project amount excl. VAT
    percent: Decimal
    support: Decimal  # paid by the Flemish government into the wallet
    own_share: Decimal  # paid by the company into the wallet via the payment handler
    cap: Decimal  # annual cap for this company size
    capped: bool  # True when the cap (minus what was already used) lowered the support
    minimum: Decimal
    below_minimum: bool  # the project amount is under the service's minimum: no support
    already_used: Decimal  # support the company already received this year


def calculate_subsidy(
    scheme: Scheme,
    service_code: str,
    theme_code: str,
    size: str,
    amount: Decimal,
    already_used: Decimal = Decimal(0),
) -> SubsidyResult:
    """Support = amount x rate, rounded to cents, within what is left of the annual cap.

    Raises KeyError for a service or theme the scheme does not support, ValueError for
    an unknown company size or a negative amount.
    """
    if size not in SIZES:
        raise ValueError(f"unknown company size {size!r}; expected one of {', '.join(SIZES)}")
    if amount < 0 or already_used < 0:
        raise ValueError("amount and already_used must not be negative")
    service = scheme.service(service_code)
    theme = service.theme(theme_code)
    percent = theme.rates[size]
    cap = scheme.annual_cap[size]
    below_minimum = amount < service.minimum_amount
    room = max(cap - already_used, Decimal(0))
    full = (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if below_minimum:
        support, capped = Decimal("0.00"), False
    else:
        support, capped = min(full, room).quantize(CENT, rounding=ROUND_HALF_UP), full > room
    return SubsidyResult(
        scheme=scheme,
        service=service,
        theme=theme,
        size=size,
        amount=amount,
        percent=percent,
        support=support,
        own_share=(amount - support).quantize(CENT, rounding=ROUND_HALF_UP),
        cap=cap,
        capped=capped,
        minimum=service.minimum_amount,
        below_minimum=below_minimum,
        already_used=already_used,
    )
