"""Every button the bot can send, defined once: its data, its value, where it may be pressed.

Button data is `<prefix>:<value>` (or the prefix alone), at most 64 bytes. A kind is either
*offered*: accepted only when the user's current step offered exactly that data (the flow
state keeps the list), or *anywhere*: pressable at any later time (reminder buttons, step
buttons, menus), in which case its handler checks against the database that it still makes
sense for this user (dossier ownership, the next step, staff rights). Anything else gets
the stale-button answer and changes nothing.

Prefixes and values keep the shapes earlier versions sent, so a "Gedaan" under a reminder
sent last week still works.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

from bot.domain.progress import Step

V = TypeVar("V")

TELEGRAM_MAX_CALLBACK_DATA = 64


class Button(NamedTuple):
    """A label (plain text) and the callback data the press sends back."""

    label: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]

_REGISTRY: dict[str, ButtonKind[Any]] = {}


@dataclass(frozen=True, eq=False)
class ButtonKind(Generic[V]):
    prefix: str
    encode: Callable[[V], str] = field(repr=False)
    decode: Callable[[str], V | None] = field(repr=False)
    anywhere: bool = False  # pressable any time; the handler checks it still applies
    keeps_keyboard: bool = False  # asking for help or a file is not an answer
    staff_only: bool = False
    # The command whose flow these buttons belong to: pressing one in the middle of that
    # flow is not an interruption of it.
    command: str | None = None

    def __post_init__(self) -> None:
        if self.prefix in _REGISTRY:
            raise ValueError(f"button prefix {self.prefix!r} defined twice")
        _REGISTRY[self.prefix] = self

    def button(self, label: str, value: V) -> Button:
        """A button of this kind; its data is checked to parse back to `value`."""
        encoded = self.encode(value)
        data = f"{self.prefix}:{encoded}" if encoded else self.prefix
        if len(data.encode()) > TELEGRAM_MAX_CALLBACK_DATA:
            raise ValueError(f"callback data over 64 bytes: {data!r}")
        if parse(data) != (self, value):
            raise ValueError(f"button data {data!r} does not parse back to {value!r}")
        return Button(label, data)


def parse(data: str) -> tuple[ButtonKind[Any], Any] | None:
    """The kind and typed value of pressed button data, or None for anything unknown."""
    if len(data.encode()) > TELEGRAM_MAX_CALLBACK_DATA:
        return None
    # The longest registered prefix wins ("reg:gedaan" before a shorter "reg").
    for end in [*(m.start() for m in re.finditer(":", data)), len(data)][::-1]:
        kind = _REGISTRY.get(data[:end])
        if kind is None:
            continue
        value = kind.decode(data[end + 1 :] if end < len(data) else "")
        return None if value is None else (kind, value)
    return None


def registered() -> list[ButtonKind[Any]]:
    return list(_REGISTRY.values())


def keyboard(*rows: Sequence[Button]) -> Keyboard:
    """An inline keyboard from rows of buttons (empty rows left out)."""
    return tuple(tuple(row) for row in rows if row)


def column(buttons: Iterable[Button]) -> Keyboard:
    """One button per row."""
    return tuple((button,) for button in buttons)


# -- value shapes -----------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9_]{1,40}")
_NUMBER = re.compile(r"[0-9]{1,9}")


def _word(
    options: Collection[str] | None = None,
) -> tuple[Callable[[str], str], Callable[[str], str | None]]:
    def decode(raw: str) -> str | None:
        if not _WORD.fullmatch(raw) or (options is not None and raw not in options):
            return None
        return raw

    return str, decode


def _number(
    low: int = 0, high: int = 999_999_999
) -> tuple[Callable[[int], str], Callable[[str], int | None]]:
    def decode(raw: str) -> int | None:
        if not _NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
            return None
        return int(raw)

    return str, decode


def _nothing() -> tuple[Callable[[None], str], Callable[[str], bool | None]]:
    # A kind without a value decodes to True ("pressed"), so that None can mean "unknown".
    return (lambda _: ""), (lambda raw: True if raw == "" else None)


def _dossier_step() -> tuple[
    Callable[[tuple[int, Step]], str], Callable[[str], tuple[int, Step] | None]
]:
    def decode(raw: str) -> tuple[int, Step] | None:
        number, _, step = raw.partition(":")
        if not _NUMBER.fullmatch(number) or step not in Step.__members__.values():
            return None
        return int(number), Step(step)

    return (lambda value: f"{value[0]}:{value[1].value}"), decode


def _numbered(
    options: Collection[str],
) -> tuple[Callable[[tuple[int, str]], str], Callable[[str], tuple[int, str] | None]]:
    def decode(raw: str) -> tuple[int, str] | None:
        number, _, action = raw.partition(":")
        if not _NUMBER.fullmatch(number) or action not in options:
            return None
        return int(number), action

    return (lambda value: f"{value[0]}:{value[1]}"), decode


def word(prefix: str, options: Collection[str] | None = None, **flags: Any) -> ButtonKind[str]:
    encode, decode = _word(options)
    return ButtonKind(prefix, encode, decode, **flags)


def number(prefix: str, low: int = 0, high: int = 999_999_999, **flags: Any) -> ButtonKind[int]:
    encode, decode = _number(low, high)
    return ButtonKind(prefix, encode, decode, **flags)


def plain(prefix: str, **flags: Any) -> ButtonKind[Any]:
    """A button without a value: pressing it is all it says."""
    encode, decode = _nothing()
    return ButtonKind(prefix, encode, decode, **flags)


def dossier_step(prefix: str, **flags: Any) -> ButtonKind[tuple[int, Step]]:
    encode, decode = _dossier_step()
    return ButtonKind(prefix, encode, decode, **flags)


def numbered(prefix: str, options: Collection[str], **flags: Any) -> ButtonKind[tuple[int, str]]:
    """A number (a row id) and what to do with it, e.g. "imp:12:qr"."""
    encode, decode = _numbered(options)
    return ButtonKind(prefix, encode, decode, **flags)


YES_NO = ("ja", "nee")
IMPORT_ACTIONS = ("ja", "qr", "nee")  # create; create and send QR codes; cancel
INVITATION_ACTIONS = ("link", "intrekken", "zeker_intrekken", "corrigeren")
MENU_ITEMS = ("aanvraag", "termijnen", "registratie", "berekenen", "help")

# -- anywhere: menus, dossier steps, reminders, registration steps, staff paging --------
MENU = word("menu", MENU_ITEMS, anywhere=True)
STEP = dossier_step("stap", anywhere=True)  # a step of a dossier (asks its date if needed)
DONE_NOW = dossier_step("klaar", anywhere=True)  # "Gedaan" under a reminder: done today
VIGC_HELP = number("hulp", anywhere=True, keeps_keyboard=True)
CALENDAR = number("agenda", anywhere=True, keeps_keyboard=True)
REG_DONE = number("reg:gedaan", 1, 6, anywhere=True, command="registratie")
REG_HELP = number("reg:hulp", 1, 6, anywhere=True, command="registratie", keeps_keyboard=True)
REG_LATER = plain("reg:later", anywhere=True, command="registratie")
REG_ALREADY = plain("reg:al", anywhere=True, command="registratie")
REG_AGAIN = plain("reg:opnieuw", anywhere=True, command="registratie")
STAFF_PAGE = number("dos", 1, 99_999, anywhere=True, keeps_keyboard=True, staff_only=True)
DETAILS = number("aanvul", anywhere=True)  # the missing details of a dossier
# Staff: an enrolment list's preview, the invitations not taken over yet.
IMPORT = numbered("imp", IMPORT_ACTIONS, anywhere=True, staff_only=True)
INVITATIONS_PAGE = number("uitp", 1, 99_999, anywhere=True, keeps_keyboard=True, staff_only=True)
INVITATION_CARD = number("uitk", anywhere=True, keeps_keyboard=True, staff_only=True)
INVITATION = numbered("uita", INVITATION_ACTIONS, anywhere=True, staff_only=True)

# -- offered by one step of a flow ------------------------------------------------------
RESUME = word("hervat", YES_NO)  # continue a paused flow, or start afresh
SERVICE = word("svc")
THEME = word("thm")
SIZE = word("grootte")  # a company size code, or "wijzig" to choose again
AMOUNT_UNKNOWN = plain("bedrag:onbekend")
AGREEMENT = word("ovk", YES_NO)
FAR_AHEAD = word("ver", YES_NO)
BELOW_MINIMUM = word("onder", ("aanpassen", "bijhouden", "verwijderen"))
STEP_DAY = number("dag", 0, 1)  # 0 = today, 1 = yesterday
CHANGE_DOSSIER = number("wdos")
CHANGE_FIELD = word("wdat", ("start", "confirmed"))
NO_ENTERPRISE_NUMBER = plain("reg:geen_nummer")
CALC_START = plain("calc:start")  # another start date for the calculation
CALC_TODAY = plain("calc:vandaag")
FORGET = word("vergeet", YES_NO)
AUDIENCE = word("bc:doel", staff_only=True)
BROADCAST_SEND = plain("bc:send", staff_only=True)
BROADCAST_CANCEL = plain("bc:cancel", staff_only=True)
INVITATION_ANSWER = word("uitn", YES_NO)  # "Klopt dit?" under a project VIGC set up
NEW_DOSSIER = word("nd", ("maak", "annuleer"), staff_only=True)
STAFF_SKIP = word("nd:over", ("grootte", "contact"), staff_only=True)
CORRECT_FIELD = word("uitc", ("bedrijf", "titel", "start"), staff_only=True)
