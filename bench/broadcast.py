"""Broadcast benchmark: N recipients through the Bot API emulator enforcing a global limit L.

The real bot runs as its own process (like in production, Telegram is another machine);
this process runs the emulator and a staff member who sends /broadcast to all clients.
Printed: the achieved rate as a ratio of L, the share of requests answered 429, and lost
and duplicated deliveries (each client must get the message exactly once).

    python bench/broadcast.py --limit 300            # bot rate 0.95 x L (a short run)
    python bench/broadcast.py --limit 30 --rate 25   # Telegram's limit, the default rate

BROADCAST_RATE is capped at 30 for the real bot; here the bot's Settings are built
directly so that a high L can keep the run short. The bot's limiter (bot/limiter.py) is
built as the runtime builds it, with its bucket over all chats at L instead of Telegram's
30 (production: L = 30 and that bucket at 30), and its bulk lane at the bot rate.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import busy, cpu_seconds_of

from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from bot.limiter import Limiter
from bot.logs import configure_logging
from bot.runner import BotRuntime
from storage.db import Database, stamp

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
STAFF_ID = 900
TEXT = "Nieuws van VIGC: de KMO-portefeuille verandert op 1 januari."
FIRST_CLIENT = 10_000
# Someone (not a recipient) who asks /help every TYPIST_INTERVAL seconds while the broadcast
# goes out: how long a reply takes then.
TYPIST_ID = 5
TYPIST_INTERVAL = 1.0
# Seconds between the preview and the press on Versturen.
STAFF_READS_PREVIEW = 5.0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=float, default=300.0, help="emulator's global limit L")
    parser.add_argument("--rate", type=float, default=None, help="bot rate (default 0.95 L)")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument(
        "--global-rate",
        type=float,
        default=None,
        help="the bot's limit over all chats (default L; production 30)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--serve-bot", nargs=2, metavar=("BASE_URL", "DB"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- the bot process -----------------------------------------------------------------------


async def _serve_bot(base_url: str, db_path: Path, rate: float, global_rate: float) -> None:
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
    runtime.sender.limiter = Limiter(
        rate,
        global_rate=global_rate,
        chat_rate=settings.chat_rate,
        chat_burst=settings.chat_burst,
    )
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
    now = stamp(datetime.now(UTC))
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


class _TimedEmulator(BotApiEmulator):
    """The emulator, plus when the first and the last copy of the broadcast arrived."""

    first: float | None = None
    last: float | None = None

    async def store_message(self, message: SentMessage) -> None:
        if message.text == TEXT and message.chat_id >= FIRST_CLIENT:  # not the preview
            now = time.monotonic()
            if self.first is None:
                self.first = now
            self.last = now
        await super().store_message(message)


async def run(args: argparse.Namespace, rate: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.sqlite3"
        await _seed(db_path, args.recipients)
        async with _TimedEmulator(global_rate_limit=args.limit) as emulator:
            staff = emulator.user(STAFF_ID, "Els")
            typist = emulator.user(TYPIST_ID, "Piet")
            users = [emulator.user(FIRST_CLIENT + i, f"Klant{i}") for i in range(args.recipients)]
            command = [sys.executable, __file__, "--serve-bot", emulator.base_url, str(db_path)]
            command += ["--rate", str(rate), "--global-rate", str(_global_rate(args))]
            bot = await asyncio.create_subprocess_exec(*command)
            try:
                await _until(emulator, lambda: emulator.stats.requests["getUpdates"] > 0, 30)
                preview = await _prepare_broadcast(staff)
                emulator.stats.reset()
                replies: list[float] = []
                asking = asyncio.create_task(_ask_help(typist, replies))
                pressed, cpu_before = time.monotonic(), cpu_seconds_of(bot.pid)
                try:
                    await staff.press("Versturen")
                    # The keyboard goes first: the update's transaction has committed.
                    await _until(emulator, lambda: not preview.buttons, 60)
                    committed = time.monotonic()
                    [progress] = await staff.wait_for_messages(1, timeout=60)
                    progress_at = time.monotonic()
                    await _until(emulator, lambda: "klaar" in progress.text, 3600)
                    reported = time.monotonic()
                finally:
                    asking.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asking
                bot_cpu = cpu_seconds_of(bot.pid) - cpu_before
            finally:
                with contextlib.suppress(ProcessLookupError):
                    bot.send_signal(signal.SIGTERM)
                await bot.wait()
            counts = [sum(1 for m in user.messages if m.text == TEXT) for user in users]
            stats = emulator.stats
            requests = stats.requests["sendMessage"] + stats.requests["editMessageText"]
            delivered = sum(1 for n in counts if n >= 1)
            first, last = emulator.first or reported, emulator.last or reported
            sending = (delivered - 1) / (last - first) if last > first else float("nan")
            from_press = delivered / (reported - pressed)
            return {
                "limit": args.limit,
                "bot_rate": rate,
                "bot_global_rate": _global_rate(args),
                "recipients": args.recipients,
                "seconds_first_to_last": round(last - first, 2),
                "achieved_per_second": round(sending, 1),
                "ratio_of_limit": round(sending / args.limit, 3),
                "ratio_of_bot_rate": round(sending / rate, 3),
                "seconds_press_to_report": round(reported - pressed, 2),
                "ratio_of_limit_press_to_report": round(from_press / args.limit, 3),
                "versturen_committed_after_seconds": round(committed - pressed, 2),
                "first_copy_after_seconds": round(first - pressed, 2),
                "progress_message_after_seconds": round(progress_at - pressed, 2),
                "report_after_last_copy_seconds": round(reported - last, 2),
                "reply_during_broadcast_ms": _spread(replies),
                "requests": requests,
                "answered_429": stats.rate_limited,
                "share_429_percent": round(100 * stats.rate_limited / max(1, requests), 3),
                "bot_cpu_seconds": round(bot_cpu, 2),
                "bot_cpu_ms_per_message": round(1000 * bot_cpu / max(1, delivered), 2),
                "lost": sum(1 for n in counts if n == 0),
                "duplicated": sum(1 for n in counts if n > 1),
                "report": progress.text.splitlines()[1:],
            }


async def _ask_help(typist: FakeUser, replies: list[float]) -> None:
    """/help every TYPIST_INTERVAL seconds; the time until each answer, in `replies`."""
    while True:
        await asyncio.sleep(TYPIST_INTERVAL)
        typist.mark()
        sent = time.monotonic()
        await typist.send("/help")
        await typist.wait_for_messages(1, timeout=60)
        replies.append(time.monotonic() - sent)


def _spread(seconds: list[float]) -> dict[str, float | int]:
    if not seconds:
        return {"count": 0}
    ordered = sorted(seconds)
    return {
        "count": len(ordered),
        "p50": round(1000 * ordered[len(ordered) // 2], 1),
        "max": round(1000 * ordered[-1], 1),
    }


async def _prepare_broadcast(staff: FakeUser) -> SentMessage:
    """Staff run /broadcast to all clients, up to the preview with Versturen (returned)."""
    await staff.send("/broadcast")
    await staff.wait_for_messages(1)
    await staff.send(TEXT)
    [ask] = await staff.wait_for_messages(1)
    await staff.press(ask.buttons[0])  # all clients
    _, preview = await staff.wait_for_messages(2)
    if "Versturen" not in preview.buttons:
        raise RuntimeError(f"no Versturen under the preview: {preview.buttons}")
    # A person reads the preview before pressing; meanwhile the staff chat's own pacing
    # (CHAT_RATE, CHAT_BURST), spent on the questions above, is back to a full burst.
    await asyncio.sleep(STAFF_READS_PREVIEW)
    return preview


def _global_rate(args: argparse.Namespace) -> float:
    return float(args.limit if args.global_rate is None else args.global_rate)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    rate = args.rate if args.rate is not None else round(0.95 * args.limit, 2)
    if args.serve_bot:
        base_url, db = args.serve_bot
        asyncio.run(_serve_bot(base_url, Path(db), rate, _global_rate(args)))
        return 0
    before = busy()
    result = asyncio.run(run(args, rate))
    result["machine"] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "before the run": before,
        "after the run": busy(),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = (
        float(result["ratio_of_limit"]) >= 0.9  # type: ignore[arg-type]
        and float(result["share_429_percent"]) < 1  # type: ignore[arg-type]
        and result["lost"] == 0
        and result["duplicated"] == 0
    )
    print("targets met" if ok else "targets NOT met (ratio >= 0.9, < 1 % 429, 0 lost, 0 dup)")
    return 1 if args.check and not ok else 0


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
