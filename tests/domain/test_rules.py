"""Tests for the dated rules file and the choice of scheme."""

import ast
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from bot.domain.rules import SIZES, Rules, RulesError, Scheme, load_rules

RULES = load_rules()
PACKAGED = resources.files("bot.domain").joinpath("rules.toml").read_text(encoding="utf-8")
DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"


def rates(scheme: Scheme, service: str, theme: str) -> tuple[Decimal, ...]:
    found = scheme.theme(service, theme).rates
    return tuple(found[size] for size in SIZES)


def test_schemes_are_sorted_and_dated() -> None:
    starts = [scheme.valid_from for scheme in RULES.schemes]
    assert starts == [date(2009, 4, 1), date(2016, 4, 1), date(2020, 1, 1), date(2026, 2, 1)]


@pytest.mark.parametrize(
    ("day", "valid_from"),
    [
        (date(2009, 4, 1), date(2009, 4, 1)),
        (date(2016, 3, 31), date(2009, 4, 1)),
        (date(2016, 4, 1), date(2016, 4, 1)),
        (date(2019, 12, 31), date(2016, 4, 1)),
        (date(2020, 1, 1), date(2020, 1, 1)),
        (date(2026, 1, 31), date(2020, 1, 1)),
        (date(2026, 2, 1), date(2026, 2, 1)),
        (date(2030, 6, 1), date(2026, 2, 1)),
    ],
)
def test_scheme_for_boundaries(day: date, valid_from: date) -> None:
    assert RULES.scheme_for(day).valid_from == valid_from
    assert RULES.current(day).valid_from == valid_from


def test_no_scheme_before_the_first() -> None:
    with pytest.raises(ValueError, match="no scheme applies"):
        RULES.scheme_for(date(2009, 3, 31))


def test_common_facts_of_every_scheme() -> None:
    for scheme in RULES.schemes:
        assert scheme.application_days == 14
        assert scheme.payment_days == 30
        assert scheme.payment_handler == "Sodexo"
        assert scheme.name
        assert scheme.source
        assert set(scheme.annual_cap) == set(SIZES)
        for service in scheme.services:
            assert service.themes
            for theme in service.themes:
                assert set(theme.rates) == set(SIZES)
                assert all(isinstance(rate, Decimal) for rate in theme.rates.values())


def test_recognition_numbers_and_report_approval() -> None:
    expected = {
        "opleiding": ("DV.O101579", False),
        "advies": ("DV.A104813", True),
        "technologieverkenning": ("DV.A104813", True),
        "advies_internationaal": ("DV.A104813", True),
    }
    for scheme in RULES.schemes:
        for service in scheme.services:
            assert (service.recognition_number, service.needs_report_approval) == expected[
                service.code
            ]


def test_old_scheme_from_the_procedure_text() -> None:
    old = RULES.scheme_for(date(2015, 1, 1))
    assert [service.code for service in old.services] == [
        "opleiding",
        "advies",
        "advies_internationaal",
        "technologieverkenning",
    ]
    for code in ("opleiding", "advies", "advies_internationaal"):
        assert rates(old, code, "algemeen") == (Decimal(50), Decimal(50))
    assert rates(old, "technologieverkenning", "algemeen") == (Decimal(75), Decimal(75))
    assert dict(old.annual_cap) == {"klein": Decimal(15000), "middelgroot": Decimal(15000)}
    assert all(service.minimum_amount == 0 for service in old.services)
    assert old.service("technologieverkenning").name == "Technologieverkenning"
    assert old.service("advies_internationaal").name == "Advies internationaal ondernemen"


def test_scheme_2016() -> None:
    scheme = RULES.scheme_for(date(2016, 4, 1))
    assert [service.code for service in scheme.services] == ["opleiding", "advies"]
    assert rates(scheme, "opleiding", "algemeen") == (Decimal(40), Decimal(30))
    assert rates(scheme, "advies", "algemeen") == (Decimal(40), Decimal(30))
    assert dict(scheme.annual_cap) == {"klein": Decimal(10000), "middelgroot": Decimal(15000)}


def test_scheme_2020() -> None:
    scheme = RULES.scheme_for(date(2020, 1, 1))
    for service in ("opleiding", "advies"):
        assert rates(scheme, service, "algemeen") == (Decimal(30), Decimal(20))
        assert rates(scheme, service, "cybersecurity") == (Decimal(45), Decimal(35))
        assert rates(scheme, service, "energie_efficientie") == (Decimal(45), Decimal(35))
    assert dict(scheme.annual_cap) == {"klein": Decimal(7500), "middelgroot": Decimal(7500)}
    assert scheme.service("opleiding").minimum_amount == Decimal(100)
    assert scheme.service("advies").minimum_amount == Decimal(500)


def test_scheme_2026_advice_only_cybersecurity() -> None:
    scheme = RULES.scheme_for(date(2026, 2, 1))
    advice = scheme.service("advies")
    assert [theme.code for theme in advice.themes] == ["cybersecurity"]
    assert rates(scheme, "advies", "cybersecurity") == (Decimal(45), Decimal(35))
    with pytest.raises(KeyError):
        scheme.theme("advies", "algemeen")
    training = scheme.service("opleiding")
    assert [theme.code for theme in training.themes] == [
        "algemeen",
        "cybersecurity",
        "energie_efficientie",
    ]
    assert rates(scheme, "opleiding", "algemeen") == (Decimal(30), Decimal(20))
    assert rates(scheme, "opleiding", "energie_efficientie") == (Decimal(45), Decimal(35))
    assert training.theme("energie_efficientie").name == "Energie-efficiëntie"
    assert (training.minimum_amount, advice.minimum_amount) == (Decimal(100), Decimal(500))
    assert dict(scheme.annual_cap) == {"klein": Decimal(7500), "middelgroot": Decimal(7500)}


