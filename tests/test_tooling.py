"""The strict tooling is part of the suite: ruff and mypy must stay clean."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_lint_is_clean() -> None:
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


PROJECT_CODE = ("bot", "conversations", "storage")
MAX_LINES = 600


def _python_files() -> list[Path]:
    return sorted(p for folder in PROJECT_CODE for p in (ROOT / folder).rglob("*.py"))


def test_no_private_attribute_of_another_object_is_used() -> None:
    """No `_`-attribute of a telegram object (or of any object but one's own) anywhere."""
    private = re.compile(r"(?<![\w.])(?!self\b|cls\b)(\w+)\._[a-z]\w*")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line.split("#", 1)[0])
    ]
    assert found == []


def test_no_project_file_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _python_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
