"""The enrolment import benchmark still runs (a small list) and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_enrolment_bench_prints_its_figures() -> None:
    command = [sys.executable, "bench/enrolment_import.py", "--rows", "300", "--rounds", "1"]
    result = subprocess.run(
        [*command, "--qr", "3", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for line in (
        "read CSV: ",
        "read xlsx: ",
        "plan: ",
        "result CSV: ",
        "total CSV (read + plan + result): ",
        "total xlsx (read + plan + result): ",
        "output CSV size: ",
        "QR code: ",
    ):
        assert line in result.stdout, result.stdout
