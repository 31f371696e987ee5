"""Every template in messages_nl/, rendered with representative values, reads right.

Sentences glued together by template whitespace ("…met VIGC.Pas daarna…", "dossier:Een"),
a message that starts with a lowercase letter (a weekday, say), and empty lines at the start
or end of a message (or two in a row inside it) fail here. Each template is rendered once
with the base values and once more for each alternative value of every variable it uses,
so that the branches render too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import meta

import messages_nl
from bot.app import build_router
from bot.domain.calculator import calculate_subsidy
from bot.domain.enrolment import plan_import
from bot.domain.progress import Deadline, DeadlineKind, Dossier, Step, check_start
from bot.domain.rules import load_rules
from bot.enrolment_files import TableRejected
from bot.staff_overview import DossierLine, Urgency
from bot.texts import environment, label, render
from storage.broadcasts import Broadcast, Tally
from storage.clients import Client
from storage.invitations import Invitation, NewInvitation
from storage.staff_queries import StaffDossier

ROOT = Path(messages_nl.__file__).parent
RULES = load_rules()
SCHEME = RULES.scheme_for(date(2026, 12, 1))
TRAINING = SCHEME.service("opleiding")
ADVICE = SCHEME.service("advies")
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 9, tzinfo=UTC)
# Files of macros only: they render nothing by themselves (their macros are used above).
LIBRARIES = {
    "buttons.html",
    "commands.html",
    "figures.html",
    "flow/names.html",
    "calculator/sizes.html",
    "staff/stage.html",
    "broadcast/duration.html",
    "enrolment/error.html",
    "invitations/_status.html",
    "staff/invitations_note.html",
}

DOSSIER = Dossier(
    id=7,
    client_id=1001,
    service="opleiding",
    theme="algemeen",
    title="Veilig werken",
    start_date=date(2026, 12, 1),
    amount=Decimal(2000),
    company_size="klein",
)
CLIENT = Client(1001, "Jan", "Jansen", "jan_kmo", True, "Jansen bv", "0123456749", 3, "klein")
FIGURES = calculate_subsidy(SCHEME, "opleiding", "algemeen", "klein", Decimal(2000))
BELOW = calculate_subsidy(SCHEME, "opleiding", "algemeen", "klein", Decimal(80))
CAPPED = calculate_subsidy(
    SCHEME, "opleiding", "cybersecurity", "middelgroot", Decimal(50000), Decimal(1000)
)
DEADLINE = Deadline(DeadlineKind.APPLICATION, date(2026, 12, 15), 17)
BROADCAST = Broadcast(3, 900, "all", "<b>Nieuws</b>", "done", NOW, NOW, NOW, 900, 12)
LINE = DossierLine(StaffDossier(DOSSIER, CLIENT, False), Step.FILED, DEADLINE, Urgency.AT_RISK)
PLAN = plan_import(
    ["Bedrijf", "Titel", "Startdatum", "Dienst"],
    [["Jansen bv", "Excel", "1/12/2026", "Opleiding"], ["", "Word", "31/02/2026", "Zwemmen"]],
    rules=RULES,
    today=TODAY,
)

INVITATION = Invitation(
    id=4,
    code="AbCdEfGhIjKlMnOpQrStUv",
    dedupe_key="kbo:0123456749|excel|2026-12-01",
    company_name="Jansen & Zonen <bv>",
    enterprise_number="0123456749",
    service="opleiding",
    theme="algemeen",
    title="Excel voor gevorderden",
    start_date=date(2026, 12, 1),
    deadline=date(2026, 12, 15),
    amount=Decimal(1500),
    company_size="klein",
    contact_name="Els Peeters",
    email="els@example.be",
    status="open",
    client_id=None,
    dossier_id=None,
    remark=None,
    created_by=900,
    import_id=None,
)
DISPUTED = replace(INVITATION, status="disputed", client_id=1001, remark="Start is 3 december")
LINKED = replace(INVITATION, status="linked", client_id=1001, dossier_id=7)

BASE: dict[str, Any] = {
    "action": "link",
    "again": False,
    "already": False,
    "amount": Decimal(80),
    "application_days": 14,
    "at_risk": 1,
    "audience": "all",
    "broadcast_id": 3,
    "by": "staff",
    "by_id": 900,
    "check": None,  # set per template below
    "client": CLIENT,
    "code": "filed",
    "command": "aanvraag",
    "company": "Jansen & Zonen <bv>",
    "contact": "",
    "count": 2,
    "created": 41,
    "database": Path("/tmp/sandbox.sqlite3"),
    "day": date(2026, 11, 27),
    "days": 3,
    "days_left": 5,
    "deadline": DEADLINE,
    "done": 7,
    "dossier": DOSSIER,
    "dossier_id": 7,
    "disputed": 1,
    "dossiers": [{"title": "Veilig werken", "start": date(2026, 12, 1)}],
    "duplicate_of": None,
    "enterprise_number": "0123.456.749",
    "error": "RuntimeError",
    "errors": [],
    "field": "start",
    "figures": FIGURES,
    "filed": date(2026, 11, 25),
    "filed_too": False,
    "filename": "termijnen.ics",
    "first": date(2009, 4, 1),
    "first_name": "Jan",
    "flow": "aanvraag",
    "for_staff": False,
    "hour": 10,
    "hours": 2,
    "invitation": INVITATION,
    "invitations": [INVITATION, DISPUTED],
    "intro": False,
    "is_today": True,
    "items": [(BROADCAST, Tally(sent=5, blocked=1, failed=0, waiting=0))],
    "kind": "application",
    "known": 0,
    "known_client": False,
    "late": False,
    "linked": False,
    "length": 0,
    "limit": 80,
    "lines": [LINE],
    "link": "https://t.me/vigc_kmo_bot?start=AbCdEfGhIjKlMnOpQrStUv",
    "made": True,
    "max": 80,
    "message_id": 12,
    "name": "Jan Jansen",
    "minutes": 5,
    "missing": [],
    "new": True,
    "notified": True,
    "number": "0123.456.749",
    "optional": True,
    "page": 1,
    "pages": 2,
    "path": Path("/tmp/termijnen.ics"),
    "plan": PLAN,
    "problem": "future",
    "project": NewInvitation(
        "kbo:0123456749|excel|2026-12-01",
        "Jansen & Zonen <bv>",
        "0123456749",
        "opleiding",
        "algemeen",
        "Excel voor gevorderden",
        date(2026, 12, 1),
        date(2026, 12, 15),
    ),
    "qr": False,
    "queued": False,
    "reason": "unreadable",
    "error_lines": 2,
    "remark": "De startdatum is <3 december>",
    "repeated": 1,
    "register_first": True,
    "registration_step": 3,
    "rejected": TableRejected("missing_columns", missing=("start_date",)),
    "reminders": 4,
    "result": FIGURES,
    "resumed": False,
    "retry": False,
    "rows": 12,
    "saved": None,
    "scheme": SCHEME,
    "seconds": 75.0,
    "service": TRAINING,
    "shown": 10,
    "size": "klein",
    "size_known": False,
    "snippets": {3: "Nieuws"},
    "staff": False,
    "start": date(2026, 12, 1),
    "status": "done",
    "step": "filed",
    "tally": Tally(sent=5, blocked=1, failed=0, waiting=0),
    "text": "Een bericht",
    "theme": SCHEME.theme("opleiding", "algemeen"),
    "time": NOW,
    "today": TODAY,
    "total": 6,
    "tz": ZoneInfo("Europe/Brussels"),
    "unsupported": False,
    "url": "https://www.kmo-portefeuille.be",
    "user_id": 1001,
    "waiting": 3,
    "username": "jan_kmo",
    "where": "bot/updates.py",
}
# Alternative values, so that every branch of a template renders at least once.
VARIANTS: dict[str, list[Any]] = {
    "again": [True],
    "already": [True],
    "invitation": [DISPUTED, LINKED, replace(INVITATION, contact_name=None, amount=None)],
    "made": [False],
    "invitations": [[]],
    "for_staff": [True],
    "linked": [True],
    "status": ["cancelled", "failed"],
    "qr": [True],
    "username": [None],
    "by": ["client", None],
    "contact": ["Bel Els: 09 123 45 67"],
    "days_left": [0, 1, -1],
    "deadline": [
        None,
        Deadline(DeadlineKind.PAYMENT, date(2026, 12, 27), 29),  # a Sunday
        Deadline(DeadlineKind.APPLICATION, date(2026, 11, 20), -8),
    ],
    "duplicate_of": [3],
    "field": ["confirmed", "titel", "bedrijf"],
    "figures": [None, BELOW, CAPPED],
    "filed_too": [True],
    "intro": [True],
    "is_today": [False],
    "kind": ["payment"],
    "known_client": [True],
    "late": [True],
    "length": [200],
    "missing": [["theme", "title", "size", "amount"]],
    "notified": [False],
    "problem": ["before_filed", "out_of_range", "unreadable", "date", "too_late", "length"],
    "queued": [True],
    "reason": [
        "empty",
        "impossible",
        "out_of_range",
        "too_long",
        "not_text",
        "negative",
        "too_large",
        "checksum",
    ],
    "register_first": [False],
    "registration_step": [0, 7],
    "result": [BELOW, CAPPED],
    "resumed": [True],
    "retry": [True],
    "saved": [{"name": "Jansen bv", "number": "0123.456.749"}],
    "service": [ADVICE],
    "size_known": [True],
    "staff": [True],
    "step": ["confirmed", "share_paid", "report_approved", "evaluated", "vigc_paid", None],
    "unsupported": [True],
}
# Templates that give a name another meaning (`deadline` is often just the day).
_DAY = {"deadline": date(2026, 12, 15)}
OVERRIDES: dict[str, dict[str, Any]] = {
    "staff/export_value.html": {"kind": "stage"},
    "invitations/admin_ask_value.html": {"deadline": date(2026, 12, 15)},
    "new_dossier/too_late.html": {"deadline": date(2026, 11, 20)},
    "invitations/check.html": {"deadline": date(2026, 12, 15)},
    "application/deadline.html": _DAY,
    "reminders/client.html": _DAY,
    "reminders/missed.html": _DAY,
    "reminders/staff_alert.html": _DAY,
    "calendar/summary.html": {**_DAY, "due": date(2026, 12, 15)},
    "calendar/description.html": _DAY,
}
# Variants that do not apply to a template (it is only ever given the base value).
NO_VARIANTS: dict[str, set[str]] = {
    "staff/client_confirmed.html": {"deadline"},
    "staff/confirm_done.html": set(),
    # Sent only when there is at least one invitation to name.
    "invitations/admin_list.html": {"invitations"},
    "invitations/staff_unopened.html": {"invitations"},
}
# Cells of a spreadsheet, not messages: they may start in lowercase.
CELLS = {"staff/export_value.html", "staff/export_header.html"}
STEP_NUMBERS = [1, 2, 3, 4, 5, 6]
# Templates only staff read.
STAFF_TEMPLATES = (
    "staff/",
    "broadcast/",
    "enrolment/",
    "alerts/",
    "new_dossier/",
    "invitations/staff_",
    "invitations/admin_",
)
# The terminal sandbox's own commands (not the bot's).
SANDBOX_COMMANDS = {"tijd", "als", "bestand", "sandbox", "stop"}
_TAG = re.compile(r"<[^>]*>")
_GLUED = re.compile(r"[.:?!][A-ZÀ-Ý]")
# Codes in which a dot comes before a capital on purpose (recognition numbers).
_CODES = re.compile(r"\b[A-Z]{2}\.[A-Z]\d+\b")
_LETTER = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")


def _templates() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.html")
        if str(path.relative_to(ROOT)) not in LIBRARIES
    )


def _variables(name: str) -> set[str]:
    """The template's own variables and those of the templates it includes."""
    tree = environment().parse((ROOT / name).read_text(encoding="utf-8"))
    found = set(meta.find_undeclared_variables(tree))
    for included in meta.find_referenced_templates(tree):
        if included and included not in LIBRARIES:
            found |= _variables(included)
    return found


