"""Running the real `kmo-bot` process (python -m bot) against the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.emulator import BotApiEmulator


class BotProcess:
    def __init__(self, emulator: BotApiEmulator, workdir: Path, **env: str) -> None:
        self.emulator = emulator
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        self.env.update(
            {
                "TELEGRAM_API_BASE_URL": emulator.base_url,
                "DATABASE_PATH": str(workdir / "bot.sqlite3"),
                "LOG_LEVEL": "DEBUG",
                **env,
            }
        )
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start and wait until the bot begins polling (updates sent from then on are seen).

        The emulator records a call when it is answered, and a long poll is answered late, so
        wait for the `deleteWebhook` that PTB sends just before it starts polling.
        """
        before = len(self.emulator.calls("deleteWebhook"))
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.workdir,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(300):
            if len(self.emulator.calls("deleteWebhook")) > before:
                return
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        _, err = await self.proc.communicate()
        raise AssertionError(f"bot did not start: {err.decode()}")

    async def kill(self) -> None:
        """kill -9: no clean shutdown at all."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.communicate()

    async def terminate(self) -> tuple[int, str]:
        """SIGTERM; returns (exit code, everything logged on stderr)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(self.proc.communicate(), timeout=20)
        assert self.proc.returncode is not None
        return self.proc.returncode, err.decode()
