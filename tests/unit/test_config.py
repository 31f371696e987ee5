"""Settings: defaults, validation, and the token kept out of reprs."""

from datetime import time
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_base_url == "https://api.telegram.org/file/bot"
    assert settings.database_path == Path("data/kmo-bot.sqlite3")
    assert settings.staff_ids == frozenset()
    assert settings.reminder_days_before == (7, 3, 1, 0)
    assert settings.reminder_time == time(9)
    assert TOKEN not in repr(settings)


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nSTAFF_IDS=5, 6\nLOG_LEVEL=debug\n")
    settings = load_settings({"STAFF_IDS": "7"}, env_file=env)
    assert settings.telegram_bot_token == TOKEN
    assert settings.staff_ids == frozenset({7})
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "nonsense"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_IDS": "anna"}, "STAFF_IDS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "REMINDER_TIME": "25:00"}, "REMINDER_TIME"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "BROADCAST_RATE": "100"}, "BROADCAST_RATE"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "loud"}, "LOG_LEVEL"),
    ],
)
def test_bad_settings_name_the_setting(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(values, env_file=None)


def test_malformed_token_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"TELEGRAM_BOT_TOKEN": "12:secret-but-short"}, env_file=None)
    assert "secret" not in str(caught.value)
