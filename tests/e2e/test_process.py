"""The `kmo-bot` process: configuration errors, clean SIGTERM, and no token in the logs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, FakeUser
from bot.runner import BotRuntime
from tests.e2e.conftest import TOKEN, say
from tests.e2e.process import BotProcess


def _run_without_token(tmp_path: Path, token: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "TELEGRAM_BOT_TOKEN is not set"), ("12345:short", "TELEGRAM_BOT_TOKEN is malformed")],
)
def test_missing_or_malformed_token_exits_2_with_one_line(
    tmp_path: Path, token: str | None, message: str
) -> None:
    result = _run_without_token(tmp_path, token)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


def test_token_from_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=bad\n")
    result = _run_without_token(tmp_path, None)
    assert result.returncode == 2
    assert "malformed" in result.stderr


async def test_runs_answers_and_stops_cleanly_on_sigterm_without_logging_the_token(
    emulator: BotApiEmulator, tmp_path: Path, client: FakeUser
) -> None:
    bot = BotProcess(emulator, tmp_path / "nested", TELEGRAM_BOT_TOKEN=TOKEN)
    (tmp_path / "nested").mkdir()
    bot.env["DATABASE_PATH"] = str(tmp_path / "nested" / "data" / "deep" / "bot.sqlite3")
    await bot.start()
    [welcome] = await say(client, "/start")
    assert "Welkom" in welcome.text
    # A personal link's code is a secret: not even DEBUG logging shows it.
    secret = "NoSuchInvitationCode0123"
    await client.open_link(f"https://t.me/emulator_bot?start={secret}")
    [unknown] = await client.wait_for_messages(1)
    assert "ken ik niet" in unknown.text
    code, log = await bot.terminate()
    assert code == 0
    assert "Bot started as @emulator_bot" in log
    assert "VIGC_CONTACT is not set" in log  # the operator is told what clients miss
    assert "getUpdates" in log  # DEBUG logging was on, request URLs included
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    assert secret not in log
    assert (tmp_path / "nested" / "data" / "deep" / "bot.sqlite3").exists()


async def test_without_vigc_contact_clients_get_a_general_contact_text(
    runtime: BotRuntime, client: FakeUser
) -> None:
    [contact] = await say(client, "/contact")
    assert "inschrijving of overeenkomst" in contact.text  # fits training and advice