def _contexts(name: str) -> Iterator[dict[str, Any]]:
    used = _variables(name)
    base = {key: value for key, value in BASE.items() if key in used}
    base.update({k: v for k, v in OVERRIDES.get(name, {}).items() if k in used})
    if name.startswith("registration/") and "step" in used:
        for number in STEP_NUMBERS:
            yield {**base, "step": number}
    if "check" in used:
        base["check"] = check_start(RULES, "opleiding", date(2026, 11, 1), TODAY)
    yield base
    for key in sorted(used & VARIANTS.keys() - NO_VARIANTS.get(name, set())):
        if (name.startswith("registration/") and key == "step") or key in OVERRIDES.get(name, {}):
            continue
        for value in VARIANTS[key]:
            yield {**base, key: value}


def _visible(rendered: str) -> str:
    return html.unescape(_TAG.sub("", rendered))


def _problems(text: str, *, cell: bool = False) -> list[str]:
    problems = []
    stripped = _CODES.sub("", text)
    for match in _GLUED.finditer(stripped):
        around = stripped[max(match.start() - 20, 0) : match.end() + 10]
        problems.append(f"no space after {match.group()[0]!r}: …{around}…")
    first = next((c for c in text if _LETTER.match(c)), "")
    if first.islower() and not cell:
        problems.append(f"starts in lowercase: {text[:40]!r}")
    if text != text.strip():
        problems.append("empty lines at the start or end")
    if "\n\n\n" in text:
        problems.append("two empty lines in a row")
    return problems


