"""`kmo-bot`: run the bot (default), `kmo-bot sandbox` to try it in the terminal, and the
operator commands `kmo-bot backup [FILE]`, `kmo-bot restore FILE` and `kmo-bot check`."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from bot import ops
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from storage.backup import DatabaseInUseError

_ENV_FILE = Path(".env")
_TOKEN = "TELEGRAM_BOT_TOKEN"  # noqa: S105  (the setting's name)
# Stands in for a missing token in the operator commands, which never talk to Telegram.
_NO_TOKEN = "0000:not-needed-by-backup-restore-or-check"  # noqa: S105  (a placeholder)
_OPS_COMMANDS = ("backup", "restore", "check")
_EPILOG = "Exit codes: 0 done, 1 failed, 2 bad use or bad settings (one line on stderr)."


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list and args_list[0] in _OPS_COMMANDS:
        # Operator commands load the settings and storage only, not the bot (no Telegram
        # library), so they also work when the bot itself would not start.
        parser, commands = _parser()
        _add_ops_commands(commands)
        return _run_ops_command(parser.parse_args(args_list))

    from bot import sandbox  # noqa: PLC0415  (imports the whole bot)

    parser, commands = _parser()
    commands.add_parser("run", help="run the bot against Telegram (the default)")
    sandbox.add_arguments(
        commands.add_parser(
            "sandbox",
            help="try the bot in this terminal: a local Telegram emulator, no token, no network",
            description=sandbox.__doc__,
        )
    )
    _add_ops_commands(commands)
    args = parser.parse_args(args_list)
    if args.command == "sandbox":
        return sandbox.main(sandbox.options_from(args))
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"kmo-bot: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, [settings.telegram_bot_token], settings.log_format)
    try:
        asyncio.run(_run_until_signal(settings))
    except ConfigError as exc:  # found only at start-up (e.g. WEBHOOK_URL's path)
        print(f"kmo-bot: {exc}", file=sys.stderr)
        return 2
    except DatabaseInUseError as exc:  # another bot (or a restore) holds the database
        print(f"kmo-bot: {exc}", file=sys.stderr)
        return 1
    return 0


def _parser() -> tuple[argparse.ArgumentParser, Any]:
    parser = argparse.ArgumentParser(prog="kmo-bot", description=__doc__, epilog=_EPILOG)
    commands = parser.add_subparsers(dest="command", metavar="{run,sandbox,backup,restore,check}")
    return parser, commands


def _add_ops_commands(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="write a consistent copy of the database (safe while the bot runs)",
        description="Write a consistent, standalone copy of DATABASE_PATH, safe while the "
        "bot runs. Without FILE: into BACKUP_DIR as kmo-bot-YYYYMMDD-HHMMSS.sqlite3, keeping "
        "the newest BACKUP_KEEP of those. FILE may be a folder.",
        epilog=_EPILOG,
    )
    backup.add_argument("file", nargs="?", type=Path, metavar="FILE", help="where to write")
    restore = commands.add_parser(
        "restore",
        help="replace the database by a backup (stop the bot first)",
        description="Replace DATABASE_PATH by a checked backup. Refused while a bot runs on "
        "the database. The replaced database is kept as "
        "<name>.before-restore-YYYYMMDD-HHMMSS.sqlite3 in BACKUP_DIR (or beside it).",
        epilog=_EPILOG,
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the backup to restore")
    commands.add_parser(
        "check",
        help="check the database's integrity (safe while the bot runs)",
        description="PRAGMA integrity_check and foreign_key_check on DATABASE_PATH.",
        epilog=_EPILOG,
    )


def _run_ops_command(args: argparse.Namespace) -> int:
    try:
        settings, secrets = _load_ops_settings()
    except ConfigError as exc:
        print(f"kmo-bot {args.command}: {exc}", file=sys.stderr)
        return 2
    # Warnings only: the command prints its own one-line result.
    configure_logging("WARNING", secrets, settings.log_format)
    if args.command == "backup":
        return ops.run_backup(settings, args.file)
    if args.command == "restore":
        return ops.run_restore(settings, args.file)
    return ops.run_check(settings)


def _load_ops_settings() -> tuple[Settings, list[str]]:
    """The bot's settings (environment over `.env`), but the token may be missing.

    A token that is set but malformed is still an error, as for the bot itself.
    """
    values: dict[str, str | None] = {}
    if _ENV_FILE.is_file():
        values.update(dotenv_values(_ENV_FILE))
    values.update(os.environ)
    if (values.get(_TOKEN) or "").strip():
        settings = load_settings()
        return settings, [settings.telegram_bot_token]
    return load_settings({**os.environ, _TOKEN: _NO_TOKEN}), []


async def _run_until_signal(settings: Settings) -> None:
    """SIGTERM or Ctrl-C stop the bot cleanly."""
    from bot.runner import serve  # noqa: PLC0415  (imports the whole bot)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, stop)
