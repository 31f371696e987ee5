"""Tests for the subsidy calculation."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calculator import calculate_subsidy
from bot.domain.rules import load_rules

RULES = load_rules()
SCHEME_2026 = RULES.scheme_for(date(2026, 2, 1))
SCHEME_2020 = RULES.scheme_for(date(2020, 1, 1))
OLD_SCHEME = RULES.scheme_for(date(2010, 1, 1))


def test_small_training() -> None:
    result = calculate_subsidy(SCHEME_2026, "opleiding", "algemeen", "klein", Decimal(2000))
    assert result.percent == Decimal(30)
    assert result.support == Decimal("600.00")
    assert result.own_share == Decimal("1400.00")
    assert not result.capped
    assert not result.below_minimum
    assert result.cap == Decimal(7500)
    assert result.minimum == Decimal(100)
    assert result.already_used == Decimal(0)
    assert (result.service.code, result.theme.code, result.size) == (
        "opleiding",
        "algemeen",
        "klein",
    )
    assert result.scheme is SCHEME_2026


def test_medium_advice_cybersecurity_is_capped() -> None:
    result = calculate_subsidy(
        SCHEME_2026, "advies", "cybersecurity", "middelgroot", Decimal(40000)
    )
    assert result.percent == Decimal(35)
    assert result.support == Decimal(7500)
    assert result.own_share == Decimal(32500)
    assert result.capped


def test_medium_training_rate() -> None:
    result = calculate_subsidy(SCHEME_2026, "opleiding", "algemeen", "middelgroot", Decimal(1000))
    assert (result.percent, result.support, result.own_share) == (
        Decimal(20),
        Decimal(200),
        Decimal(800),
    )


def test_advice_below_minimum() -> None:
    result = calculate_subsidy(SCHEME_2026, "advies", "cybersecurity", "klein", Decimal(400))
    assert result.below_minimum
    assert result.support == 0
    assert result.own_share == Decimal(400)
    assert not result.capped
    assert result.minimum == Decimal(500)


def test_exactly_the_minimum_is_supported() -> None:
    result = calculate_subsidy(SCHEME_2026, "advies", "cybersecurity", "klein", Decimal(500))
    assert not result.below_minimum
    assert result.support == Decimal("225.00")


def test_already_used_lowers_the_room_under_the_cap() -> None:
    result = calculate_subsidy(
        SCHEME_2026,
        "opleiding",
        "algemeen",
        "klein",
        Decimal(10000),
        already_used=Decimal(6000),
    )
    assert result.support == Decimal(1500)
    assert result.own_share == Decimal(8500)
    assert result.capped
    assert result.already_used == Decimal(6000)


def test_cap_fully_used() -> None:
    result = calculate_subsidy(
        SCHEME_2026, "opleiding", "algemeen", "klein", Decimal(1000), Decimal(8000)
    )
    assert result.support == 0
    assert result.own_share == Decimal(1000)
    assert result.capped


def test_already_used_that_does_not_bite() -> None:
    result = calculate_subsidy(
        SCHEME_2026, "opleiding", "algemeen", "klein", Decimal(1000), Decimal(1000)
    )
    assert (result.support, result.capped) == (Decimal(300), False)


def test_rounding_half_up_to_cents() -> None:
    # 45 % of 0.01 is 0.0045 -> 0.00; 45 % of 100.01 is 45.0045 -> 45.00; 30 % of 0.05 -> 0.02
    result = calculate_subsidy(
        SCHEME_2026, "opleiding", "cybersecurity", "klein", Decimal("100.01")
    )
    assert result.support == Decimal("45.00")
    assert result.own_share == Decimal("55.01")
    result = calculate_subsidy(SCHEME_2026, "opleiding", "algemeen", "klein", Decimal("101.15"))
    assert result.support == Decimal("30.35")  # 30.345 rounds half up


def test_old_scheme_technology_exploration() -> None:
    result = calculate_subsidy(
        OLD_SCHEME, "technologieverkenning", "algemeen", "middelgroot", Decimal(10000)
    )
    assert (result.percent, result.support, result.own_share) == (
        Decimal(75),
        Decimal(7500),
        Decimal(2500),
    )
    assert result.minimum == 0


def test_2020_advice_plain_theme() -> None:
    result = calculate_subsidy(SCHEME_2020, "advies", "algemeen", "klein", Decimal(5000))
    assert result.support == Decimal(1500)


def test_unsupported_service_or_theme() -> None:
    with pytest.raises(KeyError):
        calculate_subsidy(SCHEME_2026, "advies", "algemeen", "klein", Decimal(1000))
    with pytest.raises(KeyError):
        calculate_subsidy(SCHEME_2026, "technologieverkenning", "algemeen", "klein", Decimal(1))


@pytest.mark.parametrize(
    ("size", "amount", "used"),
    [("groot", "100", "0"), ("klein", "-1", "0"), ("klein", "100", "-1")],
)
def test_invalid_input(size: str, amount: str, used: str) -> None:
    with pytest.raises(ValueError, match=r"size|negative"):
        calculate_subsidy(
            SCHEME_2026, "opleiding", "algemeen", size, Decimal(amount), Decimal(used)
        )


@given(
    st.integers(min_value=0, max_value=10**9).map(lambda cents: Decimal(cents) / 100),
    st.integers(min_value=0, max_value=10**6).map(lambda cents: Decimal(cents) / 100),
    st.sampled_from(["klein", "middelgroot"]),
    st.sampled_from(["algemeen", "cybersecurity", "energie_efficientie"]),
)
def test_support_and_own_share_add_up(
    amount: Decimal, used: Decimal, size: str, theme: str
) -> None:
    result = calculate_subsidy(SCHEME_2026, "opleiding", theme, size, amount, used)
    assert result.support + result.own_share == amount
    assert Decimal(0) <= result.support <= amount
    assert result.support <= max(result.cap - used, Decimal(0))
    assert result.support <= amount * result.percent / 100 + Decimal("0.005")
    assert result.support.as_tuple().exponent == -2
