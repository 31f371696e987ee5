"""Logging set-up that never lets the bot token reach a log line.

Two formats: `text` (readable, the default) and `json` (one JSON object per line with `time`,
`level`, `logger`, `event`, and when present `update_id`, `user` and `exc`). Log calls pass
context as `extra={"update_id": update.update_id, "user_id": user.id}`; the JSON line shows
the user only as `hash_user_id(user_id)`, never the raw Telegram id.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<token>"
# Fixed, so that one user's lines can be followed across days and restarts.
_USER_HASH_PREFIX = b"kmo-bot:user:"


# Invitation codes are bearer secrets too: in a personal link ("?start=<code>") and in the
# "/start <code>" message it sends (python-telegram-bot logs whole updates and requests at
# DEBUG level).
_CODES = (
    re.compile(r"(start=)[A-Za-z0-9_-]+"),
    re.compile(r"(/start(?:@\w+)?\s+)[A-Za-z0-9_-]+"),
)
REDACTED_CODE = "<code>"


class RedactingFilter(logging.Filter):
    """Replaces each secret in the rendered message (URLs of httpx requests hold the token),
    in the traceback and in the stack, and every invitation code; attached to the handler,
    so it sees every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for code in _CODES:
            text = code.sub(rf"\g<1>{REDACTED_CODE}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the formatter reports it
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Render the traceback now so that the secret can be taken out of it too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Also when another handler rendered (and cached) it before this one.
            record.exc_text, record.exc_info = self.redact(record.exc_text), None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def hash_user_id(user_id: object) -> str:
    """Short stable pseudonym of a Telegram user id (10 hex digits of a SHA-256)."""
    return hashlib.sha256(_USER_HASH_PREFIX + str(user_id).encode()).hexdigest()[:10]


class JsonFormatter(logging.Formatter):
    """One JSON object per line; newlines inside a message or traceback stay escaped."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        update_id = getattr(record, "update_id", None)
        if update_id is not None:
            entry["update_id"] = update_id
        user_id = getattr(record, "user_id", None)
        if user_id is not None:
            entry["user"] = hash_user_id(user_id)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_formatter(fmt: str = "text") -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def configure_logging(level: str, secrets: Iterable[str], fmt: str = "text") -> None:
    """One stderr handler on the root logger, in `fmt` ("text" or "json"), secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(fmt))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
