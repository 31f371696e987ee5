"""`kmo-bot sandbox`: the real bot against the local Bot API emulator, chatted with in a terminal.

One process, one event loop: the emulator listens on 127.0.0.1 (a free port), the bot polls it
like it polls Telegram, and the session types for a fake user and prints what the bot sends.
Every line typed is handled before the next one is read: the session waits until the bot has
gone quiet in that chat, so that a number typed next presses a button that is on screen.

Messages for a client other than the active one are printed as they arrive, under a line
naming that client: a broadcast is seen reaching each client live. Numbers always press the
active client's buttons.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import re
import signal
import sys
import tempfile
import warnings
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any, TextIO

from dotenv import dotenv_values
from telegram.error import TelegramError
from telegram.warnings import PTBUserWarning

from bot.clock import Clock
from bot.config import ConfigError, Settings, load_settings
from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from bot.logs import configure_logging
from bot.runner import BotRuntime
from bot.sandbox.lines import LineReader, Lines
from bot.sandbox.terminal import format_buttons, render_entities, render_html, wants_color
from bot.texts import render
from storage import inbox

# A well-formed token the emulator accepts; it is no secret and works nowhere else.
SANDBOX_TOKEN = "123456789:SANDBOX-local-emulator-no-telegram0"  # noqa: S105
DEFAULT_USER_ID = 1001
# Settings the sandbox takes from the environment or `.env`; never the token, the API URL or
# the database, so that a sandbox can never reach Telegram or touch the real data.
PASSED_SETTINGS = (
    "TIMEZONE",
    "REMINDER_DAYS_BEFORE",
    "REMINDER_TIME",
    "BROADCAST_RATE",
    "VIGC_CONTACT",
    "RULES_PATH",
)
# The bot's answer is complete once it made no request for the chat for this long.
QUIET_SECONDS = 0.2
SETTLE_TIMEOUT = 15.0
MAX_SHIFT = timedelta(days=3660)
MAX_USER_ID = 10**15
EMULATOR_HOST = "127.0.0.1"

_SHIFT = re.compile(r"\+?((?:[0-9]{1,5}[wduhm])+)")
_SHIFT_PART = re.compile(r"([0-9]+)([wduhm])")
_SHIFT_UNITS = {"w": "weeks", "d": "days", "u": "hours", "h": "hours", "m": "minutes"}
_NUMBER = re.compile(r"[0-9]{1,3}")
# A personal link typed or pasted: opened, as tapping it in Telegram would.
_START_LINK = re.compile(r"https://t\.me/\w+\?start=[A-Za-z0-9_-]{1,64}")
# Files /bestand sends, by extension (what Telegram would report).
_MIME_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class SandboxOptions:
    db: Path | None = None
    """Keep the data in this SQLite file; a fresh temporary database when ``None``."""
    staff: bool = False
    """The starting user is VIGC staff (in STAFF_IDS)."""
    user_id: int = DEFAULT_USER_ID
    files: Path | None = None
    """Where files the bot sends go; a new temporary folder (kept) when ``None``."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kmo-bot sandbox``."""
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="keep the sandbox data in this SQLite file (default: a fresh temporary database)",
    )
    parser.add_argument(
        "--staff", action="store_true", help="the sandbox user (see --as) is VIGC staff"
    )
    parser.add_argument(
        "--as",
        dest="user_id",
        type=_user_id,
        default=DEFAULT_USER_ID,
        metavar="ID",
        help=f"start as this Telegram user id (default {DEFAULT_USER_ID}); /als ID switches",
    )
    parser.add_argument(
        "--files",
        type=Path,
        metavar="DIR",
        help="save the files the bot sends here (default: a new temporary folder)",
    )


def options_from(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(db=args.db, staff=args.staff, user_id=args.user_id, files=args.files)


def main(options: SandboxOptions) -> int:
    """Run the sandbox on this process's stdin and stdout until EOF, /stop or Ctrl-C."""
    configure_logging("WARNING", [SANDBOX_TOKEN])  # the chat stays readable; stderr only
    bypass_proxies(EMULATOR_HOST)
    # As in the test settings: per_message=False is intended (one conversation per user).
    warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):
        out.reconfigure(errors="replace")  # emoji on a terminal that cannot show them
    session = SandboxSession(
        options,
        out,
        color=wants_color(out),
        echo=not sys.stdin.isatty(),  # typed lines are echoed by the terminal itself
        settings=_passed_settings(),
    )
    try:
        asyncio.run(session.run(LineReader(sys.stdin.fileno())))
    except ConfigError as exc:  # a malformed REMINDER_TIME, RULES_PATH… in the environment
        print(f"kmo-bot sandbox: {exc}", file=sys.stderr)
        return 2
    except TelegramError as exc:  # e.g. no loopback interface
        print(f"kmo-bot sandbox: the bot cannot reach the local emulator: {exc}", file=sys.stderr)
        return 1
    return 0