@pytest.mark.parametrize("name", _templates())
def test_every_template_reads_right(name: str) -> None:
    failures = []
    rendered_any = False
    for values in _contexts(name):
        try:
            rendered = render(name.removesuffix(".html"), **values)
        except Exception as error:
            failures.append(f"{sorted(values)}: {type(error).__name__}: {error}")
            continue
        rendered_any = True
        failures += _problems(_visible(rendered), cell=name in CELLS)
    assert rendered_any, name
    assert sorted(set(failures)) == []


def test_button_labels_and_command_descriptions_start_as_sentences() -> None:
    source = (ROOT / "buttons.html").read_text(encoding="utf-8")
    names = re.findall(r"{% macro (\w+)\(([^)]*)\)", source)
    samples: Mapping[str, Any] = {
        "name": "Cybersecurity",
        "code": "filed",
        "service": TRAINING,
        "enrolment": True,
        "step": 3,
        "total": 6,
        "kind": "application",
        "count": 12,
        "dossier": DOSSIER,
        "invitation": INVITATION,
        "action": "link",
        "field": "titel",
    }
    for macro, parameters in names:
        arguments = {p.strip(): samples[p.strip()] for p in parameters.split(",") if p.strip()}
        if macro == "size":
            arguments["code"] = "klein"
        text = label(macro, **arguments)
        assert text, macro
        first = next((c for c in text if c.isalpha()), "")
        assert not first.islower(), (macro, text)


def test_every_command_a_text_suggests_exists_for_whoever_reads_it() -> None:
    """A command named in a client's message is a client command; in staff messages, a
    command staff have."""
    router = build_router()
    for name in _templates():
        staff_text = name.startswith(STAFF_TEMPLATES)
        for values in _contexts(name):
            rendered = render(name.removesuffix(".html"), **values)
            # Code (a URL path such as /healthz) is shown, not tapped as a command.
            text = _visible(re.sub(r"<code>.*?</code>", "", rendered, flags=re.DOTALL))
            for command in re.findall(r"(?<![\w/:.])/([a-z]+)\b(?![/.])", text):
                if name.startswith("sandbox/") and command in SANDBOX_COMMANDS:
                    continue
                found = router.commands.get(command)
                assert found is not None, (name, command)
                # /help shows staff their own commands too (staff=True).
                for_staff = staff_text or values.get("staff") is True
                assert for_staff or not found.staff_only, (name, command)
