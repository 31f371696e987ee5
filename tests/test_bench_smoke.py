"""The benchmarks still run: each in a tiny configuration, all at once, figures printed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNS = {
    # Five clients at 100 updates/s press far faster than people: no per-chat pacing here.
    "updates": [
        "bench/updates.py",
        "--clients",
        "5",
        "--chat-rate",
        "1000",
        "--chat-burst",
        "1000",
    ],
    "reminders": ["bench/reminders.py", "--dossiers", "200", "--rounds", "1"],
    "broadcast": ["bench/broadcast.py", "--limit", "300", "--recipients", "50"],
    "import": ["bench/import_through_bot.py", "--rows", "300"],
    "enrolment": ["bench/enrolment_import.py", "--rows", "300", "--rounds", "1", "--qr", "5"],
}


@pytest.fixture(scope="module")
def outputs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The benchmarks started side by side (each waits mostly on its own bot child)."""
    started = {
        name: subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, args in RUNS.items()
    }
    yield started
    for proc in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _finish(proc: subprocess.Popen[str]) -> str:
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return out


def test_updates_bench_prints_its_figures(outputs: dict[str, subprocess.Popen[str]]) -> None:
    out = _finish(outputs["updates"])
    for line in (
        "updates per second: ",
        "p50 latency: ",
        "p99 latency: ",
        "CPU per update: ",
        "CPU ratio vs echo bot: ",
        "max sustained rate: ",
        "Bot API calls per update",
    ):
        assert line in out, out
    assert "FLOW CHANGED" not in out


def test_reminders_bench_prints_its_figures(outputs: dict[str, subprocess.Popen[str]]) -> None:
    out = _finish(outputs["reminders"])
    for line in (
        "start-up time: ",
        "idle pass (median): ",
        "one pass with 20 due: ",
        "all 20 due queued and sent: ",
        "peak memory: ",
        "idle pass ratio 200 / 1,000 dossiers: ",
    ):
        assert line in out, out


def test_broadcast_bench_delivers_each_message_once(
    outputs: dict[str, subprocess.Popen[str]],
) -> None:
    out = _finish(outputs["broadcast"])
    result = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert result["lost"] == 0, out
    assert result["duplicated"] == 0, out
    for key in ("ratio_of_limit", "share_429_percent", "reply_during_broadcast_ms"):
        assert key in result, out


def test_import_bench_prints_its_figures(outputs: dict[str, subprocess.Popen[str]]) -> None:
    out = _finish(outputs["import"])
    assert "result: one document" in out
    assert "300 lines" in out
    for line in ("upload to preview: ", "Bevestig to the file back: ", "total: "):
        assert line in out, out


def test_enrolment_bench_prints_its_figures(outputs: dict[str, subprocess.Popen[str]]) -> None:
    out = _finish(outputs["enrolment"])
    for line in ("read CSV: ", "read xlsx: ", "plan: ", "total CSV", "QR zip of 5: "):
        assert line in out, out
