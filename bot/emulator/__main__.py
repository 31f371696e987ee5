"""Run the emulator standalone: ``python -m bot.emulator --port 8081 --user 1001:Jan``.

Prints one JSON line with ``base_url``, ``base_file_url`` and ``control_url`` and serves
until interrupted. Drive it through the control API under ``/_emulator/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys

from bot.emulator.server import BotApiEmulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="only accept this bot token")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID[:NAME]",
        help="register a user (repeatable)",
    )
    parser.add_argument("--global-rate-limit", type=float, default=None)
    parser.add_argument("--per-chat-rate-limit", type=float, default=None)
    parser.add_argument(
        "--per-chat-burst", type=int, default=1, help="sends a chat may make at once"
    )
    parser.add_argument("--delay", type=float, default=0.0, help="latency per request (s)")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    emulator = BotApiEmulator(
        args.token,
        port=args.port,
        global_rate_limit=args.global_rate_limit,
        per_chat_rate_limit=args.per_chat_rate_limit,
        per_chat_burst=args.per_chat_burst,
        delay=args.delay,
    )
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        emulator.user(int(user_id), name or "Test")
    async with emulator:
        info = {
            "base_url": emulator.base_url,
            "base_file_url": emulator.base_file_url,
            "control_url": f"{emulator.url}/_emulator",
        }
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
