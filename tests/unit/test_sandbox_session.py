"""The sandbox session in-process: its own commands, buttons by number, --db and other clients."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox import SandboxOptions, SandboxSession, parse_shift
from bot.sandbox.session import bypass_proxies

Line = str | Callable[[str], str]


class Script:
    """Typed lines; a callable line is worked out from the output so far."""

    def __init__(self, out: io.StringIO, *lines: Line) -> None:
        self.out = out
        self.lines = list(lines)

    def start(self) -> None:
        pass

    def close(self) -> None:
        self.lines.clear()

    async def next_line(self) -> str | None:
        if not self.lines:
            return None
        line = self.lines.pop(0)
        return line if isinstance(line, str) else line(self.out.getvalue())


def button(label: str) -> Callable[[str], str]:
    """The number shown for the latest button labelled `label`."""

    def number(output: str) -> str:
        found = re.findall(rf"\[(\d+)\] {re.escape(label)}", output)
        assert found, f"no button {label!r} in:\n{output}"
        return str(found[-1])

    return number


async def chat(options: SandboxOptions, *lines: Line) -> str:
    out = io.StringIO()
    session = SandboxSession(options, out, color=False, echo=True)
    await session.run(Script(out, *lines))
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+7d", timedelta(days=7)),
        ("7d", timedelta(days=7)),
        ("+3u", timedelta(hours=3)),
        ("+2h", timedelta(hours=2)),
        ("+30m", timedelta(minutes=30)),
        ("+1w", timedelta(weeks=1)),
        ("+1d12u", timedelta(days=1, hours=12)),
        (" + 8D ", timedelta(days=8)),
        ("-3d", None),
        ("+0d", None),
        ("+3j", None),
        ("morgen", None),
        ("", None),
        ("+99999w", None),
    ],
)
def test_parse_shift(text: str, expected: timedelta | None) -> None:
    assert parse_shift(text) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "127.0.0.1"),
        ({"NO_PROXY": "intra.vigc.be"}, "intra.vigc.be,127.0.0.1"),
        ({"no_proxy": "a, b", "NO_PROXY": "b,127.0.0.1"}, "a,b,127.0.0.1"),
    ],
)
def test_the_emulator_is_never_reached_through_a_proxy(
    environ: dict[str, str], expected: str
) -> None:
    bypass_proxies("127.0.0.1", environ)
    assert environ["NO_PROXY"] == environ["no_proxy"] == expected


async def test_sandbox_commands_never_reach_the_bot(tmp_path: Path) -> None:
    output = await chat(
        SandboxOptions(files=tmp_path),
        "/tijd",
        "/tijd +1d12u",
        "/tijd gisteren",
        "/als nul",
        "/sandbox",
        "/stop",
        "/start",  # after /stop: never read
    )
    assert "Voor de bot is het nu" in output
    assert "De klok van de bot gaat 1 dag en 12 uur vooruit. Het is nu " in output
    assert "Gebruik: /tijd +7d (dagen)" in output
    assert "Gebruik: /als 1002" in output
    assert output.count("KMO-bot sandbox") == 2  # at the start and for /sandbox
    assert "Gegevens: een tijdelijke database" in output
    assert "Welkom" not in output
    assert "Ik weet niet goed" not in output  # the bot saw none of it
    assert output.rstrip().endswith("Sandbox gestopt.")


async def test_a_number_that_is_no_button_goes_to_the_bot_as_text(tmp_path: Path) -> None:
    output = await chat(SandboxOptions(files=tmp_path), "7", "/start", "9", button("❓ Hulp"))
    first, rest = output.split("» /start", 1)
    assert "Ik weet niet goed wat u bedoelt" in first  # no keyboard yet: "7" is text
    after_nine = rest.split("» 9", 1)[1]
    assert "Ik weet niet goed wat u bedoelt" in after_nine  # no button 9: text too
    assert "/aanvraag" in after_nine.split("» ", 1)[1]  # the help, by its button


async def test_clients_of_an_earlier_sandbox_get_a_broadcast_shown_under_their_number(
    tmp_path: Path,
) -> None:
    db = tmp_path / "sandbox.sqlite3"
    await chat(SandboxOptions(db=db, user_id=1001, files=tmp_path), "/start")
    output = await chat(
        SandboxOptions(db=db, user_id=900, staff=True, files=tmp_path),
        "/broadcast",
        "Nieuwe regels.",
        button("Alle klanten (1)"),
        button("Versturen"),
    )
    assert f"Gegevens: {db}" in output
    assert "✉️ Voor klant 1001:\nNieuwe regels.\n" in output
    # The progress message is edited into the report: shown as an update.
    assert re.search(r"✏️ Bericht \d+ bijgewerkt:\n📣 Rondzending #1 klaar", output)
    assert output.rstrip().endswith(f"De gegevens blijven bewaard in {db}.")
