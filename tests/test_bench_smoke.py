"""The benchmarks still run: each in a tiny configuration, both at once, figures printed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNS = {
    "updates": ["bench/updates.py", "--clients", "5"],
    "reminders": ["bench/reminders.py", "--dossiers", "200", "--rounds", "1"],
}


@pytest.fixture(scope="module")
def outputs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Both benchmarks started side by side (each waits mostly on its own bot child)."""
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
    ):
        assert line in out, out
    assert "FLOW CHANGED" not in out


def test_reminders_bench_prints_its_figures(outputs: dict[str, subprocess.Popen[str]]) -> None:
    out = _finish(outputs["reminders"])
    for line in (
        "start-up time: ",
        "idle pass (median): ",
        "one pass with 20 due: ",
        "peak memory: ",
        "idle pass ratio 200 / 1,000 dossiers: ",
    ):
        assert line in out, out
