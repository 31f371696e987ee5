"""The emulator package's shape: small modules whose parts only use each other's public API."""

from __future__ import annotations

import re
from pathlib import Path

import bot.emulator
from bot.emulator import server

PACKAGE = Path(bot.emulator.__file__).parent
PRIVATE = re.compile(r"\._[a-z]")
OWNER = re.compile(r"[\w.\])]*$")  # the expression before the dot, e.g. `self._emu`


def foreign_private(line: str) -> list[str]:
    """Every `x._name` in the line where `x` is not exactly `self` or `cls`."""
    found = []
    for match in PRIVATE.finditer(line):
        owner = OWNER.search(line[: match.start()])
        prefix = owner.group() if owner else ""
        if prefix not in {"self", "cls"}:
            found.append(f"{prefix}{match.group()}")
    return found


def _sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.glob("*.py"))}


def test_no_access_to_private_attributes_of_other_objects() -> None:
    found = [
        f"{name}:{number}: {line.strip()}"
        for name, text in _sources().items()
        for number, line in enumerate(text.splitlines(), 1)
        if foreign_private(line)
    ]
    assert found == []


def test_the_check_itself_catches_foreign_private_access() -> None:
    assert foreign_private("self._emu._store_file(data)") == ["self._emu._s"]
    assert foreign_private("user._inflight += 1") == ["user._i"]
    assert foreign_private("users[0]._messages.append(m)") == ["0]._m"]
    assert foreign_private("super()._store_message(m)") == [")._s"]
    assert foreign_private("self._emu.store_file(data)") == []
    assert foreign_private("cls._registry = {}") == []
    assert foreign_private("obj.__class__.__name__") == []


def test_modules_stay_small() -> None:
    sizes = {name: text.count("\n") for name, text in _sources().items()}
    assert {name: n for name, n in sizes.items() if n > 600} == {}


def test_public_names_are_still_exported() -> None:
    for name in (
        "ApiCall",
        "ApiError",
        "BotApiEmulator",
        "CallbackAnswer",
        "EmulatorStats",
        "FakeUser",
        "HtmlError",
        "SentMessage",
        "StoredFile",
        "parse_telegram_html",
        "utf16_len",
    ):
        assert hasattr(bot.emulator, name), name
    for name in ("ApiCall", "ApiError", "BotApiEmulator", "EmulatorStats", "StoredFile"):
        assert hasattr(server, name), name
