"""Shared pieces of the benchmarks: settings, the fixed clock, figures, and the bot child.

Run as a script, this module is the child process the benchmarks start so that the bot's
CPU time and memory are measured apart from the fake Bot API server and the driver:

    python bench/_common.py serve kmo|echo BASE_URL DB_PATH [--global-rate R]
        [--chat-rate R] [--chat-burst N] [--http httpx|aiohttp]

It prints ``READY`` once the bot polls, and stops cleanly on SIGTERM. The options set the
real bot's limiter (bot/limiter.py): `--global-rate` replaces Telegram's 30 messages per
second over all chats, `--chat-rate`/`--chat-burst` are CHAT_RATE/CHAT_BURST. SIGUSR1 lifts
the per-chat limit from then on (the closed-loop phase of bench/updates.py). `--http` is the
echo bot's HTTP client (python-telegram-bot's httpx by default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import os
import platform
import resource
import signal
import statistics
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.http import AiohttpRequest
from bot.limiter import GLOBAL_RATE, Limiter
from bot.runner import BotRuntime

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
BRUSSELS = ZoneInfo("Europe/Brussels")
STAFF_ID = 900
# Like the e2e tests: the bot's clock reads Saturday 28 November 2026, 10:00 in Brussels.
START_OF_RUN = datetime(2026, 11, 28, 10, 0, tzinfo=BRUSSELS)
COMMON = Path(__file__).resolve()
# Seconds a bot child may take to print READY.
START_TIMEOUT = 30.0
# A rate no benchmark reaches: a limiter bucket at this rate never makes anyone wait.
UNLIMITED = 1_000_000.0


# ---------------------------------------------------------------------------- settings


def make_settings(base_url: str, db_path: Path, **extra: str) -> Settings:
    """The bot's Settings against the emulator at `base_url` (staff id like the tests)."""
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "DATABASE_PATH": str(db_path),
        "STAFF_IDS": str(STAFF_ID),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    return load_settings(values, env_file=None)


def fixed_clock(moment: datetime = START_OF_RUN) -> Clock:
    clock = Clock(BRUSSELS)
    clock.travel_to(moment)
    return clock


def replace_limiter(
    runtime: BotRuntime,
    *,
    bulk_rate: float | None = None,
    global_rate: float = GLOBAL_RATE,
    chat_rate: float | None = None,
    chat_burst: int | None = None,
) -> Limiter:
    """Give the runtime's sender a limiter of the benchmark's choosing; unset values are the
    runtime's settings (BROADCAST_RATE, CHAT_RATE, CHAT_BURST) and Telegram's 30/s."""
    settings = runtime.settings
    limiter = Limiter(
        settings.broadcast_rate if bulk_rate is None else bulk_rate,
        global_rate=global_rate,
        chat_rate=settings.chat_rate if chat_rate is None else chat_rate,
        chat_burst=settings.chat_burst if chat_burst is None else chat_burst,
    )
    runtime.sender.limiter = limiter
    return limiter