def test_unknown_codes_raise_key_error() -> None:
    scheme = RULES.scheme_for(date(2026, 2, 1))
    with pytest.raises(KeyError, match="technologieverkenning"):
        scheme.service("technologieverkenning")
    with pytest.raises(KeyError):
        scheme.theme("opleiding", "onbekend")


def test_rules_objects_are_frozen_and_hashable() -> None:
    scheme = RULES.schemes[-1]
    with pytest.raises(AttributeError):
        scheme.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        scheme.annual_cap["klein"] = Decimal(1)  # type: ignore[index]
    assert len({scheme, RULES.schemes[-1], *RULES.schemes}) == len(RULES.schemes)


def test_check_at() -> None:
    assert RULES.check_at == "www.kmo-portefeuille.be"


def test_explicit_path_loads_a_corrected_file(tmp_path: Path) -> None:
    corrected = tmp_path / "rules.toml"
    corrected.write_text(
        PACKAGED.replace('payment_handler = "Sodexo"', 'payment_handler = "Pluxee"'),
        encoding="utf-8",
    )
    rules = load_rules(corrected)
    assert {scheme.payment_handler for scheme in rules.schemes} == {"Pluxee"}


def test_fractional_rates_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(PACKAGED.replace("klein = 45,", "klein = 22.5,"), encoding="utf-8")
    rate = load_rules(path).scheme_for(date(2026, 2, 1)).theme("advies", "cybersecurity")
    assert rate.rates["klein"] == Decimal("22.5")


VALID_SCHEME = """
[[scheme]]
valid_from = 2026-02-01
name = "n"
source = "s"
application_days = 14
payment_days = 30
payment_handler = "Sodexo"
annual_cap = { klein = 7500, middelgroot = 7500 }

[[scheme.service]]
code = "opleiding"
name = "Opleiding"
recognition_number = "DV.O101579"
minimum_amount = 100
needs_report_approval = false
enrolment = true
themes = [{ code = "algemeen", name = "Algemeen", rates = { klein = 30, middelgroot = 20 } }]
"""


def test_minimal_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(VALID_SCHEME, encoding="utf-8")
    rules = load_rules(path)
    assert len(rules.schemes) == 1
    assert rules.check_at == "www.kmo-portefeuille.be"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("klein = 30, middelgroot = 20", "klein = 30", "theme 'algemeen'.*missing: middelgroot"),
        ("klein = 7500, middelgroot = 7500", "klein = 7500", "annual_cap.*middelgroot"),
        ("klein = 30,", "klein = 30, groot = 10,", "unknown: groot"),
        ("klein = 30,", "klein = 130,", "at most 100"),
        ("klein = 30,", "klein = -1,", "at least 0"),
        ("klein = 30,", 'klein = "30",', "must be a number"),
        ("minimum_amount = 100", "minimum_amount = true", "must be a number"),
        ("application_days = 14", "application_days = 0", "application_days"),
        ("payment_days = 30", "payment_days = 30.5", "payment_days"),
        ("valid_from = 2026-02-01", 'valid_from = "2026-02-01"', "valid_from must be a date"),
        ("valid_from = 2026-02-01", "valid_from = 2026-02-01T00:00:00", "valid_from"),
        ('name = "n"\n', "", "'name' must be a non-empty text"),
        ("needs_report_approval = false", 'needs_report_approval = "no"', "true or false"),
        ("enrolment = true\n", "", "enrolment must be true or false"),
        ("themes = [", "themes = [] #", "'themes' must be a non-empty list"),
        ("valid_from = 2026", "valid_from 2026", "Expected"),  # TOML syntax error
    ],
)
def test_broken_files_are_rejected(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in VALID_SCHEME
    path = tmp_path / "rules.toml"
    path.write_text(VALID_SCHEME.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError, match=message) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_duplicate_valid_from_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(VALID_SCHEME + VALID_SCHEME, encoding="utf-8")
    with pytest.raises(ValueError, match="two schemes have valid_from 2026-02-01"):
        load_rules(path)


def test_duplicate_service_is_rejected(tmp_path: Path) -> None:
    service = VALID_SCHEME[VALID_SCHEME.index("[[scheme.service]]") :]
    path = tmp_path / "rules.toml"
    path.write_text(VALID_SCHEME + service, encoding="utf-8")
    with pytest.raises(ValueError, match="service 'opleiding' appears twice"):
        load_rules(path)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="'scheme' must be a non-empty list"):
        load_rules(path)


def test_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_rules(tmp_path / "absent.toml")


def test_rules_needs_a_scheme() -> None:
    with pytest.raises(ValueError, match="no scheme"):
        Rules([])


def test_domain_package_does_not_import_telegram() -> None:
    for source in DOMAIN_DIR.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "telegram" for name in names), source


def test_codes_that_would_break_button_data_are_refused(tmp_path: Path) -> None:
    text = (resources.files("bot.domain") / "rules.toml").read_text(encoding="utf-8")
    broken = tmp_path / "rules.toml"
    broken.write_text(text.replace('code = "opleiding"', 'code = "opl:eiding"', 1))
    with pytest.raises(RulesError, match="must be 1-24 characters"):
        load_rules(broken)