def bypass_proxies(host: str, environ: MutableMapping[str, str] | None = None) -> None:
    """Add `host` to NO_PROXY: with HTTP(S)_PROXY set (company networks), the bot's HTTP
    client would otherwise send its requests for the emulator to the proxy."""
    env = os.environ if environ is None else environ
    hosts = [h.strip() for key in ("no_proxy", "NO_PROXY") for h in env.get(key, "").split(",")]
    wanted = list(dict.fromkeys(h for h in [*hosts, host] if h))
    env["NO_PROXY"] = env["no_proxy"] = ",".join(wanted)


def parse_shift(text: str) -> timedelta | None:
    """``+7d``, ``+3u`` / ``+2h``, ``+30m``, ``+1w`` or together (``+1d12u``); forward only."""
    match = _SHIFT.fullmatch("".join(text.lower().split()))
    if match is None:
        return None
    shift = timedelta()
    for amount, unit in _SHIFT_PART.findall(match.group(1)):
        shift += timedelta(**{_SHIFT_UNITS[unit]: int(amount)})
    if not timedelta() < shift <= MAX_SHIFT:
        return None
    return shift


def sandbox_settings(
    emulator: BotApiEmulator,
    database: Path,
    staff_ids: Sequence[int],
    passed: Mapping[str, str] | None = None,
) -> Settings:
    """The bot's settings in the sandbox: the emulator as Telegram, the sandbox database."""
    # The emulator is not Telegram: no per-chat pacing to wait for in the terminal.
    values = {"CHAT_RATE": "30", "CHAT_BURST": "100", **(passed or {})}
    values.update(
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        TELEGRAM_API_BASE_URL=emulator.base_url,
        DATABASE_PATH=str(database),
        STAFF_IDS=",".join(str(i) for i in staff_ids),
        LOG_LEVEL="WARNING",
    )
    return load_settings(values, env_file=None)


def _passed_settings(env_file: Path = Path(".env")) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return {k: v for k, v in values.items() if k in PASSED_SETTINGS}


def _read_file(name: str) -> bytes | None:
    path = Path(name).expanduser()
    return path.read_bytes() if path.is_file() else None


def _user_id(text: str) -> int:
    value = _parse_user_id(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"not a Telegram user id: {text!r}")
    return value


