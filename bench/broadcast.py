"""Broadcast benchmark: N recipients through the Bot API emulator enforcing a global limit L.

The real bot runs as its own process (like in production, Telegram is another machine);
this process runs the emulator and a staff member who sends /broadcast to all clients.
Printed: the achieved rate as a ratio of L, the share of requests answered 429, and lost
and duplicated deliveries (each client must get the message exactly once).

    python bench/broadcast.py --limit 300            # bot rate 0.95 x L (a short run)
    python bench/broadcast.py --limit 30 --rate 25   # Telegram's limit, the default rate

BROADCAST_RATE is capped at 30 for the real bot; here the bot's Settings are built
directly so that a high L can keep the run short.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.delivery import RateLimiter

from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.logs import configure_logging
from bot.runner import BotRuntime
from storage.db import Database

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
STAFF_ID = 900
TEXT = "Nieuws van VIGC: de KMO-portefeuille verandert op 1 januari."
FIRST_CLIENT = 10_000


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=float, default=300.0, help="emulator's global limit L")
    parser.add_argument("--rate", type=float, default=None, help="bot rate (default 0.95 L)")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--burst", type=int, default=None, help="limiter burst (default: bot's)")
    parser.add_argument("--serve-bot", nargs=2, metavar=("BASE_URL", "DB"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- the bot process -----------------------------------------------------------------------


async def _serve_bot(base_url: str, db_path: Path, rate: float, burst: int | None) -> None:
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        database_path=db_path,
        staff_ids=frozenset({STAFF_ID}),
        broadcast_rate=rate,
        log_level="WARNING",
    )
    configure_logging(settings.log_level, [TOKEN])
    runtime = BotRuntime(settings)
    if burst is not None:
        runtime.services.limiter = RateLimiter(rate, burst=burst)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()


# -- the measuring process -----------------------------------------------------------------


async def _seed(db_path: Path, count: int) -> None:
    """Clients as after /start, in one commit."""
    db = Database(db_path)
    await db.open()
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    try:
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO clients (user_id, first_name, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                [(FIRST_CLIENT + i, f"Klant{i}", now, now) for i in range(count)],
            )
    finally:
        await db.close()


async def _until(emulator: BotApiEmulator, condition: Any, seconds: float) -> None:
    """Wake on every request the emulator handles until `condition()` holds."""
    if not await emulator.wait_until(condition, seconds):
        raise TimeoutError(f"not reached within {seconds} s")


async def run(args: argparse.Namespace, rate: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.sqlite3"
        await _seed(db_path, args.recipients)
        async with BotApiEmulator(global_rate_limit=args.limit) as emulator:
            staff = emulator.user(STAFF_ID, "Els")
            users = [emulator.user(FIRST_CLIENT + i, f"Klant{i}") for i in range(args.recipients)]
            command = [sys.executable, __file__, "--serve-bot", emulator.base_url, str(db_path)]
            command += ["--rate", str(rate)]
            if args.burst is not None:
                command += ["--burst", str(args.burst)]
            bot = await asyncio.create_subprocess_exec(*command)
            try:
                await _until(emulator, lambda: emulator.stats.requests["getUpdates"] > 0, 30)
                progress = await _start_broadcast(staff, emulator)
                started = time.monotonic()
                await _until(emulator, lambda: "klaar" in progress.text, 3600)
                elapsed = time.monotonic() - started
            finally:
                with contextlib.suppress(ProcessLookupError):
                    bot.send_signal(signal.SIGTERM)
                await bot.wait()
            counts = [sum(1 for m in user.messages if m.text == TEXT) for user in users]
            stats = emulator.stats
            requests = stats.requests["sendMessage"] + stats.requests["editMessageText"]
            delivered = sum(1 for n in counts if n >= 1)
            achieved = delivered / elapsed
            return {
                "limit": args.limit,
                "bot_rate": rate,
                "burst": args.burst or "bot's own",
                "recipients": args.recipients,
                "seconds": round(elapsed, 2),
                "achieved_per_second": round(achieved, 1),
                "ratio_of_limit": round(achieved / args.limit, 3),
                "ratio_of_bot_rate": round(achieved / rate, 3),
                "requests": requests,
                "answered_429": stats.rate_limited,
                "share_429_percent": round(100 * stats.rate_limited / max(1, requests), 3),
                "lost": sum(1 for n in counts if n == 0),
                "duplicated": sum(1 for n in counts if n > 1),
                "report": progress.text.splitlines()[1:],
            }


async def _start_broadcast(staff: FakeUser, emulator: BotApiEmulator) -> Any:
    """Staff run /broadcast to all clients; returns the progress message once Versturen is
    pressed (statistics count from there)."""
    await staff.send("/broadcast")
    await staff.wait_for_messages(1)
    await staff.send(TEXT)
    [ask] = await staff.wait_for_messages(1)
    await staff.press(ask.buttons[0])  # all clients
    await staff.wait_for_messages(2)
    emulator.stats.reset()
    await staff.press("Versturen")
    [progress] = await staff.wait_for_messages(1, timeout=30)
    return progress


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    rate = args.rate if args.rate is not None else round(0.95 * args.limit, 2)
    if args.serve_bot:
        base_url, db = args.serve_bot
        asyncio.run(_serve_bot(base_url, Path(db), rate, args.burst))
        return 0
    result = asyncio.run(run(args, rate))
    result["machine"] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = (
        float(result["ratio_of_limit"]) >= 0.9  # type: ignore[arg-type]
        and float(result["share_429_percent"]) < 1  # type: ignore[arg-type]
        and result["lost"] == 0
        and result["duplicated"] == 0
    )
    print("targets met" if ok else "targets NOT met (ratio >= 0.9, < 1 % 429, 0 lost, 0 dup)")
    return 0 if ok else 1


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
