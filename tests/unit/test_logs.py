"""bot.logs: JSON lines with context, hashed users, and the token redacted in both formats."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from bot.logs import RedactingFilter, configure_logging, hash_user_id

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
USER_ID = 987654321


@contextmanager
def configured(level: str, secrets: list[str], fmt: str = "text") -> Iterator[None]:
    """`configure_logging`, undone afterwards (inside the test: pytest's handlers come back)."""
    root = logging.getLogger()
    handlers, levels = root.handlers[:], (root.level, logging.getLogger("httpx").level)
    try:
        configure_logging(level, secrets, fmt)
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(levels[0])
        logging.getLogger("httpx").setLevel(levels[1])


def _fail_with_token() -> None:
    raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")


def _log_everything() -> None:
    log = logging.getLogger("bot.test")
    log.info("plain %s", "message")
    log.warning("update handled for %s", "someone", extra={"update_id": 4711, "user_id": USER_ID})
    log.info("url https://api.telegram.org/bot%s/getUpdates", TOKEN)
    try:
        _fail_with_token()
    except RuntimeError:
        log.exception("sending failed", extra={"update_id": 4712})


def test_json_lines_parse_and_carry_the_fields(capsys: pytest.CaptureFixture[str]) -> None:
    before = datetime.now(UTC)
    with configured("INFO", [TOKEN], "json"):
        _log_everything()
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 4
    entries = [json.loads(line) for line in lines]

    plain = entries[0]
    assert set(plain) == {"time", "level", "logger", "event"}
    assert plain["level"] == "INFO"
    assert plain["logger"] == "bot.test"
    assert plain["event"] == "plain message"
    assert plain["time"].endswith("Z")
    moment = datetime.fromisoformat(plain["time"].replace("Z", "+00:00"))
    assert abs(moment - before) < timedelta(seconds=5)

    handled = entries[1]
    assert handled["update_id"] == 4711
    assert handled["user"] == hash_user_id(USER_ID)
    assert len(handled["user"]) == 10
    assert "user_id" not in handled

    assert entries[2]["event"] == "url https://api.telegram.org/bot<token>/getUpdates"

    failed = entries[3]
    assert failed["level"] == "ERROR"
    assert failed["update_id"] == 4712
    assert "user" not in failed
    assert failed["exc"].startswith("Traceback (most recent call last)")
    assert "RuntimeError: POST https://api.telegram.org/bot<token>/sendMessage" in failed["exc"]

    assert TOKEN not in err
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0" not in err
    assert str(USER_ID) not in err


def test_user_hash_is_short_stable_and_not_the_id() -> None:
    assert hash_user_id(USER_ID) == hash_user_id(str(USER_ID))
    assert hash_user_id(USER_ID) != hash_user_id(USER_ID + 1)
    assert str(USER_ID) not in hash_user_id(USER_ID)
    assert all(c in "0123456789abcdef" for c in hash_user_id(USER_ID))


def test_text_format_stays_readable_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    with configured("INFO", [TOKEN]):
        _log_everything()
    err = capsys.readouterr().err
    assert " INFO bot.test: plain message\n" in err
    assert "WARNING bot.test: update handled for someone" in err
    assert "Traceback (most recent call last)" in err
    assert "bot<token>/sendMessage" in err
    assert TOKEN not in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[0])


def test_a_traceback_rendered_by_an_earlier_handler_is_redacted_too() -> None:
    try:
        _fail_with_token()
    except RuntimeError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    logging.Formatter().format(record)  # caches exc_text, token included
    assert TOKEN in (record.exc_text or "")
    RedactingFilter([TOKEN]).filter(record)
    assert TOKEN not in (record.exc_text or "")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format"), configured("INFO", [TOKEN], "xml"):
        pass


def test_invitation_codes_never_reach_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = "AbCdEfGhIjKlMnOpQrStUv"
    with configured("DEBUG", [TOKEN]):
        log = logging.getLogger("telegram.Bot")
        log.debug(
            "Calling Bot API endpoint `sendMessage` with parameters `%s`",
            {"text": f"Uw link: https://t.me/vigc_kmo_bot?start={code}"},
        )
        log.debug("update `%s`", {"message": {"text": f"/start {code}"}})
        log.debug("update `%s`", {"message": {"text": f"/start@vigc_kmo_bot {code}"}})
    err = capsys.readouterr().err
    assert code not in err
    assert "?start=<code>" in err
    assert "/start <code>" in err