def _parse_user_id(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_USER_ID else None


class SandboxSession:
    """The emulator, the bot and one terminal chat; see the module docstring."""

    def __init__(
        self,
        options: SandboxOptions,
        out: TextIO,
        *,
        color: bool = False,
        echo: bool = True,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options
        self.out = out
        self.color = color
        self.echo = echo
        self._passed = dict(settings or {})
        self._staff_ids = frozenset({options.user_id} if options.staff else ())
        self._seq = 0  # emulator events printed so far
        self._shown: dict[tuple[int, int], tuple[str, list[Any], Any]] = {}
        self._files: Path | None = None
        self._emulator: BotApiEmulator | None = None
        self._runtime: BotRuntime | None = None
        self._user: FakeUser | None = None

    @property
    def emulator(self) -> BotApiEmulator:
        if self._emulator is None:
            raise RuntimeError("the sandbox is not running")
        return self._emulator

    @property
    def runtime(self) -> BotRuntime:
        if self._runtime is None:
            raise RuntimeError("the sandbox is not running")
        return self._runtime

    @property
    def user(self) -> FakeUser:
        """The active client: what is typed comes from them."""
        if self._user is None:
            raise RuntimeError("the sandbox is not running")
        return self._user

    # -- lifecycle --------------------------------------------------------------------------

    async def run(self, reader: Lines) -> None:
        """Start everything, chat until the input ends or /stop, then stop cleanly."""
        with tempfile.TemporaryDirectory(prefix="kmo-sandbox-") as workdir:
            database = self.options.db or Path(workdir) / "sandbox.sqlite3"
            async with BotApiEmulator(SANDBOX_TOKEN, host=EMULATOR_HOST) as emulator:
                self._emulator = emulator
                settings = sandbox_settings(
                    emulator, database, sorted(self._staff_ids), self._passed
                )
                self._runtime = BotRuntime(settings, Clock(settings.timezone))
                try:
                    await self._start()
                    await self._chat(reader)
                finally:
                    await self._stop()

    async def _start(self) -> None:
        runtime = self.runtime
        await runtime.db.open()
        # Clients from an earlier sandbox (--db) have a chat, so reminders reach them.
        for row in await runtime.db.fetch_all(
            "SELECT user_id, first_name, last_name, username FROM clients"
        ):
            self.emulator.user(
                int(row["user_id"]), row["first_name"], row["username"], last_name=row["last_name"]
            )
        self._user = self._client(self.options.user_id)
        # This emulator numbers its updates from 1 again: the handled ones of an earlier
        # sandbox must not look like repeats.
        await inbox.prune(runtime.db, runtime.services.clock.now() + timedelta(days=1))
        await runtime.start()

    async def _chat(self, reader: Lines) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, reader.close)
        follower = asyncio.create_task(self._follow())
        try:
            self._show_help()
            reader.start()
            while (line := await reader.next_line()) is not None:
                if not await self.handle(line):
                    break
            await self._settle(list(self.emulator.users.values()))
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)

    async def _stop(self) -> None:
        if self._runtime is not None:
            await self._runtime.stop()
        self._flush()
        self._say("sandbox/stopped", database=self.options.db)

    # -- what the client types --------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """One typed line; ``False`` when the sandbox should stop."""
        text = line.strip()
        if not text:
            return True
        if self.echo:
            self._write(f"\n» {text}")
        command, _, argument = text.partition(" ")
        command = command.lower()
        if command == "/stop":
            return False
        if command == "/tijd":
            await self.travel(argument.strip())
        elif command == "/als":
            self.switch(argument)
        elif command == "/bestand":
            await self.send_file(argument.strip())
        elif _START_LINK.fullmatch(text):
            await self.user.open_link(text)
            await self._settle([self.user])
        elif command == "/sandbox":
            self._show_help()
        else:
            await self._to_bot(text)
        return True

    async def _to_bot(self, text: str) -> None:
        user = self.user
        target = self._button(text)
        if target is None:
            await user.send(text)
        else:
            message, index = target
            button = message.inline_buttons[index]
            if "callback_data" not in button:
                self._say("sandbox/not_pressable", url=button.get("url"))
                return
            await user.press(index, message)
        await self._settle([user])

    def _button(self, text: str) -> tuple[SentMessage, int] | None:
        """A number on its own presses that button of the latest message with buttons."""
        if not _NUMBER.fullmatch(text):
            return None
        with_buttons = [m for m in self.user.messages if m.has_inline_keyboard and not m.deleted]
        if not with_buttons:
            return None
        message = with_buttons[-1]
        number = int(text)
        if not 1 <= number <= len(message.inline_buttons):
            return None
        return message, number - 1

    async def travel(self, argument: str) -> None:
        """``/tijd +8d``: the bot's clock moves on, and due reminders go out at once."""
        runtime = self.runtime
        clock = runtime.services.clock
        if not argument:
            self._say_time("sandbox/time_now", clock.offset)
            return
        shift = parse_shift(argument)
        if shift is None:
            self._say("sandbox/time_usage")
            return
        clock.advance(shift)
        self._say_time("sandbox/time_travelled", shift)
        runtime.services.reminders_wakeup.set()  # the scheduler's own loop looks too
        await runtime.pass_reminders()
        await self._settle(list(self.emulator.users.values()))

    async def send_file(self, argument: str) -> None:
        """``/bestand lijst.csv``: that file goes to the bot as a document (an enrolment
        list, for staff)."""
        data = await asyncio.to_thread(_read_file, argument) if argument else None
        if data is None:
            self._say("sandbox/file_usage", path=argument)
            return
        path = PurePath(argument)
        mime_type = _MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
        await self.user.send_document(data, path.name, mime_type)
        await self._settle([self.user])
        # The list is read in the background: wait for its preview (or result) too.
        with contextlib.suppress(TimeoutError):
            await self.runtime.imports.wait_until_idle(SETTLE_TIMEOUT)
        await self._settle([self.user])

    def switch(self, argument: str) -> None:
        """``/als 1002``: from now on, type as that client (a new one if unknown)."""
        user_id = _parse_user_id(argument)
        if user_id is None:
            self._say("sandbox/switch_usage")
            return
        new = user_id not in self.emulator.users
        self._user = self._client(user_id)
        self._say("sandbox/switched", user_id=user_id, staff=user_id in self._staff_ids, new=new)

    def _client(self, user_id: int) -> FakeUser:
        name = render("sandbox/client_name", user_id=user_id)
        return self.emulator.user(user_id, name, f"sandbox_{user_id}", language_code="nl")

    async def _settle(self, users: Sequence[FakeUser]) -> None:
        """Wait until the bot is done in these chats, then print what it sent."""
        with contextlib.suppress(TimeoutError):
            await self.runtime.settle(SETTLE_TIMEOUT)
        await asyncio.gather(
            *(u.wait_until_idle(quiet=QUIET_SECONDS, timeout=SETTLE_TIMEOUT) for u in users),
            return_exceptions=True,  # a slow answer is still printed when it comes
        )
        self._flush()

    # -- what the bot sends -----------------------------------------------------------------

    async def _follow(self) -> None:
        """Print what the bot sends as it comes (also between typed lines: reminders…)."""
        emulator = self.emulator
        while emulator.running:
            await emulator.wait_for_events(self._seq, timeout=60)
            self._flush()

    def _flush(self) -> None:
        """Print the emulator events not printed yet; synchronous, so never interleaved."""
        if self._emulator is None or self._user is None:
            return
        events = self._emulator.events
        while self._seq < len(events):
            event = events[self._seq]
            self._seq += 1
            self._show_event(event)

    def _show_event(self, event: Mapping[str, Any]) -> None:
        kind = event["type"]
        chat_id = event.get("chat_id")
        if not isinstance(chat_id, int):
            return
        lines: list[str] = []
        if kind == "message":
            lines = self._message_lines(chat_id, event["message"], edited=False)
        elif kind == "edit":
            lines = self._message_lines(chat_id, event["message"], edited=True)
        elif kind == "delete":
            found = self.emulator.find_message(chat_id, int(event["message_id"]))
            if found is not None:
                lines = [
                    self._html("sandbox/deleted", message_id=found.message_id, text=found.text)
                ]
        elif kind == "callback_answer" and event.get("text"):
            lines = [self._html("sandbox/notice", text=event["text"])]
        if not lines:
            return
        if chat_id != self.user.id:
            staff = chat_id in self._staff_ids
            lines.insert(0, self._html("sandbox/for_client", user_id=chat_id, staff=staff))
        self._write("\n" + "\n".join(lines))

    def _message_lines(
        self, chat_id: int, message: Mapping[str, Any], *, edited: bool
    ) -> list[str]:
        message_id = int(message["message_id"])
        text = str(message.get("text") or "")
        entities = list(message.get("entities") or [])
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        before = self._shown.get((chat_id, message_id))
        self._shown[(chat_id, message_id)] = (text, entities, rows)
        if edited and before is not None:
            same_text = before[:2] == (text, entities)
            if same_text and (not rows or rows == before[2]):
                return []  # only the keyboard went (a button was pressed): nothing to see
        lines = []
        if edited:
            lines.append(self._html("sandbox/edited", message_id=message_id))
        if text:
            lines.append(render_entities(text, entities, color=self.color))
        lines += ["   " + line for line in format_buttons(rows, color=self.color)]
        if message.get("kind") in ("document", "photo") and not edited:
            lines.append(self._save_document(chat_id, message_id))
        return lines

    def _save_document(self, chat_id: int, message_id: int) -> str:
        found = self.emulator.find_message(chat_id, message_id)
        data = b"" if found is None or found.document is None else found.document
        filename = Path((found.filename if found else None) or "file").name or "file"
        folder = self._files_folder()
        path = folder / filename
        counter = 1
        while path.exists():
            counter += 1
            path = folder / f"{Path(filename).stem}-{counter}{Path(filename).suffix}"
        path.write_bytes(data)
        return self._html("sandbox/file_saved", filename=filename, path=str(path))

    def _files_folder(self) -> Path:
        if self._files is None:
            if self.options.files is not None:
                self.options.files.mkdir(parents=True, exist_ok=True)
                self._files = self.options.files.resolve()
            else:  # kept after the sandbox stops: the files are there to be opened
                self._files = Path(tempfile.mkdtemp(prefix="kmo-sandbox-files-"))
        return self._files

    # -- the sandbox's own lines --------------------------------------------------------------

    def _show_help(self) -> None:
        self._say(
            "sandbox/help",
            user_id=self.user.id,
            staff=self.user.id in self._staff_ids,
            database=self.options.db,
        )

    def _say_time(self, template: str, shift: timedelta) -> None:
        clock = self.runtime.services.clock
        now = clock.now().astimezone(clock.tz)
        minutes = max(int(shift.total_seconds() // 60), 0)
        self._say(
            template,
            day=now.date(),
            hour=now.strftime("%H:%M"),
            days=minutes // (24 * 60),
            hours=minutes // 60 % 24,
            minutes=minutes % 60,
        )

    def _html(self, template: str, **values: Any) -> str:
        return render_html(render(template, **values), color=self.color)

    def _say(self, template: str, **values: Any) -> None:
        self._flush()  # what the bot sent before comes first
        self._write("\n" + self._html(template, **values))

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()
