"""The code's own checks, run with the tests so that the one test command (and CI) runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fixtures.project import REPO


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True,
                          text=True, check=False)


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-cache", "feedsmith", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_the_package_or_the_tests(tmp_path: Path) -> None:
    result = _run("mypy", "--cache-dir", str(tmp_path), "feedsmith", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