# ---------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 4,000 samples is the 3,960th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil without floats drifting
    return ordered[min(len(ordered), int(rank)) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def figure(
    name: str,
    value: float,
    unit: str,
    *,
    target: float | None = None,
    at_most: bool = False,
    fmt: str = ".1f",
) -> bool:
    """Print ``name: value unit (target < X unit)  OK|MISSED``; True unless a target is missed.

    The target is "under X" (strictly), or "at most X" with `at_most`.
    """
    text = f"{name}: {value:{fmt}} {unit}".rstrip()
    if target is None:
        print(text)
        return True
    met = value <= target if at_most else value < target
    bound = f"{'<=' if at_most else '<'} {target:g} {unit}".rstrip()
    print(f"{text} (target {bound})  {'OK' if met else 'MISSED'}")
    return met


def machine() -> str:
    """One line about this machine, for the record."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(ValueError, OSError):
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.1f} GiB RAM"
    return (
        f"{os.cpu_count()} CPUs ({model}){memory}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {busy()}"
    )


def busy() -> str:
    """How busy the machine is (other processes disturb the figures): load and CPU PSI."""
    parts = []
    with contextlib.suppress(OSError):
        parts.append("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with contextlib.suppress(OSError, IndexError, ValueError):
        some = Path("/proc/pressure/cpu").read_text().split()  # "some avg10=.. avg60=.."
        avg10, avg60 = (field.split("=")[1] for field in some[1:3])
        parts.append(f"CPU pressure {avg10}% (10 s), {avg60}% (60 s)")
    return ", ".join(parts) or "load unknown"


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After "pid (comm)": state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB.

    VmHWM from /proc where there is one: Linux carries ru_maxrss over fork and exec, so a
    child started by a big parent would report the parent's peak as its own.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---------------------------------------------------------------------------- bot child


class BotProcess:
    """A bot (the real one or the echo baseline) in a child process, polling `base_url`."""

    def __init__(
        self, kind: str, base_url: str, db_path: Path, options: Sequence[str] = ()
    ) -> None:
        self.kind = kind
        self.base_url = base_url
        self.db_path = db_path
        self.options = list(options)  # for `serve kmo`: --global-rate, --chat-rate, ...
        self.proc: asyncio.subprocess.Process | None = None
        self._stderr = db_path.with_suffix(f".{kind}.stderr")

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("not started")
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds_of(self.pid)

    async def start(self) -> None:
        with self._stderr.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(COMMON),
                "serve",
                self.kind,
                self.base_url,
                str(self.db_path),
                *self.options,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            line = b""
        if line.strip() != b"READY":
            await self.stop()
            raise RuntimeError(f"{self.kind} bot did not start:\n{self.errors()}")

    def lift_chat_limit(self) -> None:
        """From now on the real bot's limiter paces no chat (SIGUSR1, see `_serve`)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGUSR1)

    async def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    def errors(self) -> str:
        try:
            return self._stderr.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


async def _serve(kind: str, base_url: str, db_path: Path, options: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if kind == "kmo":
        runtime = BotRuntime(make_settings(base_url, db_path), fixed_clock())
        # The limiter directly, not through CHAT_RATE (which stops at Telegram's 30).
        replace_limiter(
            runtime,
            global_rate=options.global_rate,
            chat_rate=options.chat_rate,
            chat_burst=options.chat_burst,
        )

        def lift() -> None:
            replace_limiter(
                runtime, global_rate=options.global_rate, chat_rate=UNLIMITED, chat_burst=1000
            )

        loop.add_signal_handler(signal.SIGUSR1, lift)
        await runtime.start()
        print("READY", flush=True)
        try:
            await stop.wait()
        finally:
            await runtime.stop()
        return
    application = build_echo_application(base_url, options.http)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        allowed_updates=["message", "callback_query"], timeout=10, poll_interval=0
    )
    print("READY", flush=True)
    try:
        await stop.wait()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def build_echo_application(base_url: str, http: str = "httpx") -> Any:
    """The baseline: a minimal python-telegram-bot bot that echoes text and answers buttons.

    Same defaults as the real bot where they touch the work per update (one update at a
    time, HTML parse mode); no persistence, no database. Its HTTP client is
    python-telegram-bot's own (httpx), or with `http="aiohttp"` the real bot's
    (bot/http.py), to see how much of the difference is the transport.
    """

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await context.bot.send_message(message.chat_id, html.escape(message.text))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or update.effective_chat is None:
            return
        await query.answer()
        text = f"Gekozen: {html.escape(query.data or '')}"
        await context.bot.send_message(update.effective_chat.id, text)

    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
    )
    if http == "aiohttp":
        builder = builder.request(AiohttpRequest(connection_pool_size=256)).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


def _serve_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/_common.py")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("kind", choices=["kmo", "echo"])
    parser.add_argument("base_url")
    parser.add_argument("db_path", type=Path)
    parser.add_argument("--global-rate", type=float, default=GLOBAL_RATE)
    parser.add_argument("--chat-rate", type=float, default=None)
    parser.add_argument("--chat-burst", type=int, default=None)
    parser.add_argument("--http", choices=["httpx", "aiohttp"], default="httpx")  # echo bot
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = _serve_args(sys.argv[1:])
    serving = _serve(arguments.kind, arguments.base_url, arguments.db_path, arguments)
    profile = os.environ.get("BENCH_PROFILE")  # a file name: cProfile the bot child into it
    if profile:
        import cProfile

        cProfile.run("asyncio.run(serving)", f"{profile}.{arguments.kind}")
    else:
        asyncio.run(serving)
