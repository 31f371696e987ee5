"""The calculator under each dated scheme: rates, caps and minimums, in exact decimals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calculator import calculate_subsidy
from bot.domain.money import format_euro, parse_amount
from bot.domain.rules import load_rules

RULES = load_rules()


@pytest.mark.parametrize(
    ("start", "service", "theme", "size", "amount", "percent", "support", "own_share"),
    [
        # Until March 2016: 50 % (75 % technology exploration), one cap of 15,000.
        ("2012-05-01", "opleiding", "algemeen", "klein", "2000", "50", "1000.00", "1000.00"),
        ("2012-05-01", "advies", "algemeen", "middelgroot", "2000", "50", "1000.00", "1000.00"),
        (
            "2012-05-01",
            "technologieverkenning",
            "algemeen",
            "klein",
            "2000",
            "75",
            "1500.00",
            "500.00",
        ),
        ("2012-05-01", "opleiding", "algemeen", "klein", "40000", "50", "15000.00", "25000.00"),
        # From April 2016: 40 % small / 30 % medium; caps 10,000 / 15,000.
        ("2018-03-01", "opleiding", "algemeen", "klein", "2000", "40", "800.00", "1200.00"),
        ("2018-03-01", "advies", "algemeen", "middelgroot", "2000", "30", "600.00", "1400.00"),
        ("2018-03-01", "opleiding", "algemeen", "klein", "30000", "40", "10000.00", "20000.00"),
        (
            "2018-03-01",
            "opleiding",
            "algemeen",
            "middelgroot",
            "60000",
            "30",
            "15000.00",
            "45000.00",
        ),
        # From 2020: 30 / 20 %, 45 / 35 % for two themes; cap 7,500; minimums 100 / 500.
        ("2024-06-01", "opleiding", "algemeen", "klein", "2000", "30", "600.00", "1400.00"),
        ("2024-06-01", "advies", "algemeen", "middelgroot", "2000", "20", "400.00", "1600.00"),
        (
            "2024-06-01",
            "opleiding",
            "energie_efficientie",
            "klein",
            "1000",
            "45",
            "450.00",
            "550.00",
        ),
        ("2024-06-01", "advies", "cybersecurity", "middelgroot", "1000", "35", "350.00", "650.00"),
        # From 1 February 2026: training unchanged, advice for cybersecurity only.
        ("2026-11-28", "opleiding", "algemeen", "klein", "2000", "30", "600.00", "1400.00"),
        (
            "2026-11-28",
            "opleiding",
            "algemeen",
            "middelgroot",
            "50000",
            "20",
            "7500.00",
            "42500.00",
        ),
        ("2026-11-28", "advies", "cybersecurity", "klein", "1000", "45", "450.00", "550.00"),
    ],
)
def test_arithmetic_per_scheme(
    start: str,
    service: str,
    theme: str,
    size: str,
    amount: str,
    percent: str,
    support: str,
    own_share: str,
) -> None:
    scheme = RULES.scheme_for(date.fromisoformat(start))
    result = calculate_subsidy(scheme, service, theme, size, Decimal(amount))
    assert result.percent == Decimal(percent)
    assert result.support == Decimal(support)
    assert result.own_share == Decimal(own_share)
    assert result.support + result.own_share == Decimal(amount)
    assert result.capped == (Decimal(amount) * Decimal(percent) / 100 > result.cap)


@pytest.mark.parametrize(
    ("start", "cap_small", "cap_medium"),
    [("2012-05-01", 15000, 15000), ("2018-03-01", 10000, 15000), ("2024-06-01", 7500, 7500)],
)
def test_annual_caps(start: str, cap_small: int, cap_medium: int) -> None:
    scheme = RULES.scheme_for(date.fromisoformat(start))
    assert scheme.annual_cap == {"klein": Decimal(cap_small), "middelgroot": Decimal(cap_medium)}


def test_minimum_bites_from_2020_only() -> None:
    old = RULES.scheme_for(date(2018, 3, 1))
    new = RULES.scheme_for(date(2026, 11, 28))
    assert not calculate_subsidy(old, "opleiding", "algemeen", "klein", Decimal(50)).below_minimum
    below = calculate_subsidy(new, "opleiding", "algemeen", "klein", Decimal("99.99"))
    assert below.below_minimum
    assert (below.support, below.own_share) == (Decimal(0), Decimal("99.99"))
    at = calculate_subsidy(new, "opleiding", "algemeen", "klein", Decimal(100))
    assert not at.below_minimum
    assert at.support == Decimal("30.00")


def test_general_advice_is_no_longer_supported_from_february_2026() -> None:
    scheme = RULES.scheme_for(date(2026, 2, 1))
    with pytest.raises(KeyError):
        calculate_subsidy(scheme, "advies", "algemeen", "klein", Decimal(1000))


def test_cents_round_half_up_and_stay_exact() -> None:
    scheme = RULES.scheme_for(date(2026, 11, 28))
    typed = parse_amount("1.234,56")
    assert isinstance(typed, Decimal)
    result = calculate_subsidy(scheme, "opleiding", "algemeen", "klein", typed)
    assert result.support == Decimal("370.37")  # 370.368
    assert result.own_share == Decimal("864.19")
    assert format_euro(result.own_share) == "€ 864,19"
    for value in (result.support, result.own_share):
        assert isinstance(value, Decimal)
        assert value.as_tuple().exponent == -2


@given(
    st.integers(min_value=0, max_value=10**9).map(lambda cents: Decimal(cents) / 100),
    st.sampled_from(["klein", "middelgroot"]),
)
def test_support_and_own_share_always_add_up(amount: Decimal, size: str) -> None:
    scheme = RULES.scheme_for(date(2026, 11, 28))
    result = calculate_subsidy(scheme, "opleiding", "cybersecurity", size, amount)
    assert result.support + result.own_share == amount
    assert Decimal(0) <= result.support <= result.cap
