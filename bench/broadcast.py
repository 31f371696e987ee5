"""Broadcast benchmark: N recipients through the Bot API emulator enforcing a global limit L.

The real bot runs in-process against the emulator; a staff member sends /broadcast to all
clients. Printed: the achieved rate as a ratio of L, the share of requests answered 429,
and lost and duplicated deliveries (each client must get the message exactly once).

    python bench/broadcast.py --limit 300            # bot rate 0.95 x L (short run)
    python bench/broadcast.py --limit 30 --rate 25   # Telegram's limit, the default rate

The bot's rate is normally capped at 30 (BROADCAST_RATE); here Settings are built directly
so that a higher L can keep the run short.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.delivery import RateLimiter
from bot.emulator import BotApiEmulator
from bot.runner import BotRuntime
from storage.db import Database

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
STAFF_ID = 900
TEXT = "Nieuws van VIGC: de KMO-portefeuille verandert op 1 januari."
FIRST_CLIENT = 10_000


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=300.0, help="emulator's global limit L")
    parser.add_argument("--rate", type=float, default=None, help="bot rate (default 0.95 L)")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument(
        "--burst", type=int, default=None, help="rate limiter burst (default: the bot's own)"
    )
    return parser.parse_args(argv)


async def _seed(db: Database, count: int) -> None:
    """Clients as after /start, in one commit."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO clients (user_id, first_name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)",
            [(FIRST_CLIENT + i, f"Klant{i}", now, now) for i in range(count)],
        )


async def _press(user, label: str, replies: int) -> list:  # type: ignore[no-untyped-def]
    await user.press(label)
    return await user.wait_for_messages(replies)


async def run(
    limit: float, rate: float, recipients: int, burst: int | None = None
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        async with BotApiEmulator(global_rate_limit=limit) as emulator:
            settings = Settings(
                telegram_bot_token=TOKEN,
                telegram_api_base_url=emulator.base_url,
                database_path=Path(folder) / "bench.sqlite3",
                staff_ids=frozenset({STAFF_ID}),
                broadcast_rate=rate,
            )
            staff = emulator.user(STAFF_ID, "Els")
            users = [emulator.user(FIRST_CLIENT + i, f"Klant{i}") for i in range(recipients)]
            runtime = BotRuntime(settings)
            if burst is not None:
                runtime.services.limiter = RateLimiter(rate, burst=burst)
            await runtime.start()
            try:
                await _seed(runtime.db, recipients)
                await staff.send("/broadcast")
                await staff.wait_for_messages(1)
                await staff.send(TEXT)
                [ask] = await staff.wait_for_messages(1)
                await _press(staff, ask.buttons[0], 2)
                emulator.stats.reset()
                started = time.monotonic()
                await _press(staff, "Versturen", 1)
                await runtime.broadcaster.wait_until_done()
                elapsed = time.monotonic() - started
            finally:
                await runtime.stop()
            counts = [sum(1 for m in user.messages if m.text == TEXT) for user in users]
            stats = emulator.stats
            requests = stats.requests["sendMessage"] + stats.requests["editMessageText"]
            delivered = sum(1 for n in counts if n >= 1)
            achieved = delivered / elapsed
            return {
                "limit": limit,
                "bot_rate": rate,
                "burst": runtime.services.limiter.capacity,
                "recipients": recipients,
                "seconds": round(elapsed, 2),
                "achieved_per_second": round(achieved, 1),
                "ratio_of_limit": round(achieved / limit, 3),
                "ratio_of_bot_rate": round(achieved / rate, 3),
                "requests": requests,
                "answered_429": stats.rate_limited,
                "share_429_percent": round(100 * stats.rate_limited / max(1, requests), 3),
                "lost": sum(1 for n in counts if n == 0),
                "duplicated": sum(1 for n in counts if n > 1),
            }


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    rate = args.rate if args.rate is not None else round(0.95 * args.limit, 2)
    result = asyncio.run(run(args.limit, rate, args.recipients, args.burst))
    result["machine"] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = (
        result["ratio_of_limit"] >= 0.9  # type: ignore[operator]
        and result["share_429_percent"] < 1  # type: ignore[operator]
        and result["lost"] == 0
        and result["duplicated"] == 0
    )
    print("targets met" if ok else "targets NOT met (ratio >= 0.9, < 1 % 429, 0 lost, 0 dup)")
    return 0 if ok else 1


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
