"""`kmo-bot sandbox` as a person uses it: a subprocess, typed at through its stdin."""

from __future__ import annotations

import asyncio
import codecs
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

# The buttons to press on the way to the start date, whatever /aanvraag asks first.
# Seconds to wait for an expected line (the sandbox answers in well under one).
WAIT = 15.0


class Sandbox:
    """`python -m bot sandbox` with a pipe for stdin and one for stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.output = ""
        self._read_upto = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    @classmethod
    async def start(cls, workdir: Path, *args: str) -> Sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env["NO_COLOR"] = "1"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "sandbox",
            *args,
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{line}\n".encode())
        await self.proc.stdin.drain()

    async def expect(self, pattern: str) -> re.Match[str]:
        """Wait for `pattern` in the output after the previous match; returns the match."""
        assert self.proc.stdout is not None
        regex = re.compile(pattern)
        try:
            async with asyncio.timeout(WAIT):
                while (match := regex.search(self.output, self._read_upto)) is None:
                    chunk = await self.proc.stdout.read(65536)
                    if not chunk:
                        break
                    self.output += self._decoder.decode(chunk)
        except TimeoutError:
            match = None
        assert match is not None, f"no {pattern!r} in:\n{self.output[self._read_upto :]}"
        self._read_upto = match.end()
        return match

    async def say(self, line: str, pattern: str) -> re.Match[str]:
        """Type `line`, then wait for `pattern` in what follows its echo."""
        await self.type(line)
        await self.expect(f"» {re.escape(line)}\n")
        return await self.expect(pattern)

    async def press(self, label: str, pattern: str) -> re.Match[str]:
        """Type the number of the button labelled `label` (shown since the last match)."""
        number = await self.button_number(label)
        return await self.say(number, pattern)

    async def button_number(self, label: str) -> str:
        match = await self.expect(rf"\[(\d+)\] {re.escape(label)}")
        return match.group(1)

    async def finish(self) -> tuple[int, str, str]:
        """Wait for the exit; returns (exit code, rest of stdout, stderr)."""
        out, err = await asyncio.wait_for(self.proc.communicate(), timeout=20)
        assert self.proc.returncode is not None
        self.output += self._decoder.decode(out, final=True)
        return self.proc.returncode, self.output[self._read_upto :], err.decode()

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


StartSandbox = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
async def sandboxes() -> AsyncIterator[StartSandbox]:
    """Starts sandboxes; kills whatever is still running at the end of the test."""
    started: list[Sandbox] = []

    async def start(workdir: Path, *args: str) -> Sandbox:
        sandbox = await Sandbox.start(workdir, *args)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.kill()
        await sandbox.proc.wait()


async def test_start_button_aanvraag_and_time_travel_to_the_reminder(
    sandboxes: StartSandbox, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    bot = await sandboxes(tmp_path, "--files", str(files))
    await bot.expect("KMO-bot sandbox")
    await bot.say("/start", r"Welkom, Klant 1001!")
    await bot.press("❓ Hulp", r"/aanvraag")  # a button, by its number

    await bot.say("/aanvraag", "Voor welke dienst")
    await bot.press("Opleiding", "ingeschreven")
    await bot.press("Ja, ik ben ingeschreven", "startdatum")
    await bot.say("vandaag", r"Dien uw subsidieaanvraag in ten laatste op \w+ \d+ \w+ \d{4}")
    await bot.expect("Gaat de opleiding over een van deze thema's")
    await bot.press("Ander thema (standaardtarief)", "korte naam")
    await bot.say("Veilig werken", "Hoe groot")
    await bot.press("Klein", "exclusief btw")
    await bot.press("Nog niet gekend", "📁 Veilig werken")

    [saved] = (await bot.press("📅 Zet in mijn agenda", r"opgeslagen: (.+\.ics)\n")).groups()
    assert Path(saved).parent == files.resolve()
    assert (await asyncio.to_thread(Path(saved).read_text)).startswith("BEGIN:VCALENDAR")

    await bot.say("/tijd +8d", r"De klok van de bot gaat 8 dagen vooruit")
    reminder = await bot.expect(r"Herinnering: Veilig werken\n\n.*\n(Nog 6 dagen\.)")
    assert reminder.group(1) == "Nog 6 dagen."
    await bot.expect(r"\[1\] 👍 Gedaan  \[2\] 🙋 Hulp van VIGC")
    await bot.say("/tijd", r"8 dagen vooruit")

    await bot.type("/stop")
    code, rest, err = await bot.finish()
    assert code == 0
    assert "Sandbox gestopt" in rest
    assert err == ""  # logging and warnings stay out of the chat


async def test_staff_broadcast_reaches_the_other_client_and_eof_stops(
    sandboxes: StartSandbox, tmp_path: Path
) -> None:
    db = tmp_path / "sandbox.sqlite3"
    bot = await sandboxes(tmp_path, "--staff", "--as", "900", "--db", str(db))
    await bot.expect("U bent VIGC-medewerker 900")
    await bot.say("/als 1001", "U bent nu klant 1001")
    await bot.say("/start", "Welkom, Klant 1001!")
    await bot.say("/als 900", "U bent nu VIGC-medewerker 900")
    await bot.say("/broadcast", "Bericht aan klanten")
    await bot.say("Nieuwe regels vanaf januari.", "Naar wie gaat dit bericht")
    await bot.press("Alle klanten (1)", "Voorbeeld")
    await bot.press("Versturen", "Rondzending #1 klaar")
    # Two chats at once: the client's message may show before or after the staff's progress.
    assert "Voor klant 1001:\nNieuwe regels vanaf januari.\n" in bot.output

    assert bot.proc.stdin is not None
    bot.proc.stdin.close()  # Ctrl-D
    code, rest, err = await bot.finish()
    assert code == 0
    assert f"De gegevens blijven bewaard in {db}" in rest
    assert err == ""
    assert db.exists()


async def test_staff_set_up_a_dossier_and_a_new_client_opens_its_link(
    sandboxes: StartSandbox, tmp_path: Path
) -> None:
    """Both sides in one sandbox: staff make an invitation, /als becomes the client, who
    types (pastes) the link, and an enrolment list goes in with /bestand."""
    files = tmp_path / "files"
    bot = await sandboxes(tmp_path, "--staff", "--files", str(files))
    await bot.expect("KMO-bot sandbox")
    await bot.say("/nieuwdossier", "naam van het bedrijf")
    await bot.say("Jansen bv", "ondernemingsnummer")
    await bot.press("Nummer overslaan", "Wanneer start")
    await bot.say("vandaag", "Welke dienst")
    await bot.press("Opleiding", "thema")
    await bot.press("Ander thema (standaardtarief)", "titel")
    await bot.say("Excel", "exclusief btw")
    await bot.press("Nog niet gekend", "kleine of een middelgrote")
    await bot.press("Overslaan", "contactpersoon")
    await bot.press("Overslaan", "Klopt dit")
    link = (await bot.press("🔗 Link maken", r"(https://t\.me/\w+\?start=[\w-]+)")).group(1)
    [qr] = (await bot.expect(r"opgeslagen: (.+\.png)\n")).groups()
    assert (await asyncio.to_thread(Path(qr).read_bytes)).startswith(b"\x89PNG")

    await bot.say("/als 1002", "1002")
    await bot.say(link, "Klopt dit")
    await bot.press("✅ Ja, dat klopt", "staat nu op uw naam")

    await bot.say("/als 1001", "1001")
    enrolment = tmp_path / "inschrijvingen.csv"
    enrolment.write_text(
        "Bedrijf;Titel;Startdatum;Dienst\nPeeters nv;Word;vandaag;Opleiding\n", encoding="utf-8"
    )
    await bot.say(f"/bestand {enrolment}", "1 nieuw dossier klaar")
    await bot.press("✅ Bevestig", r"opgeslagen: (.+-met-links\.csv)\n")
    await bot.type("/stop")
    code, _, _ = await bot.finish()
    assert code == 0
