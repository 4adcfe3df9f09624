"""The code's own checks, run with the tests so that the one test command (and CI) runs them."""

from __future__ import annotations

import ast
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


# The stages in the order an item flows; a module may import its own stage and earlier ones.
STAGES = (
    ("errors", "entry", "identity", "dates", "period", "cleantext", "urls", "forked", "schedule"),
    ("config",),
    ("sources",),
    ("store",),
    ("web",),
    ("newsletter",),
    ("alerts", "pipeline"),
    ("unattended", "status"),
    ("cli", "__main__"),
)


def _stage(module: str) -> int:
    """The stage of `feedsmith.x.y` by its first part (the package itself: the first stage)."""
    first = module.split(".")[1] if "." in module else ""
    return next((rank for rank, names in enumerate(STAGES) if first in names), 0)


def _imports() -> dict[str, set[str]]:
    """feedsmith module -> the feedsmith modules it imports, at the top or inside a function."""
    package = REPO / "feedsmith"
    modules = {".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"):
               path for path in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
                found |= submodules or ({node.module} & modules.keys())
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names} & modules.keys()
        graph[module] = found - {module}
    return graph


def test_no_stage_imports_a_later_one() -> None:
    backwards = sorted((module, imported) for module, targets in _imports().items()
                       for imported in targets if _stage(imported) > _stage(module))
    assert not backwards, backwards


def test_no_module_imports_itself_through_others() -> None:
    graph = _imports()

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        waiting = list(graph[start])
        while waiting:
            module = waiting.pop()
            if module not in seen:
                seen.add(module)
                waiting += graph[module]
        return seen

    cycles = sorted(module for module in graph if module in reachable(module))
    assert not cycles, cycles
