"""Running the real `kmo-bot` process (python -m bot) against the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import ClassVar

from bot.emulator import BotApiEmulator


class BotProcess:
    """One `python -m bot` process; its log goes to `<workdir>/bot.log` (appended)."""

    # Processes still running; the e2e conftest kills them after each test.
    running: ClassVar[set[asyncio.subprocess.Process]] = set()

    def __init__(
        self,
        emulator: BotApiEmulator,
        workdir: Path,
        module: str = "bot",
        ready_method: str = "deleteWebhook",
        **env: str,
    ) -> None:
        self.emulator = emulator
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        self.env.update(
            {
                "TELEGRAM_API_BASE_URL": emulator.base_url,
                "DATABASE_PATH": str(workdir / "bot.sqlite3"),
                "LOG_LEVEL": "DEBUG",
                # As in conftest.make_settings: tests act faster than people.
                "CHAT_RATE": "30",
                "CHAT_BURST": "100",
                "FLOOD_LIMIT": "1000",
                **env,
            }
        )
        self.module = module
        self.ready_method = ready_method
        if module != "bot":  # a test wrapper around the bot: it lives in the repository
            self.env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start and wait until the bot takes updates (those sent from then on are seen).

        The emulator records a call when it is answered, and a long poll is answered late, so
        wait for the call the bot makes just before: `deleteWebhook` before polling, or
        `setWebhook` in webhook mode (`ready_method`).
        """
        before = len(self.emulator.calls(self.ready_method))
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        self.running.add(self.proc)
        for _ in range(400):
            if len(self.emulator.calls(self.ready_method)) > before:
                return
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        await self.kill()
        raise AssertionError(f"bot did not start:\n{self.log()}")

    async def exited(self, seconds: float = 10.0) -> int:
        """Wait for the process to end by itself (a crash point); its exit code."""
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout=seconds)
        self.running.discard(self.proc)
        return code

    async def kill(self) -> None:
        """kill -9: no clean shutdown at all."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.running.discard(self.proc)

    async def terminate(self) -> tuple[int, str]:
        """SIGTERM; returns (exit code, the whole log)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), timeout=20)
        self.running.discard(self.proc)
        return code, self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def kill_leftovers() -> None:
    """Kill bot processes a failed test left running."""
    for proc in list(BotProcess.running):
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        BotProcess.running.discard(proc)
