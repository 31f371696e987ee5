"""The figures a client relies on: rules of the project's own date, the minimum, the annual
cap over all of a company's dossiers, and a payment deadline on a Sunday."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.domain.deadlines import payment_deadline
from bot.domain.progress import Dossier, StartVerdict, Step, check_start, current_deadline
from bot.domain.rules import load_rules
from bot.domain.support import figures_of, used_in_year
from bot.texts import render

RULES = load_rules()


def _dossier(number: int, start: date, amount: str | None, **values: object) -> Dossier:
    return Dossier(
        id=number,
        client_id=1001,
        service=str(values.get("service", "opleiding")),
        theme=str(values.get("theme", "algemeen")),
        title=f"Project {number}",
        start_date=start,
        amount=None if amount is None else Decimal(amount),
        company_size="klein",
        done=values.get("done", {}),  # type: ignore[arg-type]
    )


def test_advice_started_in_january_2026_is_judged_by_the_rules_of_then() -> None:
    check = check_start(RULES, "advies", date(2026, 1, 20), date(2026, 2, 2), "algemeen")
    assert check.verdict is StartVerdict.OK
    assert check.deadline == date(2026, 2, 3)
    assert check.scheme.valid_from == date(2020, 1, 1)
    assert not check.scheme.service("advies").restricted  # general advice was supported


def test_general_advice_starting_in_march_2026_is_not_supported() -> None:
    check = check_start(RULES, "advies", date(2026, 3, 1), date(2026, 3, 2), "algemeen")
    assert check.verdict is StartVerdict.NOT_ELIGIBLE
    service = check.scheme.service("advies")
    assert service.restricted
    assert [theme.code for theme in service.themes] == ["cybersecurity"]
    cyber = check_start(RULES, "advies", date(2026, 3, 1), date(2026, 3, 2), "cybersecurity")
    assert cyber.verdict is StartVerdict.OK


def test_a_training_of_80_euro_gets_no_support() -> None:
    [result] = figures_of(RULES, [_dossier(1, date(2026, 12, 1), "80")]).values()
    assert result is not None
    assert result.below_minimum
    assert result.support == 0
    assert result.own_share == Decimal("80.00")


def test_a_second_training_of_20000_in_the_same_year_gets_what_is_left_of_the_cap() -> None:
    first = _dossier(1, date(2026, 3, 2), "20000")
    second = _dossier(2, date(2026, 9, 1), "20000")
    next_year = _dossier(3, date(2027, 1, 5), "20000")
    figures = figures_of(RULES, [second, next_year, first])  # any order in, dates decide
    assert figures[1] is not None
    assert figures[1].support == Decimal("6000.00")
    assert figures[2] is not None
    assert figures[2].support == Decimal("1500.00")
    assert figures[2].capped
    assert figures[2].already_used == Decimal("6000.00")
    assert figures[3] is not None
    assert figures[3].support == Decimal("6000.00")
    assert used_in_year(RULES, [first, second, next_year], 2026) == Decimal("7500.00")


def test_the_application_day_decides_the_year() -> None:
    """Started late in December, filed in January: it counts for the new year."""
    december = _dossier(1, date(2026, 12, 28), "20000", done={Step.FILED: date(2027, 1, 4)})
    assert december.application_day.year == 2027
    assert used_in_year(RULES, [december], 2026) == 0
    assert used_in_year(RULES, [december], 2027) == Decimal("6000.00")


def test_a_payment_deadline_on_a_sunday_stays_that_sunday_with_a_warning() -> None:
    confirmed = date(2026, 11, 27)
    dossier = _dossier(
        1,
        date(2026, 11, 20),
        "2000",
        done={Step.FILED: date(2026, 11, 25), Step.CONFIRMED: confirmed},
    )
    scheme = RULES.scheme_for(dossier.start_date)
    due = payment_deadline(confirmed, scheme)
    assert due == date(2026, 12, 27)
    assert due.isoweekday() == 7
    deadline = current_deadline(dossier, scheme, date(2026, 12, 1))
    assert deadline is not None
    assert deadline.due == due
    text = render(
        "reminders/client",
        dossier=dossier,
        service=scheme.service("opleiding"),
        scheme=scheme,
        kind="payment",
        deadline=due,
        days_left=1,
        figures=figures_of(RULES, [dossier])[1],
        unsupported=False,
    )
    assert "Dat is een zondag" in text
    assert "instantoverschrijving" in text
    assert "op de rekening van Sodexo staan" in text
