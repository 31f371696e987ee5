"""Typed settings, read once from the environment and an optional `.env` file."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain.dates import BRUSSELS
from bot.domain.deadlines import parse_clock_time, parse_days_before

T = TypeVar("T")

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# Shape of a BotFather token: numeric bot id, colon, 35 url-safe characters (allow some slack).
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOG_FORMATS = ("text", "json")
# What Telegram accepts as a webhook secret_token.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and never holds the token."""


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str = field(repr=False)
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    database_path: Path = Path("data/kmo-bot.sqlite3")
    staff_ids: frozenset[int] = frozenset()
    timezone: ZoneInfo = BRUSSELS
    log_level: str = "INFO"
    reminder_days_before: tuple[int, ...] = (7, 3, 1, 0)
    reminder_time: time = time(9, 0)
    broadcast_rate: float = 25.0
    vigc_contact: str = ""
    rules_path: Path | None = None
    # Seconds to wait for one Bot API answer before counting it as a timeout.
    telegram_timeout: float = 10.0
    # Messages per second to one chat, and how many may go at once (Telegram: ~1 per
    # second per chat, short bursts allowed).
    chat_rate: float = 1.0
    chat_burst: int = 5
    # Flood guard: more than `flood_limit` updates from one user within `flood_window`
    # seconds get one calm answer; the rest of the burst is dropped.
    flood_limit: int = 20
    flood_window: float = 10.0
    # Staff-made invitations: an unopened one (and its personal data) is deleted this many
    # days after its application deadline.
    invitation_retention_days: int = 30
    # Production (all optional): webhook instead of long polling, health and metrics,
    # backups, alerts, log format.
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    health_port: int | None = None
    backup_dir: Path | None = None
    backup_keep: int = 7
    backup_time: time = time(3, 0)
    alert_chat_id: int | None = None
    log_format: str = "text"

    @property
    def telegram_file_base_url(self) -> str:
        """File download URL that belongs to the API base URL (local Bot API servers too)."""
        base = self.telegram_api_base_url
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base.rstrip("/") + "/file/bot"


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Merge `.env` (if present) under the real environment and validate every setting."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return _parse(values)


def _parse(values: Mapping[str, str]) -> Settings:
    token = values.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)")
    if not _TOKEN_RE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN is malformed (expected <digits>:<35 characters>)")
    base_url = values.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError("TELEGRAM_API_BASE_URL must start with http:// or https://")
    level = values.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")
    rules = values.get("RULES_PATH", "").strip()
    log_format = values.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in _LOG_FORMATS:
        raise ConfigError("LOG_FORMAT must be text or json")
    return Settings(
        telegram_bot_token=token,
        telegram_api_base_url=base_url,
        database_path=Path(values.get("DATABASE_PATH", "").strip() or "data/kmo-bot.sqlite3"),
        staff_ids=_parse_staff_ids(values.get("STAFF_IDS", "")),
        timezone=_parse_timezone(values.get("TIMEZONE", "")),
        log_level=level,
        reminder_days_before=_parse_with(
            parse_days_before,
            "REMINDER_DAYS_BEFORE",
            values.get("REMINDER_DAYS_BEFORE", "7,3,1,0"),
        ),
        reminder_time=_parse_with(
            parse_clock_time, "REMINDER_TIME", values.get("REMINDER_TIME", "09:00")
        ),
        broadcast_rate=_parse_rate(values.get("BROADCAST_RATE", "25")),
        vigc_contact=values.get("VIGC_CONTACT", "").strip(),
        rules_path=Path(rules) if rules else None,
        telegram_timeout=_parse_number(values, "TELEGRAM_TIMEOUT", 10.0, 0.5, 300.0),
        chat_rate=_parse_number(values, "CHAT_RATE", 1.0, 0.1, 30.0),
        chat_burst=int(_parse_number(values, "CHAT_BURST", 5, 1, 100, integer=True)),
        flood_limit=int(_parse_number(values, "FLOOD_LIMIT", 20, 3, 1000, integer=True)),
        flood_window=_parse_number(values, "FLOOD_WINDOW", 10.0, 1.0, 3600.0),
        invitation_retention_days=int(
            _parse_number(values, "INVITATION_RETENTION_DAYS", 30, 0, 3650, integer=True)
        ),
        webhook_url=_parse_webhook_url(values.get("WEBHOOK_URL", "")),
        webhook_secret=_parse_secret(values.get("WEBHOOK_SECRET", "")),
        listen_host=values.get("LISTEN_HOST", "").strip() or "127.0.0.1",
        listen_port=int(_parse_number(values, "LISTEN_PORT", 8080, 1, 65535, integer=True)),
        health_port=_optional_port(values, "HEALTH_PORT"),
        backup_dir=Path(raw) if (raw := values.get("BACKUP_DIR", "").strip()) else None,
        backup_keep=int(_parse_number(values, "BACKUP_KEEP", 7, 1, 1000, integer=True)),
        backup_time=_parse_with(
            parse_clock_time, "BACKUP_TIME", values.get("BACKUP_TIME", "03:00")
        ),
        alert_chat_id=_optional_chat_id(values.get("ALERT_CHAT_ID", "")),
        log_format=log_format,
    )


def _parse_staff_ids(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()  # noqa: PLW2901
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"STAFF_IDS must be numeric Telegram user ids, got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _parse_timezone(raw: str) -> ZoneInfo:
    name = raw.strip() or "Europe/Brussels"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE {name!r} is not a known time zone") from exc


def _parse_rate(raw: str) -> float:
    try:
        rate = float(raw.strip() or "25")
    except ValueError as exc:
        raise ConfigError("BROADCAST_RATE must be a number of messages per second") from exc
    if not 0 < rate <= 30:
        raise ConfigError("BROADCAST_RATE must be above 0 and at most 30 (Telegram's limit)")
    return rate


def _parse_number(
    values: Mapping[str, str],
    name: str,
    default: float,
    low: float,
    high: float,
    *,
    integer: bool = False,
) -> float:
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        number = int(raw) if integer else float(raw)
    except ValueError as exc:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name} must be {kind}") from exc
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}")
    return number


def _optional_port(values: Mapping[str, str], name: str) -> int | None:
    if not values.get(name, "").strip():
        return None
    return int(_parse_number(values, name, 0, 1, 65535, integer=True))


def _optional_chat_id(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit():
        raise ConfigError("ALERT_CHAT_ID must be a numeric Telegram chat id")
    return int(raw)


def _parse_webhook_url(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        raise ConfigError("WEBHOOK_URL must start with https:// (or http:// behind a proxy)")
    return raw


def _parse_secret(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    if not _SECRET_RE.match(raw):
        raise ConfigError("WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (1-256)")
    return raw


def _parse_with(parser: Callable[[str], T], name: str, raw: str) -> T:
    try:
        return parser(raw.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} is malformed: {exc}") from exc
