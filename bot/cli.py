"""`kmo-bot`: run the bot (default), or `kmo-bot sandbox` to try it in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot import sandbox
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.runner import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kmo-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="{run,sandbox}")
    commands.add_parser("run", help="run the bot against Telegram (the default)")
    sandbox.add_arguments(
        commands.add_parser(
            "sandbox",
            help="try the bot in this terminal: a local Telegram emulator, no token, no network",
            description=sandbox.__doc__,
        )
    )
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        return sandbox.main(sandbox.options_from(args))
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"kmo-bot: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, [settings.telegram_bot_token])
    asyncio.run(_run_until_signal(settings))
    return 0


async def _run_until_signal(settings: Settings) -> None:
    """SIGTERM or Ctrl-C stop the bot cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, stop)
