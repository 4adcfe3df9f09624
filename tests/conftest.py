"""Every test's fixtures, from the modules in `tests/fixtures/` named for what they start; and
the rule that runs a module's project tests on both store engines."""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.project", "tests.fixtures.postgres", "tests.fixtures.smtp",
                  "tests.fixtures.http", "tests.fixtures.chromium"]

ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """In a module that sets BOTH_ENGINES, every test of a project runs on each engine, but for
    those marked `sqlite_only` (they look at the SQLite file itself)."""
    if ("project" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_ENGINES", False)
            and not metafunc.definition.get_closest_marker("sqlite_only")):
        metafunc.parametrize("engine", ENGINES, indirect=True)


# Under mutmut (which runs from its `mutants/` copy, beside its stats), the tests that killed a
# mutant, by the function it mutated: a line "function<TAB>test id" each.
_KILLERS = Path("mutmut-killers.txt")


def _mutated_function() -> str:
    """The function whose mutant this run tests ("" outside a mutant's run: mutmut's clean and
    forced-failure runs set other names)."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name.rpartition("__mutmut_")[0] if Path("mutmut-stats.json").exists() else ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under mutmut, a mutant's tests run in the order likeliest to kill it soon: first those that
    killed other mutants of its function, then fastest first (durations from mutmut's stats), so
    `-x` stops at the test that catches it instead of after hundreds of builds and browsers.
    A verdict does not depend on the order; its time does.

    MUTATION_TESTS (folders or test ids, space-separated) keeps only those tests: for a module
    every test reaches, such as config/load (every test loads a config), where a survivor would
    otherwise cost the whole suite. A mutant that only another test kills then counts as
    surviving: the score is a lower bound (see docs/mutation.md)."""
    function = _mutated_function()
    if not function:
        return
    if _sql_case_only(os.environ["MUTANT_UNDER_TEST"]):
        pytest.exit("only the letter case of SQL changes: equivalent, not run", returncode=34)
    if only := tuple(os.environ.get("MUTATION_TESTS", "").split()):
        config.hook.pytest_deselected(items=[i for i in items if not i.nodeid.startswith(only)])
        items[:] = [item for item in items if item.nodeid.startswith(only)]
    durations = json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    lines = _KILLERS.read_text().splitlines() if _KILLERS.exists() else []
    killed = Counter(test for mutated, _, test in (line.partition("\t") for line in lines)
                     if mutated == function)
    items.sort(key=lambda item: (-killed[item.nodeid], durations.get(item.nodeid, math.inf)))


def _sql_case_only(mutant: str) -> bool:
    """Whether `mutant` only changes the letter case of SQL, which tests/mutation_score.py counts
    as equivalent: its tests would all pass, after minutes of builds. mutmut records it as
    skipped (exit status 34), and the score reads its diff as it reads a survivor's."""
    from tests.mutation_score import mutant_diff, sql_case_only

    return sql_case_only(mutant_diff(mutant, Path.cwd()))  # mutmut runs in its copy


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Under mutmut, the test that killed a mutant, for the order of its function's next ones
    (one short line appended: the runs in parallel do not interleave it)."""
    if report.failed and (function := _mutated_function()):
        with _KILLERS.open("a", encoding="utf-8") as killers:
            killers.write(f"{function}\t{report.nodeid}\n")


@pytest.fixture(autouse=True)
def fresh_slugs() -> None:
    """Category slugs are memoised: each test works them out anew, so that a test exercises the
    rules rather than a memo an earlier test left (mutation testing forks with it warm)."""
    from feedsmith.identity import category_slug

    category_slug.cache_clear()
